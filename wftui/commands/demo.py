"""Start the example workflow service and monitor it live: wftui working in a minute.

The service (demo/ in a checkout, wftui._demo when installed) runs as a child
process writing JSON-lines events to a log file and serving /metrics, /health,
/replay and /incident on 127.0.0.1; it sends each execution's steps as OpenTelemetry
spans (the SDK's OTLP/HTTP exporter) to wftui's receiver on a loopback port. The
monitor follows the log, receives the spans and scrapes /metrics; replay goes to the
service's /replay. The service is stopped when the UI
exits, on Ctrl-C, on SIGTERM or SIGHUP, and (it watches its stdin) if this process dies.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import shutil
import signal
import tempfile
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from wftui.commands.common import fail, report_refused
from wftui.commands.monitor import build_desk, require_terminal, run_app
from wftui.config import ConfigError, Settings, load_settings

INCIDENT_NAMES = ("none", "error-spike", "slow-tool", "backlog")
# Without a config file, the demo gives every threshold a `for`: a breach shows as
# pending first, then fires. 30 s, because with 10 s the demo's normal ~3% failures
# fired the error rate in the first quarter minute (4 of the first 41 executions).
DEMO_FOR_S = 30.0


def demo_package() -> ModuleType | None:
    """The demo service package: installed as wftui._demo, or demo/ in a checkout."""
    for name in ("wftui._demo", "demo"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "start_demo_process"):
            return module
    return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--incident", choices=INCIDENT_NAMES, default="none",
                        help="start with an incident on (switch live with the i key)")
    parser.add_argument("--rate", type=float, default=None, metavar="N",
                        help="tickets arriving per second (default: the service's, 4)")
    parser.add_argument("--speed", type=float, default=None, metavar="X",
                        help="divide every step latency by X (default 1: realistic)")
    parser.add_argument("--log", metavar="PATH",
                        help="where the service writes its events (default: a temporary "
                             "file, removed on exit)")
    parser.add_argument("--window", metavar="5m|all",
                        help="the window figures cover: 1m, 5m, 15m, 1h, all")
    parser.add_argument("--config", metavar="PATH",
                        help="config file (TOML): thresholds, [alertmanager]")
    parser.add_argument("--alertmanager", metavar="URL",
                        help="an Alertmanager: the demo's alerts are pushed to it")


class HttpDemoControl:
    """Switches the running service's incident over its POST /incident endpoint."""

    def __init__(self, incident_url: str, incidents: dict[str, str],
                 active: str = "none") -> None:
        self.incident_url = incident_url
        self.incidents = incidents
        self.active = active  # the incident the service runs now (as it last said)

    def switch(self, name: str) -> str:
        """POST /incident; the one-line outcome, or OSError with the reason."""
        import httpx

        try:
            with httpx.Client(timeout=5.0, trust_env=False, follow_redirects=False) as client:
                response = client.post(self.incident_url, json={"incident": name})
                body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OSError(f"{self.incident_url}: {error}") from error
        if response.status_code != 200 or not isinstance(body, dict):
            reason = body.get("error") if isinstance(body, dict) else response.text[:200]
            raise OSError(f"HTTP {response.status_code}: {reason}")
        self.active = str(body.get("incident") or name)
        return f"incident now {body.get('incident')}: {body.get('description')}"


def incidents_of(package: ModuleType) -> dict[str, str]:
    """Incident name -> description, from the demo's own table."""
    try:
        workflow = importlib.import_module(f"{package.__name__}.workflow")
        return {name: incident.description for name, incident in workflow.INCIDENTS.items()}
    except (ImportError, AttributeError):
        return {name: name for name in INCIDENT_NAMES}


def _stop_on_signals() -> None:
    """SIGTERM / SIGHUP end the process through `finally`, so the service is stopped."""
    def leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, leave)


def run(options: argparse.Namespace) -> int:
    package = demo_package()
    if package is None:
        fail("the demo service is not available (neither wftui._demo nor demo/ importable)")
    assert package is not None  # fail() does not return
    try:
        settings = load_settings(options.config, window=options.window)
    except ConfigError as error:
        fail(str(error))
    report_refused(settings)
    desk = build_desk(options, settings)  # a bad [alertmanager] fails before the service
    for name, value in (("--rate", options.rate), ("--speed", options.speed)):
        # inf too: the service refuses it, but only once started, in its own words
        # ("python -m demo: error: ..."), after the screen was asked for.
        if value is not None and not (value > 0 and math.isfinite(value)):
            fail(f"{name}: must be a finite number above 0, got {value}")
    require_terminal()  # before the service starts: nothing to clean up
    workdir = None
    if options.log:
        log_path = Path(options.log).expanduser()
    else:
        workdir = Path(tempfile.mkdtemp(prefix="wftui-demo-"))
        log_path = workdir / "demo.log"
    _stop_on_signals()
    service = None
    try:
        print(f"wftui demo: starting the example service (events in {log_path}) ...",
              flush=True)
        otlp_port = _free_loopback_port()
        try:
            service = package.start_demo_process(
                log_path, rate=options.rate, speed=options.speed, incident=options.incident,
                otlp_endpoint=f"http://127.0.0.1:{otlp_port}/v1/traces")
        except package.DemoStartError as error:
            fail(f"demo service: {error}")
        return _monitor(service, settings, log_path, incidents_of(package), otlp_port,
                        prices_of(package), desk, options.incident, workdir)
    finally:
        if service is not None:
            service.stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _clear_up(service: Any, workdir: Path | None) -> None:
    """The service stopped at once and the demo's directory removed (the exit guard's
    last act: no time for the service's graceful stop)."""
    service.stop(timeout=0.2)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def demo_settings(settings: Settings, replay_url: str) -> Settings:
    """Replay goes to the service's /replay; without a config file, thresholds get a
    `for` of DEMO_FOR_S so a breach is seen pending before it fires."""
    from wftui.replay.plan import with_replay_given

    # The service's /replay wins over the file's [replay], also when the file is reloaded.
    settings = with_replay_given(settings, {"url": replay_url})
    if settings.config_path is None:
        settings = replace(settings, thresholds=tuple(
            replace(t, for_s=DEMO_FOR_S) if not t.for_s else t for t in settings.thresholds))
    return settings


def prices_of(package: ModuleType) -> dict[str, tuple[float, float]]:
    """The demo's model prices (USD per million tokens), for the spans' cost."""
    try:
        workflow = importlib.import_module(f"{package.__name__}.workflow")
        return dict(workflow.PRICES_PER_MILLION)
    except (ImportError, AttributeError):
        return {}


def _free_loopback_port() -> int:
    """A port for the demo's OTLP receiver (nothing listens on it at the moment)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _monitor(service: Any, settings: Any, log_path: Path, incidents: dict[str, str],
             otlp_port: int, prices: dict[str, tuple[float, float]], desk: Any = None,
             incident: str = "none", workdir: Path | None = None) -> int:
    from wftui.core.spans import SpanReader
    from wftui.live import LiveMonitor
    from wftui.sources.connect import metric_family
    from wftui.sources.otlp.receiver import OtlpReceiver

    settings = demo_settings(settings, service.replay_url)
    try:
        family = metric_family(settings, [service.metrics_url], None,
                               health_urls=[service.health_url])
    except ConfigError as error:
        fail(str(error))
        raise
    # Spans the service sent before the receiver listens are retried by its exporter.
    monitor = LiveMonitor(settings, [str(log_path)], metrics=family,
                          otlp=OtlpReceiver("127.0.0.1", otlp_port,
                                            reader=SpanReader(prices)))
    control = HttpDemoControl(service.incident_url, incidents, incident)

    def make() -> Any:
        from wftui.ui.app import make_app

        # The monitor is started and stopped here, not by the app: it must outlive the
        # app until the service has stopped (below).
        app = make_app(settings, monitor, demo=control, desk=desk, start_monitor=False)
        # Leaving a dead terminal can outlast the exit guard's grace: it then ends the
        # process at once, past the `finally` below and in `run`; the service is
        # stopped and the directory removed all the same.
        app.exit_guard.at_end(lambda: _clear_up(service, workdir))
        return app

    monitor.start()
    try:
        return run_app(make)
    finally:
        # The service first, while the receiver still listens: its exporter sends its
        # last spans on the way out, and to a closed port it retried until the stop's
        # SIGKILL (q took 5.6 s to end the demo).
        service.stop()
        monitor.stop()
