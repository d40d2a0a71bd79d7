"""Reaching the simulated nodes over real SSH (asyncssh client) in the SSH tests."""

from __future__ import annotations

import shlex
from typing import Any

import asyncssh
from proxmoxer import ProxmoxAPI
from sim_helpers import create_ct, wait

from pvesim.server import SimInfo


async def connect(info: SimInfo, node: str, **kwargs: Any) -> asyncssh.SSHClientConnection:
    """A connection as root with the session key; the host key is checked against the report."""
    options: dict[str, Any] = {
        "username": "root",
        "client_keys": [info.ssh_key_path],
        "known_hosts": None,
    }
    options.update(kwargs)
    conn = await asyncssh.connect(info.host, info.ssh_ports[node], **options)
    seen = conn.get_server_host_key().get_fingerprint("sha256")
    assert seen == info.ssh_host_key_fingerprint
    return conn


async def run(conn: asyncssh.SSHClientConnection, *argv: Any, stdin: bytes | None = None):
    """One exec request with a shell-quoted argv, bytes in and out."""
    command = shlex.join(str(a) for a in argv)
    return await conn.run(command, input=stdin, encoding=None, check=False)


def new_ct(px: ProxmoxAPI, node: str, vmid: int, *, start: bool = True, **extra: Any) -> int:
    """A CT made over the API (a token: features limited to nesting, as in real life)."""
    status = create_ct(px, node, vmid, **extra)
    assert status["exitstatus"] == "OK", status
    if start:
        assert wait(px, node, px.nodes(node).lxc(vmid).status.start.post())["exitstatus"] == "OK"
    return vmid
