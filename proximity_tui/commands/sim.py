"""`proximity-tui sim`: run the embedded Proxmox VE simulator until SIGINT/SIGTERM.

Prints one JSON line with everything a client needs (API URL, fingerprint, credentials, SSH
ports, key and host key), optionally writes a Proximity config.toml that connects to it, and on
exit saves the cluster to `--state` (loaded again at the next start).
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import Any

from proximity_tui.config import write_config


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "sim",
        parents=[common],
        help="run the embedded Proxmox VE simulator (HTTPS API + SSH pct)",
        description="Run a simulated Proxmox VE cluster on loopback until interrupted. Prints "
        "one JSON line with its URLs, fingerprints and credentials.",
    )
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
    p.add_argument(
        "--write-config", type=Path, metavar="PATH", help="write a Proximity config.toml for it"
    )
    p.add_argument(
        "--config-auth",
        choices=("token", "password"),
        default="token",
        help="credentials the written config uses (default: token)",
    )
    p.set_defaults(handler=run_sim)


def _check(args: argparse.Namespace) -> None:
    from proximity_tui.errors import ValidationError

    if args.nodes < 1 or args.nodes > 64:
        raise ValidationError("--nodes must be between 1 and 64", field="nodes")
    if args.containers < 0:
        raise ValidationError("--containers must be 0 or more", field="containers")
    if args.time_scale < 0:
        raise ValidationError("--time-scale must be 0 or more", field="time_scale")
    for name in ("api_port", "ssh_port"):
        port = getattr(args, name)
        if not 0 <= port <= 65535:
            raise ValidationError(f"--{name.replace('_', '-')} must be a port number", field=name)


def _faults(path: Path | None, seed: int) -> Any:
    from proximity_tui.errors import ValidationError
    from pvesim.faults import FaultSet

    if path is None:
        return FaultSet(seed=seed)
    try:
        return FaultSet.from_file(path, seed=seed)
    except FileNotFoundError:
        raise ValidationError(f"faults file not found: {path}", field="faults") from None
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"bad faults file {path}: {exc}", field="faults") from None


def run_sim(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import print_json
    from proximity_tui.errors import ProximityError, ValidationError
    from pvesim.server import Simulator

    _check(args)
    faults = _faults(args.faults, args.seed)
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
        profiles=getattr(args, "profile", None) or (),
    )
    try:
        try:
            info = sim.start()
        except OSError as exc:
            raise ProximityError(f"cannot start the simulator: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise ValidationError(f"cannot start the simulator: {exc}") from None
        if args.write_config is not None:
            write_config(args.write_config, sim.client_settings(auth=args.config_auth))
        print_json(info.to_dict())
        stop.wait()
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
