"""Snapshots of each screen in its main states (120x40, a few at 80x24).

Update only after reading the report: `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.deploy_form import DeployFormScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.screens.operations import OperationsScreen
from tests.snapshots.conftest import freeze_times, settle
from tests.ui.helpers import on_screen, wait_for

BIG = (120, 40)
SMALL = (80, 24)


async def _apps_ready(pilot) -> None:
    await on_screen(pilot, AppsScreen)
    await settle(pilot)


def test_apps_120(snap_compare, build):
    app, _ = build(3)
    assert snap_compare(app, terminal_size=BIG, run_before=_apps_ready)


def test_apps_80(snap_compare, build):
    app, _ = build(3)
    assert snap_compare(app, terminal_size=SMALL, run_before=_apps_ready)


def test_apps_stale(snap_compare, build):
    from pvesim.faults import FaultRule

    app, services = build(2)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        rule = FaultRule(
            method="GET",
            path="/cluster/resources",
            http_status=500,
            message="pveproxy is down",
            times=None,
        )
        app.sim.faults.add(rule)
        services.call(services.monitor.tick())
        await wait_for(pilot, lambda: app.snapshot is not None)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_apps_empty_read_only(snap_compare, build):
    app, _ = build(0, read_only=True)

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


def test_deploy_form(snap_compare, build):
    app, _ = build(0)

    async def run(pilot):
        await on_screen(pilot, CatalogScreen)
        pilot.app.open_deploy_form("gitea")
        form = await on_screen(pilot, DeployFormScreen)
        await wait_for(pilot, lambda: form.plan is not None and form.hostname_error is None)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def _progress_of_a_deploy(build, *, fail: bool):
    """A deploy run through the services, its times frozen, then opened from the journal."""
    from pvesim.faults import FaultRule

    app, services = build(0, deploys=True)
    if fail:
        app.sim.faults.add(
            FaultRule(command=r"compose .* pull", exit_status=18, stderr="manifest unknown")
        )
    try:
        services.call(services.apps.deploy_app("whoami", "hello", node="pve1"))
    except Exception:
        assert fail
    freeze_times(services)

    async def run(pilot):
        await on_screen(pilot, AppsScreen if not fail else CatalogScreen)
        pilot.app.open_progress(1)
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status != "running")
        await settle(pilot)

    return app, run


def test_progress_succeeded(snap_compare, build):
    app, run = _progress_of_a_deploy(build, fail=False)
    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_progress_failed(snap_compare, build):
    app, run = _progress_of_a_deploy(build, fail=True)
    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_app_detail(snap_compare, build):
    app, _ = build(2)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        pilot.app.open_app("whoami-web")
        await on_screen(pilot, AppDetailScreen)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_operations(snap_compare, build):
    app, services = build(2)
    services.call(services.apps.stop_app("uptime-kuma-status"))
    freeze_times(services)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        await pilot.press("3")
        await on_screen(pilot, OperationsScreen)
        await settle(pilot)

    assert snap_compare(app, terminal_size=BIG, run_before=run)


def test_delete_confirmation_80(snap_compare, build):
    app, _ = build(2)

    async def run(pilot):
        await on_screen(pilot, AppsScreen)
        await pilot.press("D")
        confirm = await on_screen(pilot, ConfirmScreen)  # typed before it is up, "we" would be lost
        await pilot.press(*"we")
        await wait_for(pilot, lambda: confirm.query_one("Input").value == "we")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run)


def test_help_80(snap_compare, build):
    app, _ = build(1)

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
