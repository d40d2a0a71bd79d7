"""Authentication over the wire: tickets, renewal, CSRF, API tokens, and PVE's 401/403s."""

from __future__ import annotations

import pytest
from proxmoxer import AuthenticationError, ProxmoxAPI
from proxmoxer.core import ResourceException
from sim_helpers import TEMPLATE, create_ct, px_password, px_token, token_header, wait

API = "/api2/json"


def test_ticket_login_gives_cookie_csrf_and_username(info, http):
    r = http.post(
        info.api_url + API + "/access/ticket",
        data={"username": info.user, "password": info.password},
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["username"] == "root@pam"
    assert data["ticket"].startswith("PVE:root@pam:")
    assert ":" in data["CSRFPreventionToken"]
    assert "cap" in data


def test_bad_password_is_401_authentication_failure(info, http):
    r = http.post(
        info.api_url + API + "/access/ticket", data={"username": info.user, "password": "wrong"}
    )
    assert (r.status_code, r.reason) == (401, "authentication failure")
    assert r.json() == {"data": None, "message": "authentication failure\n"}
    with pytest.raises(AuthenticationError):
        ProxmoxAPI(
            info.host,
            port=info.api_port,
            user=info.user,
            password="nope",
            verify_ssl=info.ca_pem_path,
        )


def test_no_credentials_is_401_no_ticket_with_empty_body(info, http):
    r = http.get(info.api_url + API + "/version")
    assert (r.status_code, r.reason, r.content) == (401, "No ticket", b"")


def test_unknown_path_without_credentials_is_401_not_501(info, http):
    r = http.get(info.api_url + API + "/nodes/pve1/foo")
    assert (r.status_code, r.reason) == (401, "No ticket")


def test_password_client_works_and_renews_with_the_ticket(info, http):
    px = px_password(info)
    assert px.version.get()["release"] == "9.1"
    ticket, _ = px.get_tokens()
    r = http.post(
        info.api_url + API + "/access/ticket", data={"username": info.user, "password": ticket}
    )
    assert r.status_code == 200
    assert r.json()["data"]["ticket"].startswith("PVE:root@pam:")
    # a forged ticket is no password
    r = http.post(
        info.api_url + API + "/access/ticket",
        data={"username": info.user, "password": ticket[:-4] + "AAAA"},
    )
    assert r.status_code == 401


def test_ticket_expires_after_two_hours(sim, info, http):
    px = px_password(info)
    ticket, _ = px.get_tokens()
    sim.clock.advance(7201)
    try:
        r = http.get(info.api_url + API + "/version", cookies={"PVEAuthCookie": ticket})
        assert (r.status_code, r.reason) == (401, "permission denied - invalid PVE ticket")
        r = http.post(
            info.api_url + API + "/access/ticket", data={"username": info.user, "password": ticket}
        )
        assert r.status_code == 401
    finally:
        sim.clock.advance(-7201)


def test_post_with_ticket_needs_the_csrf_token(info, http):
    px = px_password(info)
    ticket, csrf = px.get_tokens()
    url = info.api_url + API + "/nodes/pve1/lxc/102/status/start"
    r = http.post(url, cookies={"PVEAuthCookie": ticket})
    assert (r.status_code, r.reason, r.content) == (
        401,
        "Permission denied - invalid csrf token",
        b"",
    )
    r = http.post(
        url, cookies={"PVEAuthCookie": ticket}, headers={"CSRFPreventionToken": csrf + "x"}
    )
    assert r.status_code == 401
    r = http.post(url, cookies={"PVEAuthCookie": ticket}, headers={"CSRFPreventionToken": csrf})
    assert (r.status_code, r.reason) == (500, "CT 102 already running")


def test_api_token_needs_no_csrf_and_a_right_secret(info, http):
    r = http.get(info.api_url + API + "/version", headers=token_header(info))
    assert r.status_code == 200
    bad = {"Authorization": f"PVEAPIToken={info.token_id}=00000000-0000-0000-0000-000000000000"}
    r = http.get(info.api_url + API + "/version", headers=bad)
    assert (r.status_code, r.reason, r.content) == (401, "invalid token value!", b"")
    other = {"Authorization": f"PVEAPIToken=root@pam!other={info.token_secret}"}
    r = http.get(info.api_url + API + "/version", headers=other)
    assert (r.status_code, r.reason) == (401, "no such token 'other' for user 'root@pam'")


def test_token_setting_keyctl_is_403_and_changes_nothing(info, px):
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc.post(
            vmid=150,
            ostemplate=TEMPLATE,
            hostname="k",
            rootfs="local-lvm:4",
            unprivileged=1,
            features="nesting=1,keyctl=1",
        )
    assert err.value.status_code == 403
    assert err.value.content == (
        "Permission check failed (changing feature flags (except nesting) is only allowed for "
        "root@pam)"
    )
    assert 150 not in [int(c["vmid"]) for c in px.nodes("pve1").lxc.get()]
    # nesting alone is fine with a token; keyctl afterwards is refused again
    assert create_ct(px, "pve1", 150)["exitstatus"] == "OK"
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc(150).config.put(features="nesting=1,keyctl=1")
    assert err.value.status_code == 403
    assert px.nodes("pve1").lxc(150).config.get()["features"] == "nesting=1"


def test_root_ticket_may_set_keyctl(info):
    px = px_password(info)
    assert create_ct(px, "pve1", 151, features="nesting=1,keyctl=1")["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(151).config.get()["features"] == "keyctl=1,nesting=1"
    upid = px.nodes("pve1").lxc(151).status.start.post()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"


def test_tasks_record_who_started_them(info):
    upid = (
        px_token(info)
        .nodes("pve1")
        .aplinfo.post(storage="local", template="alpine-3.22-default_20250617_amd64.tar.xz")
    )
    assert upid.endswith(":download:alpine-3.22-default_20250617_amd64.tar.xz:root@pam!proximity:")


def test_token_may_not_set_flags_on_a_privileged_ct(px):
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc.post(vmid=152, ostemplate=TEMPLATE, features="nesting=1")
    assert (err.value.status_code, err.value.content) == (
        403,
        "Permission check failed (changing feature flags for privileged container is only "
        "allowed for root@pam)",
    )
