"""Authentication (API token vs ticket) and TLS trust, against the simulator over real HTTPS."""

from __future__ import annotations

import pytest

from proximity_tui.errors import (
    ProxmoxAuthError,
    ProxmoxConnectionError,
    ProxmoxPermissionError,
    TrustError,
)
from proximity_tui.proxmox import session as session_mod
from proximity_tui.proxmox.client import ProxmoxClient, fetch_fingerprint

WRONG_FP = ":".join(["5A"] * 32)
KEYCTL_403 = "changing feature flags (except nesting) is only allowed for root@pam"


def _ticket_posts(sim) -> int:
    return sim.stats.get("POST /access/ticket")


async def test_token_and_ticket_both_work(px_settings, pve_sim):
    async with ProxmoxClient.from_settings(px_settings("token")) as token:
        assert token.auth_kind == "token" and (await token.version()).version
    before = _ticket_posts(pve_sim)
    async with ProxmoxClient.from_settings(px_settings("password")) as ticket:
        assert ticket.auth_kind == "ticket"
        await ticket.version()
        await ticket.nodes()
        assert _ticket_posts(pve_sim) == before + 1  # one login, reused by every call
        assert ticket.call_count == 3


async def test_bad_credentials_refused_without_leaking_them(px_settings):
    async with ProxmoxClient.from_settings(px_settings("password", password="wrong-Pa55")) as px:
        with pytest.raises(ProxmoxAuthError) as err:
            await px.version()
    assert "authentication failure" in str(err.value) and "wrong-Pa55" not in str(err.value)
    assert err.value.call == "POST /access/ticket"
    async with ProxmoxClient.from_settings(px_settings("token", token_value="bad-5ecret")) as px:
        with pytest.raises(ProxmoxAuthError) as err:
            await px.nodes()
    assert err.value.status == 401 and "bad-5ecret" not in str(err.value)


async def test_ticket_renewed_before_expiry_and_relogin_after_401(
    px_settings, pve_sim, monkeypatch
):
    async with ProxmoxClient.from_settings(px_settings("password")) as px:
        await px.version()
        before = _ticket_posts(pve_sim)
        monkeypatch.setattr(session_mod, "TICKET_RENEW_AGE", 0.0)
        await px.version()  # renews with the ticket as the password
        monkeypatch.setattr(session_mod, "TICKET_RENEW_AGE", 3600.0)
        assert _ticket_posts(pve_sim) == before + 1
        px._api.auth._ticket = "PVE:root@pam:00000000::forged"  # e.g. expired while suspended
        assert (await px.version()).version
        assert _ticket_posts(pve_sim) == before + 2


async def test_keyctl_with_a_token_gets_pves_403(client, px_settings, info, template_volid):
    node = sorted(info.nodes)[0]
    vmid = await client.next_vmid()
    params = dict(
        vmid=vmid,
        ostemplate=await template_volid(client, node),
        hostname="kc",
        rootfs="local-lvm:2",
        unprivileged=True,
        features="nesting=1,keyctl=1",
    )
    with pytest.raises(ProxmoxPermissionError) as err:
        await client.create_ct(node, **params)
    assert err.value.status == 403 and KEYCTL_403 in err.value.pve_message
    assert await client.find_ct(vmid) is None  # nothing was created

    async with ProxmoxClient.from_settings(px_settings("password")) as root:  # root@pam ticket
        await root.wait_task(await root.create_ct(node, **params))
        assert (await root.ct_config(node, vmid)).features == {"nesting": "1", "keyctl": "1"}
        await root.wait_task(await root.delete_ct(node, vmid))


async def test_pinned_fingerprint_mismatch_refused_before_login(px_settings, info, pve_sim):
    before = _ticket_posts(pve_sim)
    settings = px_settings("password", fingerprint=WRONG_FP)
    async with ProxmoxClient.from_settings(settings) as px:
        with pytest.raises(TrustError) as err:
            await px.version()
    assert err.value.seen == info.fingerprint and err.value.expected == WRONG_FP
    assert info.fingerprint in str(err.value) and WRONG_FP in str(err.value)
    assert _ticket_posts(pve_sim) == before  # the password never left
    assert info.password not in str(err.value)


async def test_unknown_certificate_refused_with_how_to_pin(px_settings, info):
    settings = px_settings("token", fingerprint=None, ca_file=None, verify_ssl=True)
    async with ProxmoxClient.from_settings(settings) as px:
        assert px.trust_mode == "system"
        with pytest.raises(TrustError) as err:
            await px.nodes()
    message = str(err.value)
    assert err.value.seen == info.fingerprint
    assert f'fingerprint = "{info.fingerprint}"' in message and "[proxmox]" in message
    assert info.token_secret not in message


async def test_ca_file_verification(px_settings, info):
    settings = px_settings("token", fingerprint=None, ca_file=str(info.ca_pem_path))
    async with ProxmoxClient.from_settings(settings) as px:
        assert px.trust_mode == "ca" and (await px.nodes())


async def test_insecure_only_when_explicit(px_settings):
    async with ProxmoxClient.from_settings(px_settings(fingerprint=None, verify_ssl=False)) as px:
        assert px.insecure and px.trust_mode == "insecure"
        assert (await px.version()).version


async def test_fetch_fingerprint_for_trust_on_first_use(info):
    assert await fetch_fingerprint(info.host, info.api_port) == info.fingerprint


async def test_nodes_report_the_same_fingerprint(client, info):
    assert {n.ssl_fingerprint for n in await client.nodes()} == {info.fingerprint}


async def test_unreachable_host_is_a_connection_error(px_settings):
    settings = px_settings("token", host="127.0.0.1", port=1, timeout=1.0)
    async with ProxmoxClient.from_settings(settings, backoff=0.01) as px:
        with pytest.raises(ProxmoxConnectionError) as err:
            await px.version()
    assert err.value.call == "GET /version" and "127.0.0.1:1" in str(err.value)
    with pytest.raises(ProxmoxConnectionError):
        await fetch_fingerprint("127.0.0.1", 1, timeout=1.0)


@pytest.mark.parametrize("auth", ["token", "password"])
async def test_config_written_by_the_simulator_connects(pve_sim, tmp_path, auth):
    from proximity_tui.config import load_settings, write_config
    from proximity_tui.proxmox.exec import ContainerExec

    path = write_config(tmp_path / "config.toml", pve_sim.client_settings(auth=auth))
    settings = load_settings(path, env={})
    async with ProxmoxClient.from_settings(settings.proxmox) as px:
        assert px.auth_kind == ("token" if auth == "token" else "ticket")
        guest = next(g for g in await px.cluster_resources() if g.type == "lxc" and g.running)
    ex = ContainerExec.from_settings(settings.ssh)
    try:
        assert (await ex.run(guest.node, guest.vmid, ["echo", "hi"])).stdout == "hi\n"
    finally:
        await ex.close()
