"""A call whose answer is lost, though Proxmox carries it out (a timeout is ambiguous): the CT a
deploy or a clone asked for may appear only after the caller gave up, and the rollback must still
find and destroy it rather than leave an orphan.

The simulator cannot lose an answer on purpose (its `delay` faults mostly drop the late request),
so here, and only here, the client's create/clone call is wrapped: the real call is sent a moment
later, and the caller gets the timeout at once, as if the answer had been lost.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from proximity_tui.errors import ProximityError, ProxmoxTimeout
from tests.reliability.conftest import API_TIMEOUT, make_services
from tests.reliability.world import world_problems

LATE = 0.8  # seconds after our timeout at which Proxmox carries the call out


@pytest.fixture
def services(sim, tmp_path):
    svc = make_services(sim, tmp_path)
    yield svc
    svc.close(wait=10)


def lose_the_answer(client, method: str, landed: list) -> None:
    real = getattr(client, method)

    async def late(*args, **kwargs):
        async def carry_out() -> None:
            await asyncio.sleep(LATE)
            landed.append(await real(*args, **kwargs))

        asyncio.get_running_loop().create_task(carry_out())
        raise ProxmoxTimeout(f"no answer within {API_TIMEOUT:g}s", call=f"POST ({method})")

    setattr(client, method, late)


def wait_landed(sim, landed: list) -> None:
    """Until the late call was carried out and every task it started has ended."""

    def running() -> bool:
        return any(t.status == "running" for t in sim.state.tasks.tasks.values())

    end = time.monotonic() + 30
    while not landed or sim.call(running):
        assert time.monotonic() < end, "the late call never happened: the test proved nothing"
        time.sleep(0.02)


def test_a_create_whose_answer_was_lost_leaves_no_orphan(sim, services):
    landed: list = []
    lose_the_answer(services.client, "create_ct", landed)
    with pytest.raises(ProximityError, match="create failed: .*no answer"):
        services.call(services.apps.deploy_app("whoami", "lost-create"))
    wait_landed(sim, landed)
    assert world_problems(sim, services.db.path) == []
    assert services.call(services.apps.list_apps()) == []
    op = services.call(services.apps.operations())[0]
    assert any("destroyed CT" in u for u in op.result["undone"]), op.result


def test_a_clone_whose_answer_was_lost_leaves_no_orphan(sim, services):
    app = services.call(services.apps.deploy_app("whoami", "lost-source"))
    landed: list = []
    lose_the_answer(services.client, "clone_ct", landed)
    with pytest.raises(ProximityError, match="clone failed: .*no answer"):
        services.call(services.apps.clone_app(app.id, "lost-copy"))
    wait_landed(sim, landed)
    assert world_problems(sim, services.db.path) == []
    assert [a.hostname for a in services.call(services.apps.list_apps())] == ["lost-source"]
    services.call(services.apps.delete_app(app.id))
