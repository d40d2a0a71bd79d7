"""The deploy progress screen: Escape to the app list, every step listed when reopened mid-way, keys
that follow the operation's state, a cancelled deploy read as cancelled, one line per step."""

from __future__ import annotations

from textual.widgets import Button, Footer, Label
from textual.widgets._footer import FooterKey

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.deploy_progress import CancelOperationConfirm, DeployProgressScreen
from proximity_tui.services.operations.deploy import deploy_steps
from proximity_tui.widgets.step_checklist import StepChecklist
from tests.ui.helpers import held_deploy, on_screen, said, wait_for


def _footer_actions(screen) -> set[str]:
    """The actions the footer offers now (enabled or greyed), as the Footer computes them."""
    return {b.binding.action for b in screen.active_bindings.values() if b.binding.show}


def _toasts(app) -> list[str]:
    return [str(n.message) for n in said(app)]


async def test_escape_from_a_deploy_started_in_the_catalog_lands_on_the_app_list(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        progress, gate = await held_deploy(pilot, world)
        assert app.current_mode == "catalog"
        await pilot.press("escape")
        apps = await on_screen(pilot, AppsScreen)
        assert app.current_mode == "apps"
        await wait_for(pilot, lambda: world.app_id(0) in apps._shown)
        await pilot.press("1")  # the catalog's own stack no longer holds the progress screen
        assert isinstance(await on_screen(pilot, CatalogScreen), CatalogScreen)
        gate.open()
        services.call(services.apps.wait_operation(progress.op_id))


async def test_reopened_mid_deploy_lists_every_step_with_the_pending_ones(world):

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        gate = world.sim.faults.hold(command=r"apk add")
        op_id = services.call(services.apps.start_deploy("whoami", world.host(0)))
        assert op_id not in app.plans  # not from the form: only the service knows the plan
        await wait_for(pilot, lambda: gate.arrived == 1, timeout=20)  # held in its docker step
        app.open_progress(op_id)
        progress = await on_screen(pilot, DeployProgressScreen)
        steps = progress.query_one(StepChecklist).steps
        assert [(s.name, s.title) for s in steps] == deploy_steps()
        states = {s.name: s.state for s in steps}
        assert states["docker"] == "running" and states["network"] == "done"
        assert states["compose"] == states["health"] == "pending"
        elapsed = str(progress.query_one("#elapsed", Label).render())
        assert f"/{len(deploy_steps())} steps" in elapsed
        gate.open()
        await wait_for(pilot, lambda: progress.status == "succeeded", timeout=30)
        assert progress.query_one(StepChecklist).counts() == (11, 11)


async def test_finished_deploy_offers_only_back_and_open(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await on_screen(pilot, AppsScreen)
        op_id = services.call(services.apps.operations())[0].id
        app.open_progress(op_id)
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status == "succeeded")
        await wait_for(pilot, lambda: "open_app" in _footer_actions(progress))
        offered = _footer_actions(progress)
        assert "cancel_op" not in offered and "back" not in offered
        assert "back_done" in offered
        await pilot.press("ctrl+c")  # finished: a note, not Textual's quit prompt
        await pilot.pause()
        assert any("already finished" in t for t in _toasts(app))
        assert not any("to quit" in t for t in _toasts(app))
        assert app.screen is progress
        await pilot.press("enter")
        detail = await on_screen(pilot, AppDetailScreen)
        assert detail.app_id == world.app_id(0)


async def test_failed_deploy_does_not_offer_open_and_counts_the_failed_step(world):
    from pvesim.faults import FaultRule

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_screen(pilot, CatalogScreen)
        world.sim.faults.add(
            FaultRule(command=r"compose .* pull", exit_status=18, stderr="manifest unknown")
        )
        op_id = services.call(services.apps.start_deploy("whoami", world.host(0)))
        app.open_progress(op_id)
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status != "running", timeout=30)
        await pilot.pause()
        assert not {"open_app", "cancel_op", "back"} & _footer_actions(progress)
        result = str(progress.query_one("#result").render())
        assert "failed at step 'Pull and start the app'" in result
        assert "compose failed" not in result  # the internal step id is not repeated
        position = [n for n, _ in deploy_steps()].index("compose") + 1
        elapsed = str(progress.query_one("#elapsed", Label).render())
        assert f"failed at step {position}/11" in elapsed
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is progress
        assert any("Nothing to open" in t for t in _toasts(app))


async def test_cancelled_deploy_reads_as_cancelled_with_clear_buttons(world):

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, CatalogScreen)
        gate = world.sim.faults.hold(command=r"apk add")
        op_id = services.call(services.apps.start_deploy("whoami", world.host(0)))
        app.open_progress(op_id)
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: gate.arrived == 1, timeout=20)  # held in its docker step
        await pilot.press("ctrl+c")
        confirm = await on_screen(pilot, CancelOperationConfirm)
        labels = {str(b.label) for b in confirm.query(Button)}
        assert labels == {"Keep deploying", "Cancel the deploy"}
        confirm.query_one("#confirm", Button).press()
        await wait_for(pilot, lambda: progress.status != "running", timeout=30)
        await pilot.pause()
        assert progress.status == "rolled_back"
        result = str(progress.query_one("#result").render())
        assert result.startswith(f"↺ Deploy of {world.host(0)} cancelled at step 'Install Docker'")
        assert "rolled back" in result and "failed" not in result
        assert "destroyed CT" in result
        assert "cancelled at step" in str(progress.query_one("#elapsed", Label).render())


async def test_each_step_title_holds_on_one_line(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    for size in ((80, 24), (200, 60)):
        async with app.run_test(size=size) as pilot:
            await on_screen(pilot, AppsScreen)
            app.open_progress(services.call(services.apps.operations())[0].id)
            progress = await on_screen(pilot, DeployProgressScreen)
            await wait_for(pilot, lambda p=progress: p.status == "succeeded")
            await pilot.pause()
            if size[0] <= 80:  # hidden there, so the log gets the width: s shows it
                assert not progress.query_one("#steps-pane").display
                await pilot.press("s")
                await wait_for(pilot, lambda p=progress: p.query_one(StepChecklist).size.height)
            checklist = progress.query_one(StepChecklist)
            assert checklist.size.height == len(checklist.steps) == 11
            lines = str(checklist.render()).splitlines()
            template = next(line for line in lines if "Make sure the template" in line)
            if size[0] >= 200:  # room for the whole title and its duration
                assert "Make sure the template is on the node  " in template
            else:
                assert "…" in template
        app = make_app(services, services.settings)


async def test_help_lists_the_progress_keys_by_name(world):
    from proximity_tui.screens.help import HelpScreen

    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_progress(services.call(services.apps.operations())[0].id)
        progress = await on_screen(pilot, DeployProgressScreen)
        await wait_for(pilot, lambda: progress.status == "succeeded")
        descriptions = [d for _key, d, _on in HelpScreen._rows(progress)]
        assert not [d for d in descriptions if d.startswith(("cannot_", "back_done"))]
        assert "Cancel (not possible now)" in descriptions and "Back" in descriptions


async def test_the_footer_at_80_columns_keeps_help_while_an_operation_runs(world):
    """Cancel, Back, Steps, Wrap and Search fit beside `? Help` at 80 columns (short labels);
    the help overlay and a wide footer still say what cancelling and leaving do."""
    from proximity_tui.screens.help import HelpScreen

    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        progress, gate = await held_deploy(pilot, world)

        def shown(width: int) -> dict[str, str]:
            keys = list(progress.query_one(Footer).query(FooterKey))
            if not keys or not all(k.region.width > 0 for k in keys):
                return {}
            return {k.key: k.description for k in keys if k.region.right <= width}

        try:
            wanted = {"ctrl+c", "escape", "question_mark", "slash", "w", "s"}
            await wait_for(pilot, lambda: wanted <= set(shown(80)))
            assert (shown(80)["ctrl+c"], shown(80)["escape"]) == ("Cancel", "Back")
            await pilot.press("question_mark")
            help_ = await on_screen(pilot, HelpScreen)
            labels = {label for _, label, _ in help_.rows}
            assert {"Cancel (rolls back)", "Back (keeps running)"} <= labels
            await pilot.press("escape")
            await on_screen(pilot, DeployProgressScreen)
            await pilot.resize_terminal(140, 30)
            await wait_for(pilot, lambda: shown(140).get("ctrl+c") == "Cancel (rolls back)")
            assert shown(140)["escape"] == "Back (keeps running)"
        finally:
            gate.open()
        await wait_for(pilot, lambda: progress.status != "running", timeout=30)
