"""Environment values adoption left unknown are re-entered or re-generated, never invented
(issue 18): `AppService.set_env` writes the CT's `.env` and the row in one journaled operation.
Real SQLite files, the simulator over HTTPS and SSH."""

from __future__ import annotations

import json

import pytest

from proximity_tui.errors import BusyError, PermissionDenied, ProximityError, ValidationError
from proximity_tui.store import repositories as repo
from tests.integration.services.conftest import inside, make_services


@pytest.fixture
def adopted(sim, faults, tmp_path, hostname):
    """A vaultwarden deployed by instance A, adopted by instance B (its values unknown there)."""
    a = make_services(sim, tmp_path, name="a.sqlite")
    b = make_services(sim, tmp_path, name="b.sqlite")
    try:
        app = a.call(a.apps.deploy_app("vaultwarden", f"{hostname}-v"))
        b.call(b.apps.adopt(b.call(b.apps.plan_adoption(vmids=(app.vmid,)))))
        yield a, b, app
    finally:
        for svc in (a, b):
            svc.close(wait=30)


def env_file(sim, app) -> str:
    return inside(sim, app.vmid).read_file(f"/opt/proximity/{app.hostname}/.env").decode()


def row(services, app_id):
    with services.db.session(readonly=True) as s:
        found = repo.get_app(s, app_id)
        return dict(found.environment), dict(found.config)


def everything_journaled(services) -> str:
    ops = services.call(services.apps.operations())
    full = [services.call(services.apps.operation(o.id)) for o in ops]
    return json.dumps([repr(o) for o in full])


def test_unknown_values_are_listed_then_set_and_generated(sim, adopted):
    a, b, app = adopted
    listed = {v.name: v for v in b.call(b.apps.env_values(app.id))}
    assert not listed["ADMIN_TOKEN"].known and listed["ADMIN_TOKEN"].secret
    assert listed["ADMIN_TOKEN"].generated and not listed["SIGNUPS_ALLOWED"].generated
    assert not listed["SIGNUPS_ALLOWED"].known
    before = env_file(sim, app)
    old_token = a.call(a.apps.reveal_secret(app.id, "ADMIN_TOKEN"))
    assert f"ADMIN_TOKEN='{old_token}'" in before

    names = b.call(b.apps.set_env(app.id, {"SIGNUPS_ALLOWED": "false"}, generate=("ADMIN_TOKEN",)))
    assert names == ["ADMIN_TOKEN", "SIGNUPS_ALLOWED"]
    env, config = row(b, app.id)
    token = env["ADMIN_TOKEN"]
    assert len(token) == 48 and token != old_token  # the entry's generator and length
    assert env["SIGNUPS_ALLOWED"] == "false" and config["environment_unknown"] == []
    assert "ADMIN_TOKEN" in config["secret_names"]
    after = env_file(sim, app)
    assert f"ADMIN_TOKEN='{token}'" in after and "SIGNUPS_ALLOWED='false'" in after
    assert old_token not in after and len(after.splitlines()) == len(before.splitlines())
    mode = inside(sim, app.vmid).fs.mode(f"/opt/proximity/{app.hostname}/.env") & 0o777
    assert mode == 0o600
    assert all(v.known for v in b.call(b.apps.env_values(app.id)))
    op = b.call(b.apps.operations(app_id=app.id))[0]
    assert (op.kind, op.status) == ("env", "succeeded")
    assert token not in everything_journaled(b)  # the journal has the names only
    assert b.call(b.apps.reveal_secret(app.id, "ADMIN_TOKEN")) == token


def test_bad_input_changes_nothing(sim, adopted):
    a, b, app = adopted
    before_file, before_row = env_file(sim, app), row(b, app.id)
    ops_before = len(b.call(b.apps.operations()))
    bad = [
        ({"NOPE": "x"}, (), "declares no variable 'NOPE'"),
        ({}, ("NOPE",), "declares no variable 'NOPE'"),
        ({}, ("SIGNUPS_ALLOWED",), "not a generated secret"),
        ({"SIGNUPS_ALLOWED": "a\nB=c"}, (), "line breaks"),
        ({"SIGNUPS_ALLOWED": "trailing\\"}, (), "backslash"),
        ({"ADMIN_TOKEN": "x"}, ("ADMIN_TOKEN",), "both set and generated"),
        ({}, (), "nothing to set"),
    ]
    for values, generate, message in bad:
        with pytest.raises(ValidationError, match=message):
            b.call(b.apps.set_env(app.id, values, generate=generate))
    # A viewer, a read-only session.
    b.apps.read_only = True
    with pytest.raises(PermissionDenied):
        b.call(b.apps.set_env(app.id, {"SIGNUPS_ALLOWED": "false"}))
    b.apps.read_only = False
    with b.db.session() as s:
        repo.get_user(s, b.user.id).role = "viewer"
    from proximity_tui.services.users import acting_user

    admin, b.apps.user = b.apps.user, acting_user(b.db, b.user.username)
    with pytest.raises(PermissionDenied):
        b.call(b.apps.set_env(app.id, {"SIGNUPS_ALLOWED": "false"}))
    b.apps.user = admin
    # Busy: another operation holds the app.
    gate = sim.faults.hold(task="vzsnapshot")
    update = b.runtime.submit(b.apps.update_app(app.id))
    try:
        assert gate.wait_until(lambda g: g.holding >= 1)
        with pytest.raises(BusyError):
            b.call(b.apps.set_env(app.id, {"SIGNUPS_ALLOWED": "false"}))
    finally:
        gate.open()
    update.result(timeout=60)
    ops_before += 1  # the update
    # Stopped: the .env is written inside the running CT.
    b.call(b.apps.stop_app(app.id))
    ops_before += 1
    with pytest.raises(ValidationError, match="start it first"):
        b.call(b.apps.set_env(app.id, {"SIGNUPS_ALLOWED": "false"}))
    assert env_file(sim, app) == before_file
    assert row(b, app.id)[0] == before_row[0]
    assert row(b, app.id)[1]["environment_unknown"] == before_row[1]["environment_unknown"]
    assert len(b.call(b.apps.operations())) == ops_before


def test_a_failure_recording_puts_the_old_env_back(sim, adopted):
    a, b, app = adopted
    before_file = env_file(sim, app)
    # The new .env is pushed while the push is held; the row goes meanwhile (another process
    # deleting the app), so recording fails and the operation puts the old file back.
    gate = sim.faults.hold(command=r"cat > ")
    job = b.runtime.submit(b.apps.set_env(app.id, {"SIGNUPS_ALLOWED": "false"}))
    assert gate.wait_until(lambda g: g.holding >= 1)
    with b.db.session() as s:
        repo.delete_app(s, app.id)
    gate.open()
    with pytest.raises(ProximityError):
        job.result(timeout=60)
    assert env_file(sim, app) == before_file
    op = b.call(b.apps.operations())[0]
    assert op.kind == "env" and op.status in ("rolled_back", "failed")
