"""`cluster_resources` decodes a listing's row once: a row equal to the last answer's row at the
same place hands out that row's guest again (the status monitor asks every 3 s, pvestatd refreshes
every 10 s, and a stopped guest's row does not change: issue 19's idle dashboard and tick); a row
that differs, sits elsewhere, or comes with another `type` is decoded anew."""

from __future__ import annotations

import copy

from proximity_tui.proxmox.client import ProxmoxClient
from proximity_tui.proxmox.session import ApiSession
from proximity_tui.proxmox.tls import TrustPolicy

ROWS = [
    {"id": "lxc/101", "type": "lxc", "vmid": 101, "node": "pve1", "status": "running",
     "cpu": 0.02, "mem": 104857600, "maxmem": 536870912, "uptime": 300, "tags": "proximity"},
    {"id": "qemu/102", "type": "qemu", "vmid": 102, "node": "pve2", "status": "stopped"},
    {"id": "storage/pve1/local", "type": "storage", "node": "pve1"},
]  # fmt: skip


def client_answering(answers: list) -> tuple[ProxmoxClient, list]:
    session = ApiSession(
        host="127.0.0.1",
        port=8006,
        user="root@pam",
        password=None,
        token_name="t",
        token_value="v",
        policy=TrustPolicy("insecure"),
        timeout=1.0,
    )
    client = ProxmoxClient(session)
    asked: list = []

    async def get(*path, **params):  # the answers the wire would give, decoded JSON each time
        asked.append((path, params))
        return copy.deepcopy(answers[min(len(asked), len(answers)) - 1])

    client._get = get  # type: ignore[method-assign]
    return client, asked


async def test_an_equal_answer_hands_out_the_same_guests():
    client, asked = client_answering([ROWS])
    first = await client.cluster_resources()
    second = await client.cluster_resources()
    assert len(asked) == 2  # asked every time: only the decoding is saved
    assert [g.vmid for g in first] == [101, 102]  # the storage row is no guest
    assert second == first and second is not first
    assert all(a is b for a, b in zip(first, second, strict=True))
    second.pop()  # a caller's list is its own
    assert len(await client.cluster_resources()) == 2


async def test_a_row_that_moved_is_decoded_anew_and_the_others_are_kept():
    moved = copy.deepcopy(ROWS)
    moved[0]["cpu"], moved[0]["uptime"] = 0.05, 310
    gone = [ROWS[1]]
    client, _ = client_answering([ROWS, moved, gone, ROWS])
    before = await client.cluster_resources()
    after = await client.cluster_resources()
    assert (after[0].cpu, after[0].uptime) == (0.05, 310) and before[0].cpu == 0.02
    assert after[1] is before[1]  # its row did not change: the same (frozen) guest
    # 102 moved to the first place: compared with the row that was there, decoded anew.
    alone = await client.cluster_resources()
    assert [g.vmid for g in alone] == [102] and alone[0] is not before[1]
    assert alone[0] == before[1]
    again = await client.cluster_resources()
    assert [g.vmid for g in again] == [101, 102] and again[0].cpu == 0.02
    assert again[0] is not before[0]  # the row at its place was 102's: decoded anew


async def test_another_type_is_not_taken_for_the_last_answer():
    client, asked = client_answering([ROWS])
    vms = await client.cluster_resources("vm")
    other = await client.cluster_resources("lxc")
    assert [p for _, p in asked] == [{"type": "vm"}, {"type": "lxc"}]
    assert other == vms and other[0] is not vms[0]
