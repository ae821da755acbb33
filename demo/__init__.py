"""An example AI support-ticket workflow service, instrumented for wftui.

Run it with ``python -m demo`` in a checkout (``python -m wftui._demo`` when installed).
`start_demo_process` runs it as a child process, as `wftui demo` does.
"""

from .process import DemoProcess, DemoStartError, start_demo_process

__all__ = ["DemoProcess", "DemoStartError", "start_demo_process"]
