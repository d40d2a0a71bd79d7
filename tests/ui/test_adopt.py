"""Adoption in the dashboard: the start-up offer when tagged CTs are unknown, `A` on an orphan
row (plan, confirmation, then the app row is back), and nothing offered to a viewer."""

from __future__ import annotations

from proximity_tui.app import make_app
from proximity_tui.screens.adoption_offer import AdoptionOfferScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.store import repositories as repo
from tests.ui.helpers import on_screen, said, table, wait_for


def _forget(services, app_id: str) -> int:
    """The app row lost (another database deployed it, or this one was lost): an orphan CT."""
    vmid = services.call(services.apps.get_app(app_id)).vmid
    with services.db.session() as s:
        repo.delete_app(s, app_id)
    return vmid


def _cluster(services) -> str:
    return f"{services.cluster.name}@{services.cluster.host}"


def _messages(app) -> list[str]:
    return [n.message for n in said(app)]


async def test_orphan_rows_are_offered_for_adoption_and_adopted_after_confirming(world):
    services = world.services(2)
    lost = world.app_id(1)
    vmid = _forget(services, lost)
    services.settings.ui.offer_adoption = True
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, AppsScreen)
        services.call(services.monitor.tick())
        key = f"orphan:{vmid}"
        await wait_for(pilot, lambda: key in screen._shown)
        offer = await on_screen(pilot, AdoptionOfferScreen)
        assert f"adopt CT {vmid}" in offer.lines[0]
        await pilot.click("#later")  # not now: nothing changes, nothing remembered
        await on_screen(pilot, AppsScreen)
        services.call(services.monitor.tick())  # the offer is made once per session
        await pilot.pause()
        assert not isinstance(app.screen, AdoptionOfferScreen)
        assert not services.call(services.apps.adoption_declined(_cluster(services)))

        t = table(app)
        t.move_cursor(row=t.get_row_index(world.app_id(0)))
        await wait_for(pilot, lambda: screen.check_action("adopt", ()) is False)
        t.move_cursor(row=t.get_row_index(key))
        await wait_for(pilot, lambda: screen.check_action("adopt", ()) is True)
        await pilot.press("A")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert f"adopt CT {vmid}" in dialog.lines[0] and world.host(1) in dialog.lines[0]
        await pilot.press("escape")  # cancelled: nothing changed
        await on_screen(pilot, AppsScreen)
        assert services.call(services.apps.records.list()) and lost not in {
            a.id for a in services.call(services.apps.records.list())
        }

        await pilot.press("A")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: lost in app.apps, timeout=20)
        services.call(services.monitor.tick())
        await wait_for(pilot, lambda: key not in screen._shown and lost in screen._shown)
        assert app.apps[lost].vmid == vmid and app.apps[lost].status == "running"


async def test_a_viewer_is_told_but_cannot_adopt(world):
    services = world.services(1)
    vmid = _forget(services, world.app_id(0))
    viewer = world.services(read_only=True)
    app = make_app(viewer, viewer.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)  # no app here: it opens on the catalog
        await pilot.press("2")
        screen = await on_screen(pilot, AppsScreen)
        viewer.call(viewer.monitor.tick())
        key = f"orphan:{vmid}"
        await wait_for(pilot, lambda: key in screen._shown)
        await wait_for(pilot, lambda: any("unknown to this database" in m for m in _messages(app)))
        assert any("only a session that may change things" in m for m in _messages(app))
        t = table(app)
        t.move_cursor(row=t.get_row_index(key))
        await wait_for(pilot, lambda: screen.check_action("adopt", ()) is False)
        await pilot.press("A")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)


async def test_the_start_up_offer_adopts_every_unknown_ct(world):
    services = world.services(2)
    lost = [world.app_id(0), world.app_id(1)]
    vmids = [_forget(services, app_id) for app_id in lost]
    services.settings.ui.offer_adoption = True
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        services.call(services.monitor.tick())
        offer = await on_screen(pilot, AdoptionOfferScreen)
        assert "tagged containers unknown to this database" in offer.title_text
        assert all(any(f"adopt CT {v}" in line for line in offer.lines) for v in vmids)
        await pilot.click("#adopt")
        await wait_for(pilot, lambda: all(a in app.apps for a in lost), timeout=30)
        assert {a.id for a in services.call(services.apps.records.list())} >= set(lost)
        assert any(m.startswith("Adopted ") for m in _messages(app))


async def test_never_for_this_cluster_is_remembered(world):
    services = world.services(1)
    vmid = _forget(services, world.app_id(0))
    services.settings.ui.offer_adoption = True
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._loaded)
        services.call(services.monitor.tick())
        await on_screen(pilot, AdoptionOfferScreen)
        await pilot.click("#never")
        await wait_for(pilot, lambda: any("Not asking again" in m for m in _messages(app)))
    assert services.call(services.apps.adoption_declined(_cluster(services)))
    assert world.app_id(0) not in {a.id for a in services.call(services.apps.records.list())}

    # The next start on this database asks nothing; the orphan row still offers A.
    again = make_app(services, services.settings)  # offer_adoption still on
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: again._loaded)
        if not isinstance(again.screen, AppsScreen):
            await pilot.press("2")
        screen = await on_screen(pilot, AppsScreen)
        services.call(services.monitor.tick())
        await wait_for(pilot, lambda: f"orphan:{vmid}" in screen._shown)
        await wait_for(pilot, lambda: again.notices.adoption_offered)
        await wait_for(
            pilot,
            lambda: not [w for w in again.workers if w.group == "adoption-offer" and w.is_running],
        )
        assert not isinstance(again.screen, AdoptionOfferScreen)
        assert not any("unknown to this database" in m for m in _messages(again))
