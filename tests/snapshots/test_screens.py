"""Snapshots of each screen in its main states (120x40, a few at 80x24).

Update only after reading the report: `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.deploy_form import DeployFormScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.services.views import OrphanView
from tests.snapshots.conftest import settle
from tests.ui.helpers import on_screen, wait_for

BIG = (120, 40)
SMALL = (80, 24)


def _apps_ready(orphans: bool = False, ok: bool = True):
    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        services = pilot.app.services
        if orphans:
            orphan = OrphanView(vmid=990, node="pve2", name="leftover", status="stopped")
            services.monitor.publish(orphans=[orphan])
        if not ok:
            services.monitor.publish()
            services.monitor.ok = False
            services.clock_offset = 30
            services.monitor.publish(orphans=[])
        await pilot.pause(0.1)
        await settle(pilot)

    return run


def test_apps_120(snap_compare, build):
    app, _ = build(8)
    assert snap_compare(app, terminal_size=BIG, run_before=_apps_ready(orphans=True))


def test_apps_80(snap_compare, build):
    app, _ = build(8)
    assert snap_compare(app, terminal_size=SMALL, run_before=_apps_ready())


def test_apps_stale(snap_compare, build):
    app, _ = build(4)
    assert snap_compare(app, terminal_size=BIG, run_before=_apps_ready(ok=False))


def test_apps_empty_read_only(snap_compare, build):
    app, _ = build(0, can_change=False)

    async def run(pilot):
        await on_screen(pilot, CatalogScreen)
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)


def test_catalog_120(snap_compare, build):
    app, _ = build(0)

    async def run(pilot):
        await on_screen(pilot, CatalogScreen)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_catalog_filtered_80(snap_compare, build):
    app, _ = build(0)

    async def run(pilot):
        await on_screen(pilot, CatalogScreen)
        await pilot.press("slash", *"git")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)


async def _form(pilot, entry: str = "gitea") -> DeployFormScreen:
    await on_screen(pilot, CatalogScreen)
    pilot.app.open_deploy_form(entry)
    form = await on_screen(pilot, DeployFormScreen)
    await wait_for(pilot, lambda: form.plan is not None)
    return form


def test_deploy_form(snap_compare, build):
    app, _ = build(0)

    async def run(pilot):
        await _form(pilot)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def _progress(fail: bool):
    async def run(pilot):
        if fail:
            pilot.app.services.apps.fail_step = "compose"
        await _form(pilot, "whoami")
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status != "running")
        pilot.app.clear_notifications()
        await settle(pilot)

    return run


def test_progress_succeeded(snap_compare, build):
    app, _ = build(0)
    assert snap_compare(app, terminal_size=BIG, run_before=_progress(False))


def test_progress_failed(snap_compare, build):
    app, _ = build(0)
    assert snap_compare(app, terminal_size=BIG, run_before=_progress(True))


def test_app_detail(snap_compare, build):
    app, _ = build(3)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        pilot.app.services.monitor.publish()
        await pilot.press("down", "enter")
        await pilot.pause(0.1)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_operations(snap_compare, build):
    app, _ = build(3)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        await pilot.press("down", "X")
        await pilot.app.workers.wait_for_complete()
        pilot.app.clear_notifications()
        await pilot.press("3")
        await pilot.pause(0.1)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_delete_confirmation_80(snap_compare, build):
    app, _ = build(3)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        await pilot.press("D", *"web")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)


def test_help_80(snap_compare, build):
    app, _ = build(3)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)


def test_connect(snap_compare, tmp_path):
    from proximity_tui.app import make_connect_app
    from proximity_tui.config import Settings

    app = make_connect_app(Settings(config_path=tmp_path / "config.toml"))
    app.animation_level = "none"
    assert snap_compare(app, terminal_size=BIG, run_before=settle)
