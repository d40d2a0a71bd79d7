"""Clients for the simulator tests: proxmoxer and requests over real HTTPS, task waiting."""

from __future__ import annotations

import time
from typing import Any

import requests
from proxmoxer import ProxmoxAPI
from requests.adapters import HTTPAdapter

from pvesim.server import SimInfo

TEMPLATE = "local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz"


class PinnedAdapter(HTTPAdapter):
    """Verifies the server by its SHA-256 fingerprint, as Proximity pins PVE's certificate."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint.replace(":", "").lower()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self.fingerprint
        kwargs["cert_reqs"] = "CERT_NONE"
        super().init_poolmanager(*args, **kwargs)


def pinned_session(info: SimInfo) -> requests.Session:
    session = requests.Session()
    session.mount("https://", PinnedAdapter(info.fingerprint))
    session.verify = False
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify=False
    return session


def token_header(info: SimInfo) -> dict[str, str]:
    return {"Authorization": f"PVEAPIToken={info.token_id}={info.token_secret}"}


def px_token(info: SimInfo) -> ProxmoxAPI:
    return ProxmoxAPI(
        info.host,
        port=info.api_port,
        user=info.user,
        token_name=info.token_name,
        token_value=info.token_secret,
        verify_ssl=info.ca_pem_path,
        timeout=10,
    )


def px_password(info: SimInfo) -> ProxmoxAPI:
    return ProxmoxAPI(
        info.host,
        port=info.api_port,
        user=info.user,
        password=info.password,
        verify_ssl=info.ca_pem_path,
        timeout=10,
    )


def wait(px: ProxmoxAPI, node: str, upid: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a task until it stops, as a client does; its final status."""
    deadline = time.monotonic() + timeout
    while True:
        status = px.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"task {upid} still running")
        time.sleep(0.01)


def wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def create_ct(px: ProxmoxAPI, node: str, vmid: int, **extra: Any) -> dict[str, Any]:
    params = {
        "vmid": vmid,
        "ostemplate": TEMPLATE,
        "hostname": f"ct{vmid}",
        "rootfs": "local-lvm:4",
        "net0": "name=eth0,bridge=vmbr0,ip=dhcp",
        "unprivileged": 1,
        "features": "nesting=1",
    }
    params.update(extra)
    upid = px.nodes(node).lxc.post(**params)
    return wait(px, node, upid)
