"""`python -m wftui` is the same as the `wftui` command."""

from wftui.cli import main

raise SystemExit(main())
