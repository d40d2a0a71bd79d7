"""The `proximity-tui` command: parses arguments, then runs the dashboard or one subcommand.

Every error ends as one line on stderr and a non-zero exit code, never a traceback:
`ProximityError` subclasses carry their own exit code (1: the operation failed, 2: bad input).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from proximity_tui import __version__

PROG = "proximity-tui"

#: Subcommand modules under `proximity_tui.commands`, each with `register(subparsers, common)`.
COMMAND_MODULES = (
    "migrate",
    "records",
    "users",
    "catalog",
    "sim",
    "lifecycle",
    "observe",
    "doctor",
    "setup",
    "adopt",
    "env",
    "transfer",
    "retry",
)


class Parser(argparse.ArgumentParser):
    """Usage errors are one line too (with a pointer to --help), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts (also before the subcommand)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (default: the user config dir, or $PROXIMITY_CONFIG)",
    )
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="SQLite database (default: the user data dir, or $PROXIMITY_DB)",
    )
    common.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the embedded Proxmox simulator and the demo's own data",
    )
    common.add_argument(
        "--profile",
        type=_profile_names,
        action="extend",
        metavar="NAME[,NAME]",
        default=argparse.SUPPRESS,
        help="simulated host profiles for --demo and sim (pve9, pve8, pve7, privsep-token, "
        "dir-storage, nfs-storage, no-dhcp, slow-shutdown, docker-runc-broken, "
        "template-rotated); combinable",
    )
    common.add_argument(
        "--ascii",
        action="store_true",
        default=argparse.SUPPRESS,
        help="draw with ASCII and the 16 basic colours (chosen by itself for TERM=linux, vt100 "
        "and a non-UTF-8 locale; also $PROXIMITY_ASCII=1)",
    )
    return common


def _profile_names(text: str) -> list[str]:
    """`pve8,no-dhcp` -> names, checked (and combined) by the simulator's own rules."""
    from pvesim.profiles import parse_profiles

    names = [n.strip() for n in text.split(",") if n.strip()]
    try:
        parse_profiles(names)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return names


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = Parser(
        prog=PROG,
        parents=[common],
        description="A keyboard-driven app store for Proxmox VE. Without a command, opens the "
        "dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="browse without changing anything",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"proximity_tui.commands.{name}")
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("config", None), ("db", None), ("demo", False), ("read_only", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    args.ascii = ascii_output(args)
    args.profile = _combined_profiles(parser, args)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        from proximity_tui.commands.tui import run_tui

        handler = run_tui
    from proximity_tui.text import SafeStream

    # Every line the command line writes, ours or a library's, goes through the sanitizer: text
    # from outside (logs, catalog files, Proxmox errors, names) never reaches the terminal raw.
    # (The dashboard's driver writes to sys.__stderr__, not through these.)
    saved = sys.stdout, sys.stderr
    # In the ASCII mode, then as ASCII, each character as wide as before (tables stay aligned).
    then = None
    if args.ascii:
        from proximity_tui.glyphs import asciify as then
    sys.stdout, sys.stderr = SafeStream(sys.stdout, then), SafeStream(sys.stderr, then)
    try:
        return run_guarded(handler, args)
    finally:
        sys.stdout, sys.stderr = saved


def ascii_output(args: argparse.Namespace) -> bool:
    """`--ascii`, or what the environment says (`glyphs.wanted`; TERM only counts when the
    output is a terminal). The dashboard decides again with its own rule (`commands/tui.py`)."""
    from proximity_tui import glyphs

    flag = bool(getattr(args, "ascii", False))
    on = glyphs.wanted(flag, glyphs.launch_environ(), terminal=sys.stdout.isatty())
    glyphs.use(on)
    return on


def _combined_profiles(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """`--profile` given once or more: only with --demo or `sim`, and names that combine."""
    names = list(dict.fromkeys(getattr(args, "profile", None) or ()))
    if not names:
        return []
    if not args.demo and getattr(args, "command", None) != "sim":
        parser.error("--profile applies to --demo and the sim command")
    from pvesim.profiles import parse_profiles

    try:
        parse_profiles(names)
    except ValueError as exc:
        parser.error(f"argument --profile: {exc}")
    return names


def run_guarded(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a handler, turning every error into one line on stderr and an exit code."""
    from proximity_tui.errors import ProximityError

    try:
        return int(handler(args) or 0)
    except ProximityError as exc:
        fail(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        fail("interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        from proximity_tui.commands.output import reader_gone

        reader_gone()
        return 0
    except Exception as exc:  # last resort: still one line, with the real cause
        fail(f"unexpected {type(exc).__name__}: {exc}")
        return 1


def fail(message: str) -> None:
    from proximity_tui.text import printable

    first = " ".join(str(message).split("\n")).strip()
    print(f"{PROG}: error: {printable(first)}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
