"""`python -m pvesim`: the simulator on its own (see `pvesim/cli.py` and `pvesim/README.md`)."""

from pvesim.cli import main

raise SystemExit(main())
