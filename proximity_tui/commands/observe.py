"""Read-only views of the apps from the command line: `status` (one refresh) and `logs`.

Exit codes as the lifecycle commands: 0 success, 1 the refresh failed, 2 bad usage or input;
`logs --follow` ends with Ctrl-C (130, as `tail -f` in a shell).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("logs", parents=[common], help="docker compose logs of an app")
    p.add_argument("app", metavar="APP")
    p.add_argument("--tail", type=int, default=100, metavar="N")
    p.add_argument("--follow", "-f", action="store_true")
    p.set_defaults(handler=run_logs)

    p = sub.add_parser("status", parents=[common], help="refresh once and print app status")
    p.add_argument("--json", action="store_true", help="JSON lines instead of text")
    p.set_defaults(handler=run_status)


def run_logs(args: argparse.Namespace) -> int:
    import signal
    import threading

    from proximity_tui.commands.connect import open_services

    services = open_services(args)
    stop = threading.Event()
    interrupted = threading.Event()

    def on_sigint(*_: object) -> None:
        # Ctrl-C is how `logs --follow` ends. Only flags are set here: a KeyboardInterrupt raised
        # wherever the main thread happens to be could leave a lock of the runtime held. A second
        # Ctrl-C, if the stream does not end, interrupts for good.
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()
        stop.set()

    previous = None
    try:
        app = services.call(services.apps.find_app(args.app))

        def line(text: str) -> None:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, on_sigint)
        future = services.runtime.submit(
            services.apps.app_logs(
                app.id, tail=args.tail, follow=args.follow, on_line=line, stop=stop
            )
        )
        while True:
            try:
                future.result(timeout=0.2)
            except TimeoutError:
                continue
            # Stopped by Ctrl-C: 130 (128 + SIGINT), as `tail -f` in a shell, not 1 ("failed").
            return 130 if interrupted.is_set() else 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        try:
            services.close(wait=10 if interrupted.is_set() else 900)
        except Exception:
            # Tearing down a stream the user stopped is not a failure of the command.
            if not interrupted.is_set():
                raise


def run_status(args: argparse.Namespace) -> int:
    from proximity_tui.commands.common import print_json, print_table
    from proximity_tui.commands.connect import open_services

    services = open_services(args)
    try:
        snap = services.call(services.monitor.tick())
        apps = sorted(snap.apps.values(), key=lambda a: a.hostname)
        if args.json:
            print_json(
                {
                    "ok": snap.ok,
                    "error": snap.error,
                    "apps": [_status_dict(a) for a in apps],
                    "orphans": [o.__dict__ for o in snap.orphans],
                }
            )
            return 0 if snap.ok else 1
        rows = [[a.hostname, a.status, a.node, a.vmid, _cpu(a), _mem(a), a.url or ""] for a in apps]
        print_table(
            ("hostname", "status", "node", "vmid", "cpu", "memory", "url"), rows, empty="no apps"
        )
        for o in snap.orphans:
            print(
                f"orphan: CT {o.vmid} ({o.name}) on {o.node} is tagged proximity but no app "
                "knows it"
            )
        if not snap.ok:
            print(f"proximity-tui: error: refresh failed: {snap.error}", file=sys.stderr)
            return 1
        return 0
    finally:
        services.close()


def _cpu(a) -> str:
    return f"{a.live.cpu * 100:.0f}%" if a.live else "-"


def _mem(a) -> str:
    if not a.live or not a.live.maxmem:
        return "-"
    from proximity_tui.commands.output import human_size

    return f"{human_size(a.live.mem)}/{human_size(a.live.maxmem)}"


def _status_dict(a) -> dict[str, Any]:
    return {
        "id": a.id,
        "hostname": a.hostname,
        "status": a.status,
        "node": a.node,
        "vmid": a.vmid,
        "url": a.url,
        "cpu": a.live.cpu if a.live else None,
        "mem": a.live.mem if a.live else None,
        "maxmem": a.live.maxmem if a.live else None,
        "uptime": a.live.uptime if a.live else None,
    }
