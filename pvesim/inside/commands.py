"""The utilities a CT's shell can run, and which of them exist on which system."""

from __future__ import annotations

from . import coreutils, docker_cli, net, packages, services, sysutils
from .shell import CommandFn

COMMANDS: dict[str, CommandFn] = {
    "cat": coreutils.cat,
    "tee": coreutils.tee,
    "mkdir": coreutils.mkdir,
    "rm": coreutils.rm,
    "rmdir": coreutils.rmdir,
    "touch": coreutils.touch,
    "cp": coreutils.cp,
    "mv": coreutils.mv,
    "ls": coreutils.ls,
    "chmod": coreutils.chmod,
    "chown": coreutils.chown,
    "hostname": sysutils.hostname,
    "id": sysutils.id_,
    "whoami": sysutils.whoami,
    "sleep": sysutils.sleep,
    "env": sysutils.env,
    "head": sysutils.head,
    "tail": sysutils.tail,
    "wc": sysutils.wc,
    "grep": sysutils.grep,
    "uname": sysutils.uname,
    "date": sysutils.date,
    "basename": sysutils.basename,
    "dirname": sysutils.dirname,
    "which": sysutils.which,
    "sh": sysutils.sh,
    "ash": sysutils.sh,
    "bash": sysutils.sh,
    "ip": net.ip,
    "wget": net.wget,
    "curl": net.curl,
    "nc": net.nc,
    "apk": packages.apk,
    "apt-get": packages.apt_get,
    "apt": packages.apt_get,
    "rc-update": services.rc_update,
    "service": services.service,
    "rc-service": services.service,
    "systemctl": services.systemctl,
    "docker": docker_cli.docker,
    "docker-compose": docker_cli.docker_compose_standalone,
}

#: Where `command -v` finds them.
PATHS = {
    "sh": "/bin/sh",
    "ash": "/bin/ash",
    "bash": "/bin/bash",
    "apk": "/sbin/apk",
    "rc-update": "/sbin/rc-update",
    "rc-service": "/sbin/rc-service",
    "service": "/sbin/service",
    "ip": "/sbin/ip",
    "hostname": "/bin/hostname",
    "systemctl": "/usr/bin/systemctl",
}

_ONLY_ALPINE = {"apk", "rc-update", "rc-service", "ash"}
_ONLY_DEBIAN = {"apt-get", "apt", "systemctl"}
#: Debian's standard template ships these; Alpine's installs them with apk.
_DEBIAN_BASE = {"bash", "curl"}


def available(inside, name: str) -> bool:
    if name not in COMMANDS:
        return False
    debian = inside.ostype == "debian"
    if (name in _ONLY_ALPINE and debian) or (name in _ONLY_DEBIAN and not debian):
        return False
    if debian and name in _DEBIAN_BASE:
        return True
    pkg = packages.COMMAND_PACKAGE.get(name)
    return pkg is None or pkg in inside.packages


def path_of(name: str) -> str:
    return PATHS.get(name, f"/usr/bin/{name}")


for _name, _fn in list(COMMANDS.items()):
    # `command -v docker` prints a path: give each utility its own wrapper carrying one.
    async def _call(ctx, argv, _fn=_fn):
        return await _fn(ctx, argv)

    _call.path = path_of(_name)  # type: ignore[attr-defined]
    COMMANDS[_name] = _call
