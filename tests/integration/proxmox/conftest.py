"""Fixtures for the Proxmox client tests: one simulator for the session, reached over real HTTPS
and SSH, and clients built from settings exactly as the product builds them."""

from __future__ import annotations

import pytest

from proximity_tui.config import ProxmoxSettings, SshSettings
from proximity_tui.proxmox.client import ProxmoxClient
from proximity_tui.proxmox.exec import ContainerExec
from pvesim.testing import simulator_fixture

ALPINE = "alpine-3.22-default_20250617_amd64.tar.xz"


pve_sim = simulator_fixture(scope="session", nodes=3, containers=0, time_scale=0.0, seed=0)


@pytest.fixture(scope="session")
def info(pve_sim):
    return pve_sim.info


@pytest.fixture
def faults(pve_sim):
    """The simulator's fault rules, emptied after the test whatever happens."""
    pve_sim.faults.clear()
    yield pve_sim.faults
    pve_sim.faults.clear()


def token_settings(info, **overrides) -> ProxmoxSettings:
    settings = ProxmoxSettings(
        host=info.host,
        port=info.api_port,
        user=info.user,
        token_name=info.token_name,
        token_value=info.token_secret,
        fingerprint=info.fingerprint,
        timeout=5.0,
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


def password_settings(info, **overrides) -> ProxmoxSettings:
    merged = {"token_name": None, "token_value": None, "password": info.password, **overrides}
    return token_settings(info, **merged)


def ssh_settings(info, **overrides) -> SshSettings:
    settings = SshSettings(
        mode="ssh",
        user=info.ssh_user,
        key=str(info.ssh_key_path),
        fingerprint=info.ssh_host_key_fingerprint,
        nodes={node: f"{info.host}:{port}" for node, port in info.ssh_ports.items()},
        timeout=10.0,
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


@pytest.fixture
async def client(info):
    px = ProxmoxClient.from_settings(token_settings(info), backoff=0.01)
    yield px
    px.close()


@pytest.fixture
async def ex(info):
    executor = ContainerExec(ssh_settings(info))
    yield executor
    await executor.close()


async def _template_volid(client: ProxmoxClient, node: str) -> str:
    """The Alpine template on `node`, downloading it first when the node lacks it."""
    found = await client.find_template(node, ALPINE)
    if found is None:
        await client.wait_task(await client.download_template(node, "local", ALPINE), timeout=30)
        found = await client.find_template(node, ALPINE)
    assert found is not None
    return found.volid


async def _make_ct(client: ProxmoxClient, node: str, *, start: bool = True, **params) -> int:
    """A fresh CT on `node` (started unless told otherwise), as the deploy pipeline makes one."""
    vmid = params.pop("vmid", None) or await client.next_vmid()
    upid = await client.create_ct(
        node,
        vmid=vmid,
        ostemplate=await _template_volid(client, node),
        hostname=params.pop("hostname", f"t{vmid}"),
        memory=256,
        rootfs="local-lvm:2",
        net0="name=eth0,bridge=vmbr0,ip=dhcp",
        unprivileged=True,
        **{"features": "nesting=1", **params},
    )
    await client.wait_task(upid, timeout=30)
    if start:
        await client.wait_task(await client.ct_action(node, vmid, "start"), timeout=30)
    return vmid


@pytest.fixture
def make_ct():
    """`await make_ct(client, node, start=True, **params) -> vmid`."""
    return _make_ct


@pytest.fixture
def template_volid():
    """`await template_volid(client, node) -> volid` of Alpine, downloaded when missing."""
    return _template_volid


@pytest.fixture
def px_settings(info):
    """`px_settings(auth="token"|"password", **overrides) -> ProxmoxSettings` for the simulator."""

    def build(auth: str = "token", **overrides) -> ProxmoxSettings:
        make = token_settings if auth == "token" else password_settings
        return make(info, **overrides)

    return build


@pytest.fixture
def ssh_cfg(info):
    """`ssh_cfg(**overrides) -> SshSettings` reaching every simulated node, host key pinned."""
    return lambda **overrides: ssh_settings(info, **overrides)
