"""`python -m pvesim`: a simulated Proxmox VE cluster on loopback until SIGINT or SIGTERM.

Prints one JSON line (`SimInfo`: API URL, certificate fingerprint, credentials, SSH ports, key and
host key) once both servers listen, and on exit saves the cluster to `--state` (loaded again at the
next start). `proximity-tui sim` is this same command plus `--write-config`: it builds its parser
with `add_arguments` and runs `serve` with a hook that writes its config before the JSON line.

Nothing heavy is imported at module level: the product's parser imports this module on every run.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from pvesim.faults import FaultSet
    from pvesim.server import Simulator

PROG = "python -m pvesim"


class UsageError(ValueError):
    """A bad option (exit status 2); `field` names it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StartError(RuntimeError):
    """The simulator could not start (a port in use...): exit status 1."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The simulator's own options (`--write-config` and `--profile` are the caller's)."""
    p.add_argument("--nodes", type=int, default=3, metavar="N", help="cluster nodes (default 3)")
    p.add_argument(
        "--containers", type=int, default=0, metavar="N", help="extra containers for scale"
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiplies task durations (0 = instant; default 1)",
    )
    p.add_argument(
        "--api-port", type=int, default=0, metavar="P", help="HTTPS port (default: free)"
    )
    p.add_argument(
        "--ssh-port",
        type=int,
        default=0,
        metavar="P",
        help="SSH port of the first node; the others follow (default: free ports)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="start from this file when it exists (then --nodes/--containers do not apply) and "
        "save to it on exit",
    )
    p.add_argument("--faults", type=Path, metavar="FILE", help="fault rules (JSON) to start with")


def check(args: argparse.Namespace) -> None:
    """UsageError for values argparse lets through."""
    if args.nodes < 1 or args.nodes > 64:
        raise UsageError("--nodes must be between 1 and 64", field="nodes")
    if args.containers < 0:
        raise UsageError("--containers must be 0 or more", field="containers")
    if args.time_scale < 0:
        raise UsageError("--time-scale must be 0 or more", field="time_scale")
    for name in ("api_port", "ssh_port"):
        port = getattr(args, name)
        if not 0 <= port <= 65535:
            raise UsageError(f"--{name.replace('_', '-')} must be a port number", field=name)


def load_faults(path: Path | None, seed: int) -> FaultSet:
    from pvesim.faults import FaultSet

    if path is None:
        return FaultSet(seed=seed)
    try:
        return FaultSet.from_file(path, seed=seed)
    except FileNotFoundError:
        raise UsageError(f"faults file not found: {path}", field="faults") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"bad faults file {path}: {exc}", field="faults") from None


def serve(
    args: argparse.Namespace,
    *,
    profiles: Sequence[str] = (),
    on_ready: Callable[[Simulator], None] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run until SIGINT/SIGTERM: check the options, start, call `on_ready`, print the JSON line."""
    from pvesim.server import Simulator

    check(args)
    faults = load_faults(args.faults, args.seed)
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    sim = Simulator(
        nodes=args.nodes,
        containers=args.containers,
        time_scale=args.time_scale,
        seed=args.seed,
        api_port=args.api_port,
        ssh_port=args.ssh_port,
        state_file=args.state,
        faults=faults,
        profiles=tuple(profiles),
    )
    try:
        try:
            info = sim.start()
        except OSError as exc:
            raise StartError(f"cannot start the simulator: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise UsageError(f"cannot start the simulator: {exc}") from None
        if on_ready is not None:
            on_ready(sim)
        stream = out if out is not None else sys.stdout
        stream.write(json.dumps(info.to_dict(), default=str) + "\n")
        stream.flush()
        stop.wait()
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _profiles(text: str) -> list[str]:
    from pvesim.profiles import parse_profiles

    names = [n.strip() for n in text.split(",") if n.strip()]
    try:
        parse_profiles(names)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run a simulated Proxmox VE cluster (HTTPS API + SSH pct) on loopback until "
        "interrupted. Prints one JSON line with its URLs, fingerprints and credentials.",
    )
    add_arguments(parser)
    parser.add_argument(
        "--profile",
        type=_profiles,
        action="extend",
        default=[],
        metavar="NAME[,NAME]",
        help="host profiles (pve9, pve8, pve7, privsep-token, dir-storage, ...); combinable",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args: Any = build_parser().parse_args(argv)
    try:
        return serve(args, profiles=list(dict.fromkeys(args.profile)))
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except StartError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
