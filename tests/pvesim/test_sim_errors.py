"""PVE's error model over the wire: status, reason phrase (first line), body, and which errors are
synchronous and which only show in the task."""

from __future__ import annotations

import pytest
from proxmoxer.core import ResourceException
from sim_helpers import TEMPLATE, create_ct, token_header, wait

API = "/api2/json"


@pytest.fixture(scope="module")
def call(info, http):
    def do(method: str, path: str, headers=None, **kwargs):
        headers = {**token_header(info), **(headers or {})}
        return http.request(method, info.api_url + API + path, headers=headers, **kwargs)

    return do


def _param_error(r, errors):
    assert (r.status_code, r.reason) == (400, "Parameter verification failed.")
    assert r.json() == {
        "data": None,
        "message": "Parameter verification failed.\n",
        "errors": errors,
    }


def test_unknown_parameter_is_rejected(call):
    r = call("GET", "/cluster/resources", params={"type": "vm", "foo": "1"})
    _param_error(
        r,
        {
            "foo": "property is not defined in schema and the schema does not allow "
            "additional properties"
        },
    )


def test_missing_required_parameter(call):
    r = call("POST", "/nodes/pve1/lxc", data={"vmid": "300"})
    _param_error(r, {"ostemplate": "property is missing and it is not optional"})


def test_integer_type_check_in_path_and_body(call):
    r = call("GET", "/nodes/pve1/lxc/abc/status/current")
    _param_error(r, {"vmid": "type check ('integer') failed - got 'abc'"})
    r = call(
        "POST", "/nodes/pve1/lxc", data={"vmid": "300", "ostemplate": TEMPLATE, "memory": "lots"}
    )
    _param_error(r, {"memory": "type check ('integer') failed - got 'lots'"})


def test_true_is_not_a_boolean(px):
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc.post(vmid=301, ostemplate=TEMPLATE, unprivileged=True)
    assert err.value.status_code == 400
    assert err.value.content == "Parameter verification failed."
    assert err.value.errors == {"unprivileged": "type check ('boolean') failed - got 'True'"}


def test_ranges_enums_lengths_and_formats(call):
    r = call(
        "POST",
        "/nodes/pve1/lxc",
        data={
            "vmid": "300",
            "ostemplate": TEMPLATE,
            "memory": "8",
            "cores": "9000",
            "arch": "sparc",
            "hostname": "bad_name",
            "password": "abc",
        },
    )
    _param_error(
        r,
        {
            "memory": "value must have a minimum value of 16",
            "cores": "value must have a maximum value of 8192",
            "arch": "value 'sparc' does not have a value in the enumeration "
            "'amd64, i386, arm64, armhf, riscv32, riscv64'",
            "hostname": "invalid format - value does not look like a valid DNS name\n",
            "password": "value must be at least 5 characters long",
        },
    )
    r = call("GET", "/cluster/nextid", params={"vmid": "99"})
    _param_error(r, {"vmid": "invalid format - value does not look like a valid VM ID\n"})


def test_property_string_errors_name_the_inner_key(call):
    r = call(
        "POST",
        "/nodes/pve1/lxc",
        data={
            "vmid": "300",
            "ostemplate": TEMPLATE,
            "net0": "bridge=vmbr0,ip=10.0.0.300/24",
            "features": "nesting=1,docker=1",
        },
    )
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["net0"] == (
        "invalid format - format error\n"
        # the inner message keeps its own newline, as PVE's exception text does
        "net0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n"
        "net0.name: property is missing and it is not optional\n"
    )
    assert errors["features"] == (
        "invalid format - invalid key in comma-separated list property: docker\n"
    )


def test_unknown_path_is_501_never_404(call):
    r = call("GET", "/nodes/pve1/foo")
    assert (r.status_code, r.reason) == (501, "Method 'GET /nodes/pve1/foo' not implemented")
    assert r.json()["message"] == "Method 'GET /nodes/pve1/foo' not implemented\n"
    r = call("DELETE", "/version")
    assert (r.status_code, r.reason) == (501, "Method 'DELETE /version' not implemented")
    r = call("GET", "/nothing/here/at/all")
    assert r.status_code == 501


def test_body_on_get_or_delete_is_501(call):
    r = call(
        "GET", "/version", data="a=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (r.status_code, r.reason) == (501, "Unexpected content for method 'GET'")
    r = call("DELETE", "/nodes/pve1/lxc/102", data={"force": "1"})
    assert (r.status_code, r.reason) == (501, "Unexpected content for method 'DELETE'")
    assert r.content == b""


def test_unknown_node_and_ct(call):
    r = call("GET", "/nodes/pve9/lxc")
    assert r.status_code == 500
    assert r.reason.startswith("hostname lookup 'pve9' failed")
    r = call("GET", "/nodes/pve1/lxc/999/status/current")
    assert (r.status_code, r.reason) == (
        500,
        "Configuration file 'nodes/pve1/lxc/999.conf' does not exist",
    )
    # a CT that lives on another node is just as absent here
    r = call("GET", "/nodes/pve2/lxc/102/config")
    assert (r.status_code, r.reason) == (
        500,
        "Configuration file 'nodes/pve2/lxc/102.conf' does not exist",
    )


def test_business_errors_are_500_with_pve_texts(px):
    cases = [
        (lambda: px.nodes("pve1").lxc(102).status.start.post(), "CT 102 already running"),
        (lambda: px.nodes("pve3").lxc(103).status.stop.post(), "CT 103 not running"),
        (lambda: px.nodes("pve3").lxc(103).status.shutdown.post(), "CT 103 not running"),
        (
            lambda: px.nodes("pve1").lxc(102).delete(),
            "unable to destroy CT 102 - container is running",
        ),
        (
            lambda: px.nodes("pve1").lxc.post(vmid=102, ostemplate=TEMPLATE),
            "CT 102 already exists on node 'pve1'",
        ),
        (
            lambda: px.nodes("pve2").lxc.post(vmid=100, ostemplate=TEMPLATE),
            "VM 100 already exists on node 'pve1'",
        ),
        (
            lambda: px.nodes("pve1").lxc(102).clone.post(newid=320),
            "Full clone of a running container is only possible from a snapshot",
        ),
    ]
    for action, text in cases:
        with pytest.raises(ResourceException) as err:
            action()
        assert (err.value.status_code, err.value.content) == (500, text)


def test_nextid_is_a_string_and_vmid_check(px, call):
    nextid = px.cluster.nextid.get()
    assert isinstance(nextid, str) and int(nextid) >= 100
    assert px.cluster.nextid.get(vmid=4242) == "4242"
    r = call("GET", "/cluster/nextid", params={"vmid": "102"})
    _param_error(r, {"vmid": "VM 102 already exists"})


def test_some_errors_only_show_in_the_task(px):
    status = create_ct(px, "pve2", 330)  # the template is cached on pve1 only
    assert status["status"] == "stopped"
    text = (
        "unable to create CT 330 - volume "
        "'local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz' does not exist"
    )
    assert status["exitstatus"] == text
    log = px.nodes("pve2").tasks(status["upid"]).log.get()
    assert log[-1]["t"] == f"TASK ERROR: {text}"
    # the failed create leaves nothing behind
    assert 330 not in [int(c["vmid"]) for c in px.nodes("pve2").lxc.get()]
    content = px.nodes("pve2").storage("local-lvm").content.get()
    assert not [v for v in content if v.get("vmid") == 330]


def test_storage_without_container_support_is_a_400(px):
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc.post(vmid=331, ostemplate=TEMPLATE, rootfs="local:4")
    assert err.value.status_code == 400
    assert err.value.errors == {"storage": "storage 'local' does not support container directories"}


def test_config_lock_makes_others_wait_then_fail(sim, px):
    assert create_ct(px, "pve1", 340)["exitstatus"] == "OK"
    gate = sim.faults.hold(task="vzstart", vmid=340)  # runs (holding the lock file) until opened
    upid = px.nodes("pve1").lxc(340).status.start.post()
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc(340).status.start.post()
    assert err.value.content == "can't lock file '/run/lock/lxc/pve-config-340.lock' - got timeout"
    gate.open()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"


def test_lock_property_refuses_other_operations(sim, px):
    gate = sim.faults.hold(task="vzsnapshot", vmid=340)  # runs until opened
    upid = px.nodes("pve1").lxc(340).snapshot.post(snapname="s1")
    status = px.nodes("pve1").lxc(340).status.current.get()
    assert status["lock"] == "snapshot"
    resources = {r["vmid"]: r for r in px.cluster.resources.get(type="vm")}
    assert resources[340]["lock"] == "snapshot"
    gate.open()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    sim.call(lambda: sim.state.guests[340].config.__setitem__("lock", "backup"))
    try:
        with pytest.raises(ResourceException) as err:
            px.nodes("pve1").lxc(340).status.stop.post()
        assert err.value.content == "CT is locked (backup)"
        with pytest.raises(ResourceException) as err:
            px.nodes("pve1").lxc(340).config.put(memory=1024)
        assert err.value.content == "CT is locked (backup)"
        # a snapshot of a locked CT fails in its task, as PVE's does
        status = wait(px, "pve1", px.nodes("pve1").lxc(340).snapshot.post(snapname="s2"))
        assert status["exitstatus"] == "CT is locked (backup)"
    finally:
        sim.call(lambda: sim.state.guests[340].config.pop("lock"))


def test_stopping_a_task_interrupts_it(sim, px):
    sim.faults.hold(task="vzstop", vmid=340)  # runs until stopped
    upid = px.nodes("pve1").lxc(340).status.stop.post()
    assert px.nodes("pve1").tasks(upid).status.get()["status"] == "running"
    assert px.nodes("pve1").tasks(upid).delete() is None
    status = wait(px, "pve1", upid)
    assert status["exitstatus"] == "received interrupt"
    assert px.nodes("pve1").lxc(340).status.current.get()["status"] == "running"


def test_unknown_task(call):
    r = call(
        "GET", "/nodes/pve1/tasks/UPID:pve1:00000001:00000001:00000001:vzstart:1:root@pam:/status"
    )
    _param_error(r, {"upid": "no such task"})
    r = call("GET", "/nodes/pve1/tasks/garbage/status")
    _param_error(r, {"upid": "unable to parse worker upid"})


def test_ssh_keys_are_validated(px):
    with pytest.raises(ResourceException) as err:
        px.nodes("pve1").lxc.post(vmid=350, ostemplate=TEMPLATE, **{"ssh-public-keys": "not a key"})
    assert (err.value.status_code, err.value.content) == (500, "SSH public key validation error")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyFakeKeyFakeKeyFakeKeyFakeKeyFake me@host"
    assert create_ct(px, "pve1", 350, **{"ssh-public-keys": key})["exitstatus"] == "OK"


def test_no_free_vmid(px, monkeypatch):
    import pvesim.state as state_module

    # 100 and 101 are the pre-existing VMs: a range of just them is full
    monkeypatch.setattr(state_module, "VMID_MAX", 102)
    with pytest.raises(ResourceException) as err:
        px.cluster.nextid.get()
    assert (err.value.status_code, err.value.content) == (
        500,
        "unable to get any free VMID in range [100, 102]",
    )


def test_skiplock_is_for_root_only(px):
    with pytest.raises(ResourceException) as err:
        px.nodes("pve3").lxc(103).status.start.post(skiplock=1)
    assert err.value.status_code == 400
    assert err.value.errors == {"skiplock": "Only root may use this option."}
