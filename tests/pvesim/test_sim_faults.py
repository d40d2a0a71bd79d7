"""Injected faults, as a client sees them; the control endpoint; going offline; call counters."""

from __future__ import annotations

import time

import pytest
import requests
from proxmoxer.core import ResourceException
from sim_helpers import create_ct, px_token, token_header, wait

from pvesim.faults import FaultRule
from pvesim.gates import Gate


@pytest.fixture(autouse=True)
def _clean_faults(sim):
    sim.faults.clear()
    yield
    sim.faults.clear()
    sim.set_offline(False)


def test_http_error_fault_fires_once(sim, info, http):
    sim.faults.add(
        FaultRule(
            method="GET",
            path="/cluster/resources",
            http_status=500,
            message="cfs-lock 'file-user_cfg' error: got lock request timeout\nmore",
        )
    )
    url = info.api_url + "/api2/json/cluster/resources"
    r = http.get(url, headers=token_header(info))
    assert (r.status_code, r.reason) == (
        500,
        "cfs-lock 'file-user_cfg' error: got lock request timeout",
    )
    assert r.json() == {
        "data": None,
        "message": "cfs-lock 'file-user_cfg' error: got lock request timeout\nmore\n",
    }
    assert http.get(url, headers=token_header(info)).status_code == 200


def test_fault_narrowed_to_a_vmid_and_counted(sim, px):
    sim.faults.add(
        FaultRule(
            path="/nodes/*/lxc/*/status/current",
            vmid=104,
            http_status=503,
            message="service unavailable",
            times=2,
        )
    )
    assert px.nodes("pve1").lxc(102).status.current.get()["vmid"] == 102
    for _ in range(2):
        with pytest.raises(ResourceException) as err:
            px.nodes("pve3").lxc(104).status.current.get()
        assert (err.value.status_code, err.value.content) == (503, "service unavailable")
    assert px.nodes("pve3").lxc(104).status.current.get()["vmid"] == 104
    assert sim.faults.rules() == []


def test_delay_and_latency(sim, px):
    sim.faults.add(FaultRule(path="/version", delay=0.3))
    started = time.monotonic()
    px.version.get()
    assert time.monotonic() - started >= 0.3
    sim.faults.latency = 0.2
    started = time.monotonic()
    px.nodes.get()
    assert time.monotonic() - started >= 0.2


def test_dropped_connection(sim, px):
    sim.faults.add(FaultRule(path="/nodes", drop=True))
    with pytest.raises(requests.exceptions.ConnectionError):
        px.nodes.get()
    assert len(px.nodes.get()) == 3


def test_probability_zero_never_fires(sim, px):
    sim.faults.add(FaultRule(path="/version", http_status=500, probability=0.0, times=None))
    for _ in range(5):
        px.version.get()


def test_task_fault_fails_the_task_and_changes_nothing(sim, px):
    assert create_ct(px, "pve1", 400)["exitstatus"] == "OK"
    sim.faults.add(
        FaultRule(task="vzstart", vmid=400, task_error="startup for container '400' failed")
    )
    upid = px.nodes("pve1").lxc(400).status.start.post()
    status = wait(px, "pve1", upid)
    assert status["exitstatus"] == "startup for container '400' failed"
    log = px.nodes("pve1").tasks(upid).log.get()
    assert log[-1]["t"] == "TASK ERROR: startup for container '400' failed"
    assert px.nodes("pve1").lxc(400).status.current.get()["status"] == "stopped"
    # the next start works
    assert wait(px, "pve1", px.nodes("pve1").lxc(400).status.start.post())["exitstatus"] == "OK"


def test_failed_create_rolls_back(sim, px):
    sim.faults.add(FaultRule(task="vzcreate", task_error="unable to create CT 401 - disk full"))
    status = create_ct(px, "pve1", 401)
    assert status["exitstatus"] == "unable to create CT 401 - disk full"
    assert 401 not in [c["vmid"] for c in px.nodes("pve1").lxc.get()]
    assert create_ct(px, "pve1", 401)["exitstatus"] == "OK"


def test_faults_from_a_file(tmp_path):
    from pvesim.faults import FaultSet

    path = tmp_path / "faults.json"
    path.write_text('{"latency": 0.05, "rules": [{"path": "/version", "http_status": 500}]}')
    faults = FaultSet.from_file(path)
    assert faults.latency == 0.05
    assert faults.rules()[0].http_status == 500


# --- control endpoint -------------------------------------------------------------------------


def _control(http, info, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {info.token_secret}"}
    return http.request(method, f"{info.control_url}{path}", headers=headers, **kwargs)


def test_control_needs_the_secret(info, http):
    r = http.get(info.control_url + "/faults")
    assert r.status_code == 401
    r = http.get(info.control_url + "/faults", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    # the API token header is no way in either
    assert http.get(info.control_url + "/faults", headers=token_header(info)).status_code == 401


def test_control_adds_lists_and_removes_rules(sim, info, http, px):
    r = _control(
        http,
        info,
        "POST",
        "/faults",
        json={"path": "/version", "http_status": 500, "message": "broken", "times": None},
    )
    assert r.status_code == 200
    rule_id = r.json()["ids"][0]
    with pytest.raises(ResourceException) as err:
        px.version.get()
    assert err.value.content == "broken"
    listed = _control(http, info, "GET", "/faults").json()
    assert listed["rules"][0]["id"] == rule_id and listed["rules"][0]["fired"] == 1
    assert _control(http, info, "DELETE", f"/faults/{rule_id}").status_code == 200
    assert px.version.get()["release"] == "9.1"
    assert _control(http, info, "DELETE", f"/faults/{rule_id}").status_code == 400
    bad = _control(http, info, "POST", "/faults", json={"paht": "/version"})
    assert bad.status_code == 400 and "paht" in bad.json()["error"]
    assert sim.faults.rules() == []
    r = _control(
        http,
        info,
        "POST",
        "/faults",
        json={"latency": 0.01, "rules": [{"task": "vzstop", "task_error": "x"}]},
    )
    assert r.json()["latency"] == 0.01 and len(r.json()["rules"]) == 1
    assert _control(http, info, "DELETE", "/faults").json() == {"latency": 0.0, "rules": []}


def test_control_offline_drops_api_calls_only(info, http, px):
    assert _control(http, info, "POST", "/offline", json={"offline": True}).status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        px.version.get()
    assert _control(http, info, "POST", "/offline", json={"offline": False}).status_code == 200
    assert px.version.get()["release"] == "9.1"


def test_set_offline_refuses_connections_then_recovers(sim, info):
    sim.set_offline(True)
    with pytest.raises(requests.exceptions.ConnectionError):
        px_token(info).version.get()
    sim.set_offline(False)
    assert px_token(info).version.get()["release"] == "9.1"
    sim.set_offline(True, mode="drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        px_token(info).version.get()
    sim.set_offline(False)


def test_stats_count_calls_by_template(sim, info, http, px):
    sim.stats.reset()
    px.cluster.resources.get(type="vm")
    px.nodes("pve1").lxc(102).status.current.get()
    px.nodes("pve3").lxc(104).status.current.get()
    assert sim.stats.get("GET /cluster/resources") == 1
    assert sim.stats.get("GET /nodes/{node}/lxc/{vmid}/status/current") == 2
    assert sim.stats.total == 3
    remote = _control(http, info, "GET", "/stats").json()
    assert remote["total"] == 3
    _control(http, info, "DELETE", "/stats")
    assert sim.stats.total == 0


# --- gates (a test facility: a call waits until the test opens the gate) ------------------------


def test_a_gated_call_waits_until_the_gate_opens_then_answers(sim, px):
    import concurrent.futures

    gate = sim.faults.gate("version")
    sim.faults.add(FaultRule(path="/version", gate="version"))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(px.version.get)
        assert gate.wait_until(lambda g: g.arrived == 1)
        assert not answer.done() and gate.holding == 1
        assert px.nodes.get()  # other calls are not held
        gate.open()
        assert answer.result(10)["release"] == "9.1"
    assert gate.wait_until(Gate.settled)
    assert gate.to_dict() == {"open": True, "arrived": 1, "passed": 1, "finished": 1}
    px.version.get()  # the rule fired once: no gate now


def test_a_held_task_runs_when_the_gate_opens_or_is_interrupted_when_stopped(sim, px):
    assert create_ct(px, "pve1", 402)["exitstatus"] == "OK"
    gate = sim.faults.gate("start")
    sim.faults.add(FaultRule(task="vzstart", vmid=402, gate="start", times=2))
    upid = px.nodes("pve1").lxc(402).status.start.post()
    assert gate.wait_until(lambda g: g.arrived == 1)
    assert px.nodes("pve1").tasks(upid).status.get()["status"] == "running"
    px.nodes("pve1").tasks(upid).delete()  # stopped while held: never ran
    assert wait(px, "pve1", upid)["exitstatus"] == "received interrupt"
    assert px.nodes("pve1").lxc(402).status.current.get()["status"] == "stopped"
    upid = px.nodes("pve1").lxc(402).status.start.post()
    assert gate.wait_until(lambda g: g.arrived == 2)
    gate.open()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert px.nodes("pve1").lxc(402).status.current.get()["status"] == "running"
    assert gate.to_dict() == {"open": True, "arrived": 2, "passed": 1, "finished": 2}


def test_a_task_held_at_its_end_has_done_its_work_and_ends_when_the_gate_opens(sim, px):
    assert create_ct(px, "pve1", 403)["exitstatus"] == "OK"
    gate = sim.faults.hold(task="vzstart", vmid=403, gate_at="end")
    upid = px.nodes("pve1").lxc(403).status.start.post()
    assert gate.wait_until(lambda g: g.arrived == 1)
    assert px.nodes("pve1").lxc(403).status.current.get()["status"] == "running"  # done
    assert px.nodes("pve1").tasks(upid).status.get()["status"] == "running"  # not ended
    gate.open()
    assert wait(px, "pve1", upid)["exitstatus"] == "OK"
    assert gate.to_dict() == {"open": True, "arrived": 1, "passed": 1, "finished": 1}
    with pytest.raises(ValueError, match="gate_at"):
        FaultRule.from_dict({"task": "vzstart", "gate": "g", "gate_at": "middle"})


def test_clearing_the_faults_opens_every_gate(sim, px):
    import concurrent.futures

    gate = sim.faults.gate("held")
    sim.faults.add(FaultRule(path="/nodes", gate="held"))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(px.nodes.get)
        assert gate.wait_until(lambda g: g.arrived == 1)
        sim.faults.clear()
        assert len(answer.result(10)) == 3
    assert sim.faults.gates() == {}


def test_control_opens_and_lists_gates(sim, info, http, px):
    import concurrent.futures

    r = _control(http, info, "POST", "/faults", json={"path": "/version", "gate": "remote"})
    assert r.json()["rules"][0]["gate"] == "remote"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(px.version.get)
        assert sim.faults.gate("remote").wait_until(lambda g: g.arrived == 1)
        listed = _control(http, info, "GET", "/gates").json()
        assert listed == {"remote": {"open": False, "arrived": 1, "passed": 0, "finished": 0}}
        opened = _control(http, info, "POST", "/gates/remote", json={"open": True}).json()
        assert opened["remote"]["open"] is True
        assert answer.result(10)["release"] == "9.1"
    closed = _control(http, info, "POST", "/gates/remote", json={"open": False}).json()
    assert closed["remote"]["open"] is False
