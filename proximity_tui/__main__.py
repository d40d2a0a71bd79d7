"""`python -m proximity_tui` runs the same entry point as the `proximity-tui` command."""

from proximity_tui.cli import main

raise SystemExit(main())
