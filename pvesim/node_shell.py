"""A Proxmox node's own shell, as an SSH exec request meets it: bash (the login shell of root)
over the node's directory under the simulator's workdir, with `pct` and a few host tools.

The command line is parsed by the same POSIX shell model the containers use, so quoting,
`&&`, redirections and `$(...)` behave as on a real node; only the wording is bash's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pvesim.inside import coreutils, sysutils
from pvesim.inside.fs import DiskFS
from pvesim.inside.shell import CommandFn, Ctx, Flavor, Shell


class NodeSystem:
    """What host utilities ask about the machine they run on."""

    def __init__(self, node: str, state: Any, root: Path) -> None:
        self.node = node
        self.hostname = node
        self.state = state
        self.fs = DiskFS(root)
        for d in ("/root", "/tmp", "/etc", "/var/lib/vz/template/cache", "/var/lib/vz/dump"):
            self.fs.mkdir(d, parents=True)
        if not self.fs.exists("/etc/hostname"):
            self.fs.write("/etc/hostname", f"{node}\n".encode())

    @property
    def ip_address(self) -> str:
        return "127.0.0.1"

    def now(self) -> float:
        return self.state.clock.time()

    def wall(self, t: float) -> float:
        return t if t > 1e9 else time.time()


async def pveversion(ctx: Ctx, argv: list[str]) -> int:
    """`pveversion` (pve-manager `bin/pveversion`): `pve-manager/VERSION/REPOID (running
    kernel: RELEASE)`."""
    rel = ctx.system.state.release
    ctx.out(f"pve-manager/{rel.version}/{rel.repoid} (running kernel: {rel.kernel})\n")
    return 0


def _commands() -> dict[str, CommandFn]:
    from pvesim import pct

    table: dict[str, CommandFn] = {
        name: getattr(coreutils, name)
        for name in ("cat", "tee", "mkdir", "rm", "rmdir", "touch", "cp", "mv", "ls", "chmod")
    }
    for name in ("hostname", "whoami", "sleep", "env", "head", "tail", "wc", "grep", "uname"):
        table[name] = getattr(sysutils, name)
    table.update(
        id=sysutils.id_, date=sysutils.date, basename=sysutils.basename, dirname=sysutils.dirname,
        which=sysutils.which, sh=sysutils.sh, bash=sysutils.sh, pct=pct.pct,
        pveversion=pveversion,
    )  # fmt: skip
    return table


_COMMANDS: dict[str, CommandFn] | None = None


#: Debian's sshd_config `AcceptEnv LANG LC_*`: the only variables a client may send along.
def accepted_env(sent: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (sent or {}).items() if k == "LANG" or k.startswith("LC_")}


def node_shell(system: NodeSystem, sent_env: dict[str, str] | None = None) -> Shell:
    """A fresh login shell for one SSH request (root, in /root), with what sshd accepted of the
    client's environment."""
    global _COMMANDS
    if _COMMANDS is None:
        _COMMANDS = _commands()
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "USER": "root",
        "LOGNAME": "root",
        "SHELL": "/bin/bash",
        **accepted_env(sent_env),
    }
    return Shell(
        fs=system.fs,
        commands=_COMMANDS,
        flavor=Flavor("bash"),
        system=system,
        vars=dict(env),
        exported=set(env),
        cwd="/root",
        prog="bash",
        sleep=system.state.clock.sleep,
    )
