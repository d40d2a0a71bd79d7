"""Non-interactive subcommands of `proximity-tui`, one module per command group.

Each module exposes `register(subparsers)`; heavy imports stay inside the handlers so that
`proximity-tui --version` and the TUI start fast.
"""
