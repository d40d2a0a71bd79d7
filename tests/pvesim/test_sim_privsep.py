"""Privilege separation and real ACL evaluation (`privsep-token`), over real HTTPS: the token
handed out holds nothing, and what root@pam sets up (user, role, pool, token, ACLs) is exactly
what a least-privilege token can then do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from proxmoxer import ProxmoxAPI
from proxmoxer.core import ResourceException
from sim_helpers import TEMPLATE, px_password, px_token, wait

from pvesim.server import Simulator

PRIVS = (
    "VM.Allocate,VM.Audit,VM.Config.CPU,VM.Config.Disk,VM.Config.Memory,VM.Config.Network,"
    "VM.Config.Options,VM.PowerMgmt,VM.Snapshot,VM.Backup,VM.Clone,Datastore.AllocateSpace,"
    "Datastore.Audit,Sys.Audit,SDN.Use,Pool.Audit"
)
NET = "name=eth0,bridge=vmbr0,ip=dhcp"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(time_scale=0, seed=5, profiles="privsep-token") as s:
        yield s


@pytest.fixture(scope="module")
def root(sim) -> ProxmoxAPI:
    return px_password(sim.info)


def _denied(call, *args, **kwargs) -> str:
    with pytest.raises(ResourceException) as exc:
        call(*args, **kwargs)
    assert exc.value.status_code == 403
    return exc.value.content


def _token_api(sim: Simulator, full: str, secret: str) -> ProxmoxAPI:
    user, name = full.split("!")
    info = sim.info
    return ProxmoxAPI(info.host, port=info.api_port, user=user, token_name=name,
                      token_value=secret, verify_ssl=info.ca_pem_path, timeout=10)  # fmt: skip


def test_the_default_privsep_token_holds_nothing(sim):
    px = px_token(sim.info)
    assert px.access.permissions.get() == {}
    # silent filtering, not 403: no guests, nodes without their figures
    assert px.cluster.resources.get(type="vm") == []
    node = px.nodes.get()[0]
    assert "maxmem" not in node and "mem" not in node and node["ssl_fingerprint"]
    assert px.nodes("pve1").storage.get() == []
    assert px.nodes("pve1").lxc.get() == []
    assert (
        _denied(px.nodes("pve1").lxc(102).status.stop.post)
        == "Permission check failed (/vms/102, VM.PowerMgmt)"
    )
    assert (
        _denied(px.nodes("pve1").apt.versions.get)
        == "Permission check failed (/nodes/pve1, Sys.Audit)"
    )
    assert _denied(
        px.nodes("pve1").lxc.post, vmid=400, ostemplate=TEMPLATE, rootfs="local-lvm:2"
    ) == ("Permission check failed (/vms/400, VM.Allocate)")


def test_setup_as_root_then_a_least_privilege_token_deploys(sim, root):
    root.access.roles.post(roleid="Proximity", privs=PRIVS)
    root.access.users.post(userid="proximity@pve", comment="Proximity TUI")
    root.pools.post(poolid="proximity")
    made = root.access.users("proximity@pve").token("app").post()
    assert made["full-tokenid"] == "proximity@pve!app" and made["info"]["privsep"] == 1
    px = _token_api(sim, made["full-tokenid"], made["value"])
    assert px.access.permissions.get() == {}
    for path in ("/pool/proximity", "/storage/local-lvm", "/storage/local", "/nodes"):
        root.access.acl.put(path=path, roles="Proximity", users="proximity@pve",
                            tokens="proximity@pve!app")  # fmt: skip

    # no SDN.Use on the bridge yet (PVE 8+): attaching a NIC is refused
    create = dict(vmid=400, ostemplate=TEMPLATE, rootfs="local-lvm:2", net0=NET, pool="proximity",
                  features="nesting=1", unprivileged=1)  # fmt: skip
    assert (
        _denied(px.nodes("pve1").lxc.post, **create)
        == "Permission check failed (/sdn/zones/localnetwork/vmbr0, SDN.Use)"
    )
    root.access.acl.put(path="/sdn/zones/localnetwork/vmbr0", roles="PVESDNUser",
                        users="proximity@pve", tokens="proximity@pve!app")  # fmt: skip
    # VM.Allocate comes from the pool, so the CT must go into it
    assert _denied(px.nodes("pve1").lxc.post, **{**create, "pool": None, "vmid": 401}) == (
        "Permission check failed (/vms/401, VM.Allocate)"
    )
    assert wait(px, "pve1", px.nodes("pve1").lxc.post(**create))["exitstatus"] == "OK"
    assert [m["vmid"] for m in root.pools("proximity").get()["members"]] == [400]
    ct = px.nodes("pve1").lxc(400)
    assert wait(px, "pve1", ct.status.start.post())["exitstatus"] == "OK"
    assert [(r["vmid"], r["pool"]) for r in px.cluster.resources.get(type="vm")] == [
        (400, "proximity")
    ]
    assert {
        "id": "/pool/proximity",
        "pool": "proximity",
        "type": "pool",
    } in px.cluster.resources.get()
    assert px.nodes.get()[0]["maxmem"] > 0
    effective = px.access.permissions.get()
    assert (
        "VM.PowerMgmt" in effective["/vms/400"] and "VM.PowerMgmt" in effective["/pool/proximity"]
    )
    assert px.access.permissions.get(path="/vms/102") == {"/vms/102": {}}
    # only nesting: the other feature flags stay root@pam's
    assert _denied(ct.config.put, features="nesting=1,keyctl=1") == (
        "Permission check failed (changing feature flags (except nesting) is only allowed for "
        "root@pam)"
    )
    assert _denied(px.nodes("pve1").lxc(102).status.current.get) == (
        "Permission check failed (/vms/102, VM.Audit)"
    )
    # destroying takes the CT out of the pool
    wait(px, "pve1", ct.status.stop.post())
    assert wait(px, "pve1", ct.delete(purge=1))["exitstatus"] == "OK"
    assert root.pools("proximity").get()["members"] == []


def test_a_privsep_token_gets_no_more_than_its_user(sim, root):
    root.access.users.post(userid="half@pve")
    made = root.access.users("half@pve").token("tk").post()
    root.access.acl.put(path="/vms/102", roles="PVEVMAdmin", tokens="half@pve!tk")
    px = _token_api(sim, made["full-tokenid"], made["value"])
    assert px.access.permissions.get(path="/vms/102") == {"/vms/102": {}}
    root.access.acl.put(path="/vms", roles="PVEAuditor", users="half@pve")
    assert set(px.access.permissions.get(path="/vms/102")["/vms/102"]) == {
        "VM.Audit",
        "VM.GuestAgent.Audit",
    }
    # a token without privilege separation has exactly its user's privileges
    full = root.access.users("half@pve").token("all").post(privsep=0)
    px_all = _token_api(sim, full["full-tokenid"], full["value"])
    assert px_all.access.permissions.get(path="/vms/103") == root.access.permissions.get(
        path="/vms/103", userid="half@pve"
    )


def test_admin_api_refuses_bad_input_and_changes_nothing(sim, root):
    with pytest.raises(ResourceException) as exc:
        root.access.roles.post(roleid="Bad", privs="VM.Audit,VM.Fly")
    assert exc.value.status_code == 400 and exc.value.errors == {
        "privs": "invalid privilege 'VM.Fly'"
    }
    assert "Bad" not in {r["roleid"] for r in root.access.roles.get()}
    with pytest.raises(ResourceException) as exc:
        root.access.acl.put(path="/vms/102", roles="NoSuchRole", users="root@pam")
    assert exc.value.content == "role 'NoSuchRole' does not exist"
    with pytest.raises(ResourceException) as exc:
        root.access.acl.put(path="/nowhere", roles="PVEAuditor", users="root@pam")
    assert exc.value.errors == {"path": "invalid ACL path '/nowhere'"}
    assert not any(a["path"] in ("/nowhere", "/vms/102") and a["ugid"] == "root@pam"
                   for a in root.access.acl.get())  # fmt: skip
    with pytest.raises(ResourceException) as exc:
        root.pools.post(poolid="proximity")
    assert exc.value.content == "create pool failed: pool 'proximity' already exists"


def test_setup_can_be_undone_and_bridges_show_by_sdn_grant(sim, root):
    root.access.roles.post(roleid="Tmp", privs="VM.Audit")
    root.access.users.post(userid="tmp@pve")
    root.pools.post(poolid="tmp")
    made = root.access.users("tmp@pve").token("app").post()
    assert root.access.users("tmp@pve").token("app").get() == {"privsep": 1, "expire": 0}
    px = _token_api(sim, made["full-tokenid"], made["value"])
    assert px.nodes("pve1").network.get(type="any_bridge") == []
    root.access.users.post(userid="other@pve")
    root.access.acl.put(path="/sdn/zones/localnetwork/vmbr0", roles="PVESDNUser",
                        users="tmp@pve", tokens="tmp@pve!app")  # fmt: skip
    assert [i["iface"] for i in px.nodes("pve1").network.get(type="any_bridge")] == ["vmbr0"]
    with pytest.raises(ResourceException) as exc:
        root.access.roles.post(roleid="pveX", privs="VM.Audit")
    assert exc.value.errors == {
        "roleid": "cannot use role ID starting with the (case-insensitive) 'PVE' namespace"
    }
    # the undo, in reverse order
    root.access.users("tmp@pve").delete()
    root.pools("tmp").delete()
    root.access.roles("Tmp").delete()
    assert "tmp@pve" not in {u["userid"] for u in root.access.users.get()}
    assert "tmp" not in {p["poolid"] for p in root.pools.get()}
    assert not any(a["ugid"].startswith("tmp@pve") for a in root.access.acl.get())
    with pytest.raises(Exception):  # noqa: B017 - the token went with its user
        px.version.get()
    with pytest.raises(ResourceException) as exc:
        root.access.roles("PVEAuditor").delete()
    assert exc.value.content == "auto-generated role 'PVEAuditor' cannot be deleted"


def test_pve7_knows_no_sdn_use_and_does_not_check_bridges():
    with Simulator(time_scale=0, profiles="pve7,privsep-token") as sim:
        root = px_password(sim.info)
        with pytest.raises(ResourceException) as exc:
            root.access.roles.post(roleid="Proximity", privs="VM.Audit,SDN.Use")
        assert exc.value.errors == {"privs": "invalid privilege 'SDN.Use'"}
        root.access.roles.post(roleid="Proximity", privs=PRIVS.replace(",SDN.Use", ""))
        root.pools.post(poolid="proximity")
        root.access.acl.put(path="/pool/proximity", roles="Proximity", users="root@pam",
                            tokens="root@pam!proximity")  # fmt: skip
        root.access.acl.put(path="/storage", roles="Proximity", tokens="root@pam!proximity")
        px = px_token(sim.info)
        create = dict(vmid=400, ostemplate=TEMPLATE, rootfs="local-lvm:2", net0=NET,
                      pool="proximity", unprivileged=1)  # fmt: skip
        assert wait(px, "pve1", px.nodes("pve1").lxc.post(**create))["exitstatus"] == "OK"


def test_tags_at_create_need_the_new_id_not_the_pool(sim, root):
    """pve-guest-common assert_tag_permissions checks /vms/<vmid> without the pool: a token whose
    VM privileges come from the pool cannot tag a CT it creates there, only tag it later."""
    made = root.access.users("proximity@pve").token("tags").post()
    for path in ("/pool/proximity", "/storage", "/sdn/zones/localnetwork/vmbr0"):
        root.access.acl.put(path=path, roles="Proximity", tokens="proximity@pve!tags")
    px = _token_api(sim, made["full-tokenid"], made["value"])
    create = dict(vmid=410, ostemplate=TEMPLATE, rootfs="local-lvm:2", net0=NET,
                  pool="proximity", unprivileged=1)  # fmt: skip
    assert _denied(px.nodes("pve1").lxc.post, **create, tags="proximity") == (
        "Permission check failed (/vms/410, VM.Config.Options)"
    )
    assert wait(px, "pve1", px.nodes("pve1").lxc.post(**create))["exitstatus"] == "OK"
    px.nodes("pve1").lxc(410).config.put(tags="proximity")
    assert px.nodes("pve1").lxc(410).config.get()["tags"] == "proximity"
