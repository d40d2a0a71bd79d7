"""A call whose answer is lost, though Proxmox carries it out (a timeout is ambiguous): the CT a
deploy or a clone asked for may appear only after the caller gave up, and the rollback must still
find and destroy it rather than leave an orphan.

The simulator loses answers too (a call held at a gate past the client's timeout is carried out
when the gate opens: the fault matrix's API-timeout cells, whose late effects the late-effects
watch handles after the operation). Here the effect must land *during* the rollback's watch, on an
event inside it, so the client is wrapped: the create/clone call raises a timeout at once, as
if the answer had been lost, and the real call is carried out on an event, not on a clock: when
the rollback looks at the new CT a second time (the first look found nothing), before that look
is answered. The client's timeout is long, so the rollback's watch (twice the timeout, see
`late_grace`) outlasts any slowness of the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from proximity_tui.errors import ProximityError, ProxmoxTimeout
from tests.reliability.conftest import make_services
from tests.reliability.world import world_problems

#: The client's timeout: the rollback watches for the CT twice as long.
PATIENCE = 30.0


@pytest.fixture
def services(sim, tmp_path):
    # The create path (no Docker-ready base): the lost answer is the app CT's own create.
    svc = make_services(sim, tmp_path, **{"proxmox.timeout": PATIENCE, "deploy.base": False})
    yield svc
    svc.close(wait=10)


class LostAnswer:
    """Wraps `client.<method>` (whose `new_vmid(args, kwargs)` is the CT it makes) and
    `client.ct_status`: the call times out at once; the rollback's second look at that CT
    carries it out (and waits for its task) before looking."""

    def __init__(self, client, method: str, new_vmid: Callable[..., int]) -> None:
        self.looks = 0
        self.landed: list[str] = []
        real, look = getattr(client, method), client.ct_status

        async def lost(*args: Any, **kwargs: Any) -> str:
            vmid = new_vmid(args, kwargs)

            async def watched(node: str, at: int):
                if at == vmid:
                    self.looks += 1
                    if self.looks == 2:  # it looks again: Proxmox carried the call out late
                        upid = await real(*args, **kwargs)
                        await client.wait_task(upid)
                        self.landed.append(upid)
                return await look(node, at)

            client.ct_status = watched
            raise ProxmoxTimeout(f"no answer within {PATIENCE:g}s", call=f"POST ({method})")

        setattr(client, method, lost)

    def check(self) -> None:
        assert self.looks >= 2 and len(self.landed) == 1, "the rollback stopped watching"


def test_a_create_whose_answer_was_lost_leaves_no_orphan(sim, services):
    lost = LostAnswer(services.client, "create_ct", lambda args, kwargs: kwargs["vmid"])
    with pytest.raises(ProximityError, match="create failed: .*no answer"):
        services.call(services.apps.deploy_app("whoami", "lost-create"))
    lost.check()
    assert world_problems(sim, services.db.path) == []
    assert services.call(services.apps.list_apps()) == []
    op = services.call(services.apps.operations())[0]
    assert any("destroyed CT" in u for u in op.result["undone"]), op.result


def test_a_clone_whose_answer_was_lost_leaves_no_orphan(sim, services):
    app = services.call(services.apps.deploy_app("whoami", "lost-source"))
    lost = LostAnswer(services.client, "clone_ct", lambda args, kwargs: args[2])
    with pytest.raises(ProximityError, match="clone failed: .*no answer"):
        services.call(services.apps.clone_app(app.id, "lost-copy"))
    lost.check()
    assert world_problems(sim, services.db.path) == []
    assert [a.hostname for a in services.call(services.apps.list_apps())] == ["lost-source"]
    services.call(services.apps.delete_app(app.id))
