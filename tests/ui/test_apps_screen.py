"""The apps table: actions from keys (and why a key does nothing), delete confirmation, filter,
sort, marks, read-only, live updates by row key, orphans and the stale banner; Enter on a busy
row reopens its operation."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Footer, Input, Select
from textual.widgets._footer import FooterKey

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.choices import ChoicesScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.prompt import PromptScreen
from tests.ui.helpers import cell, on_screen, row_keys, said, table, through_progress, wait_for


async def _apps(pilot) -> AppsScreen:
    return await on_screen(pilot, AppsScreen)


def _move_to(app, key: str) -> None:
    t = table(app)
    t.move_cursor(row=t.get_row_index(key))


def _messages(app) -> list[str]:
    return [n.message for n in said(app)]


async def test_stop_and_start_from_keys_update_the_row(world):
    services = world.services(2)
    services.settings.ui.confirm_stop = False  # [ui] confirm_stop = false: no question
    app = make_app(services, services.settings)
    key = world.app_id(1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        _move_to(app, key)
        await pilot.press("X")
        await wait_for(pilot, lambda: "stopped" in cell(app, key, "status"))
        assert services.call(services.apps.get_app(key)).status == "stopped"
        await wait_for(pilot, lambda: screen.active_bindings["X"].enabled is False)
        assert screen.active_bindings["S"].enabled  # stop greyed out, start available
        await pilot.press("X")  # does nothing but say why
        await pilot.pause()
        assert services.call(services.apps.get_app(key)).status == "stopped"
        await pilot.press("S")
        await wait_for(pilot, lambda: "running" in cell(app, key, "status"))
        await pilot.press("R")
        await wait_for(pilot, lambda: not app.actions.pending)
        ops = services.call(services.apps.operations(app_id=key))
        assert [o.kind for o in ops][:3] == ["restart", "start", "stop"]  # nothing for the 2nd X
        assert all(o.status == "succeeded" for o in ops)


async def test_stop_and_restart_of_a_running_app_ask_and_default_to_cancel(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    key = world.app_id(0)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, key)
        for action in ("X", "R"):
            await pilot.press(action)
            dialog = await on_screen(pilot, ConfirmScreen)
            assert world.host(0) in dialog.title_text
            assert "confirm_stop = false" in dialog.note
            assert dialog.focused is not None and dialog.focused.id == "cancel"
            await pilot.press("enter")  # Enter on the default button: nothing happens
            await on_screen(pilot, AppsScreen)
        assert services.call(services.apps.operations(app_id=key))[0].kind == "deploy"
        await pilot.press("R")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_for(
            pilot, lambda: not app.actions.pending and isinstance(app.screen, AppsScreen)
        )
        await wait_for(
            pilot, lambda: services.call(services.apps.operations(app_id=key))[0].kind == "restart"
        )


async def test_delete_needs_the_hostname_typed(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    key, host = world.app_id(1), world.host(1)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, key)
        await pilot.press("D")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("escape")  # cancelled: nothing happens
        await on_screen(pilot, AppsScreen)
        assert [o.kind for o in services.call(services.apps.operations())] == ["deploy"] * 2
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert dialog.query_one("#confirm").disabled
        field = dialog.query_one("#require", Input)
        assert host not in field.placeholder  # an empty field does not look filled in
        await pilot.press("enter")  # nothing typed: it says so
        await wait_for(pilot, lambda: any("Nothing typed" in m for m in _messages(app)))
        await pilot.press("y")  # the confirm key goes into the field here, confirms nothing
        assert isinstance(app.screen, ConfirmScreen) and field.value == "y"
        field.value = ""
        await pilot.press(*host[:-1], "enter")  # not the whole hostname: refused
        assert isinstance(app.screen, ConfirmScreen)
        assert key in {a.id for a in services.call(services.apps.list_apps())}
        await pilot.press(host[-1])
        assert not dialog.query_one("#confirm").disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: key not in app.screen._shown)
        assert key not in {a.id for a in services.call(services.apps.list_apps())}
        assert (
            world.sim.call(lambda: [g for g in world.sim.state.guests.values() if g.name == host])
            == []
        )


async def test_clone_asks_for_a_valid_new_hostname(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, world.app_id(1))
        await pilot.press("C")
        prompt = await on_screen(pilot, PromptScreen)
        field = prompt.query_one(Input)
        field.value = world.host(0)  # taken
        await wait_for(pilot, lambda: prompt.problem and world.host(0) in prompt.problem)
        field.value = world.host(9)
        await wait_for(pilot, lambda: prompt._checked == world.host(9) and prompt.problem is None)
        await pilot.press("enter")
        nodes = await on_screen(pilot, ChoicesScreen)  # three nodes: which one (its own first)
        assert nodes.query_one("#choice-node", Select).value == app.apps[world.app_id(1)].node
        await pilot.press("enter")
        progress = await through_progress(pilot)  # the clone's steps, live, as a deploy's
        assert (progress.kind, progress.target) == ("clone", world.host(9))
        await wait_for(pilot, lambda: world.app_id(9) in app.apps, timeout=15)
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: world.app_id(9) in app.screen._shown)
        assert app.apps[world.app_id(9)].node == app.apps[world.app_id(1)].node


async def test_clone_lower_cases_the_new_hostname_as_typed(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, world.app_id(0))
        await pilot.press("C")
        prompt = await on_screen(pilot, PromptScreen)
        field = prompt.query_one(Input)
        field.value = ""
        await pilot.press(*world.host(9).upper())  # as the CLI lower-cases --hostname
        await wait_for(pilot, lambda: field.value == world.host(9))
        await wait_for(pilot, lambda: prompt._checked == world.host(9) and prompt.problem is None)
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen)


async def test_clone_dialog_offers_the_nodes_and_says_why_one_cannot_take_it(world):
    services = world.services(1)
    source = services.call(services.apps.get_app(world.app_id(0)))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        await pilot.press("C")
        prompt = await on_screen(pilot, PromptScreen)
        prompt.query_one(Input).value = world.host(8)
        await wait_for(pilot, lambda: prompt._checked == world.host(8) and prompt.problem is None)
        await pilot.press("enter")
        dialog = await on_screen(pilot, ChoicesScreen)
        select = dialog.query_one("#choice-node", Select)
        options = [(str(label), value) for label, value in select._options]
        assert [v for _, v in options] == [
            source.node,
            *sorted({"pve1", "pve2", "pve3"} - {source.node}),
        ]
        assert options[0][0].startswith(f"{source.node} (its node) · ")
        assert all(" MB free of " in label for label, _ in options)
        other = options[1][1]
        select.value = other
        await pilot.click("#confirm")
        why = f"which node {other} cannot see: clone it on {source.node}"
        await wait_for(pilot, lambda: any(why in m for m in _messages(app)), timeout=15)
    assert world.app_id(8) not in {a.id for a in services.call(services.apps.list_apps())}
    assert (
        world.sim.call(
            lambda: [g for g in world.sim.state.guests.values() if g.name == world.host(8)]
        )
        == []
    )


async def test_filter_and_sort(world):
    services = world.services(3)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        await pilot.press("slash", *"w1")
        assert row_keys(app) == [world.app_id(1)]
        await pilot.press("enter")  # back to the list, on the best match
        assert table(app).has_focus and table(app).cursor_row == 0
        await pilot.press("slash", "escape")  # clears the filter
        assert row_keys(app) == [world.app_id(i) for i in range(3)]  # the original order
        # sort by hostname by clicking its header, then reverse by clicking again
        t = table(app)
        columns = list(t.columns.values())
        x = 1 + sum(c.get_render_width(t) for c in columns[: t.get_column_index("hostname")])
        await pilot.click(t, offset=(x, 0))
        hostnames = [app.apps[k].hostname for k in row_keys(app)]
        assert hostnames == sorted(hostnames) and screen.sort_column == "hostname"
        await pilot.click(t, offset=(x, 0))
        hostnames = [app.apps[k].hostname for k in row_keys(app)]
        assert hostnames == sorted(hostnames, reverse=True)
        await pilot.press("s")  # `s` cycles to the next column (node)
        nodes = [(app.apps[k].node, app.apps[k].vmid) for k in row_keys(app)]
        assert nodes == sorted(nodes)
        assert "▲" in str(table(app).columns["node"].label)


async def test_marks_and_a_bulk_action_with_one_confirmation(world):
    services = world.services(3)
    app = make_app(services, services.settings)
    marked = {world.app_id(0), world.app_id(1)}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        _move_to(app, world.app_id(0))
        await pilot.press("space", "space")  # marks 0 and 1 (the cursor moves down)
        assert screen.marked == marked
        assert "✓" in cell(app, world.app_id(1), "mark")
        await pilot.press("X")
        dialog = await on_screen(pilot, ConfirmScreen)
        listed = "\n".join(dialog.lines)
        assert world.host(0) in listed and world.host(1) in listed
        await pilot.press("y")
        await wait_for(
            pilot, lambda: not app.actions.pending and isinstance(app.screen, AppsScreen)
        )
        status = {a.id: a.status for a in services.call(services.apps.list_apps())}
        assert {status[k] for k in marked} == {"stopped"}
        assert status[world.app_id(2)] == "running"  # unmarked: untouched
        await pilot.press("escape")
        assert screen.marked == set()


async def test_read_only_hides_actions(world):
    services = world.services(2, read_only=True)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        bindings = screen.active_bindings
        for key in ("S", "X", "R", "D", "C", "B", "U"):
            assert key not in bindings
        await pilot.press("D", "X")  # nothing happens
        assert isinstance(app.screen, AppsScreen)
        assert app.screen.query("#readonly")
        await pilot.press("1")
        assert "d" not in app.screen.active_bindings  # no deploy either


async def test_status_tick_updates_only_changed_cells_and_keeps_the_cursor(world):
    services = world.services(3)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, world.app_id(2))
        t = table(app)
        calls = []
        original = t.update_cell
        t.update_cell = lambda *a, **k: (calls.append((str(a[0]), str(a[1]))), original(*a, **k))
        first = services.call(services.monitor.tick())
        await wait_for(pilot, lambda: app.snapshot is first)
        assert {r for r, _ in calls} <= set(first.changed)
        assert all(c in ("status", "cpu", "mem", "uptime", "url", "node") for _, c in calls)
        # an app deleted behind the UI's back disappears on the next tick, the cursor stays
        services.call(services.apps.delete_app(world.app_id(0)))
        second = services.call(services.monitor.tick())
        assert world.app_id(0) in second.removed
        await wait_for(pilot, lambda: world.app_id(0) not in row_keys(app))
        key = t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        assert key == world.app_id(2)


async def test_orphans_and_missing_apps_are_shown_distinctly(world):
    from proximity_tui.store import repositories as repo

    services = world.services(3)
    gone, orphaned = services.call(services.apps.get_app(world.app_id(1))), world.app_id(2)
    orphan_vmid = services.call(services.apps.get_app(orphaned)).vmid
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        # one container destroyed behind our back, one app row lost: an orphan container
        client = services.client
        services.call(
            client.wait_task(services.call(client.ct_action(gone.node, gone.vmid, "stop")))
        )
        services.call(client.wait_task(services.call(client.delete_ct(gone.node, gone.vmid))))
        with services.db.session() as s:
            repo.delete_app(s, orphaned)
        services.call(services.monitor.tick())
        orphan_key = f"orphan:{orphan_vmid}"
        await wait_for(pilot, lambda: orphan_key in screen._shown)
        assert "orphan" in cell(app, orphan_key, "status")
        assert "no record" in cell(app, orphan_key, "hostname")
        assert "missing" in cell(app, gone.id, "status")
        _move_to(app, orphan_key)
        await pilot.pause()
        assert "D destroys it" in str(screen.query_one("#hint").render())
        assert screen.active_bindings["D"].enabled is True  # destroying the orphan
        _move_to(app, gone.id)
        await pilot.pause()
        assert "gone from Proxmox" in str(screen.query_one("#hint").render())
        assert screen.active_bindings["D"].enabled is True
        # D on the orphan: typing its vmid destroys the container
        _move_to(app, orphan_key)
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen)
        await pilot.press(*str(orphan_vmid))
        assert not dialog.query_one("#confirm").disabled
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: world.sim.call(lambda: world.sim.state.find_ct(orphan_vmid)) is None
        )
        services.call(services.monitor.tick())
        await wait_for(pilot, lambda: orphan_key not in screen._shown)


async def test_stale_banner_when_proxmox_stops_answering(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        good = services.call(services.monitor.tick())
        world.sim.set_offline(True, mode="drop")
        services.call(services.monitor.tick())
        banner = screen.query_one("StaleBanner")
        await wait_for(pilot, lambda: banner.has_class("-shown"))
        text = str(banner.render())
        assert "Proxmox is not answering" in text
        assert good.taken_at.astimezone().strftime("%H:%M:%S") in text
        apps = [k for k in row_keys(app) if not k.startswith("orphan:")]
        assert table(app).has_class("-stale") and len(apps) == 2  # the last known data kept
        world.sim.set_offline(False, mode="drop")
        services.call(services.monitor.tick())
        await wait_for(pilot, lambda: not banner.has_class("-shown"))


async def test_logs_key_opens_the_detail_on_its_logs(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, world.app_id(1))
        await pilot.press("L")
        detail = await on_screen(pilot, AppDetailScreen)
        assert detail.app_id == world.app_id(1)
        await wait_for(pilot, lambda: len(detail.logs.lines) > 0)


async def test_vim_keys_move_the_cursor(world):
    services = world.services(3)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        t = table(app)
        assert t.cursor_row == 0
        await pilot.press("j", "j")
        assert t.cursor_row == 2
        await pilot.press("k")
        assert t.cursor_row == 1
        await pilot.press("G")
        assert t.cursor_row == 2
        await pilot.press("g")
        assert t.cursor_row == 0


async def test_enter_opens_the_progress_of_a_deploy_whose_view_comes_from_a_snapshot(world):
    from proximity_tui.screens.deploy_progress import DeployProgressScreen

    services = world.services(1)
    app = make_app(services, services.settings)
    key = world.app_id(1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        gate = world.sim.faults.hold(command=r"apk add")  # keeps it running
        # started outside this UI (like the demo's seed deploys or another session)
        done = services.runtime.submit(services.apps.deploy_app("whoami", world.host(1)))
        await wait_for(pilot, lambda: services.apps.running_operations() != [])
        (op_id,) = services.apps.running_operations()
        await wait_for(pilot, lambda: key in services.call(services.monitor.tick()).apps)
        await wait_for(pilot, lambda: key in screen._shown)
        # The monitor's snapshot views carry no busy_op (they replace the views read after an
        # action whenever the app changed): what made Enter open the detail instead.
        app.apps[key] = replace(app.apps[key], busy_op=None)
        assert op_id in services.apps.running_operations()
        _move_to(app, key)
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        assert progress.op_id == op_id
        await pilot.press("escape")
        gate.open()
        await wait_for(pilot, done.done, timeout=30)


async def test_escape_in_the_table_clears_the_filter(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        await pilot.press("slash", *world.host(1), "enter")
        assert row_keys(app) == [world.app_id(1)]
        assert app.focused is table(app)
        await pilot.press("escape")
        assert screen.filter_text == ""
        assert set(row_keys(app)) == {world.app_id(0), world.app_id(1)}


async def test_keys_that_do_not_apply_say_why(world):
    from proximity_tui.store import repositories as repo

    services = world.services(2)
    services.call(services.apps.stop_app(world.app_id(0)))
    orphan_vmid = services.call(services.apps.get_app(world.app_id(1))).vmid
    with services.db.session() as s:
        repo.delete_app(s, world.app_id(1))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        services.call(services.monitor.tick())
        orphan_key = f"orphan:{orphan_vmid}"
        await wait_for(pilot, lambda: orphan_key in screen._shown)
        _move_to(app, world.app_id(0))
        await wait_for(pilot, lambda: "stopped" in cell(app, world.app_id(0), "status"))
        await pilot.press("X")
        await wait_for(pilot, lambda: any("already stopped" in m for m in _messages(app)))
        assert f"{world.host(0)} is already stopped." in _messages(app)
        await pilot.press("S")  # applies: it runs, and no warning comes with it
        await wait_for(pilot, lambda: any(m.startswith("Started") for m in _messages(app)))
        assert [m for m in _messages(app) if "busy" in m or "Cannot" in m] == []
        _move_to(app, orphan_key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(f"CT {orphan_vmid}" in m for m in _messages(app)))
        assert any("D to destroy" in m for m in _messages(app))
        assert isinstance(app.screen, AppsScreen)


async def test_marks_have_their_own_glyph_and_clear_once_the_bulk_action_runs(world):
    services = world.services(3)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        _move_to(app, world.app_id(0))
        await pilot.press("space", "space")
        mark = cell(app, world.app_id(0), "mark")
        assert mark and mark not in cell(app, world.app_id(0), "status")  # not the ● badge
        await pilot.press("X")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("escape")  # cancelled: the marks stay
        await on_screen(pilot, AppsScreen)
        assert len(screen.marked) == 2
        await pilot.press("X")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("tab", "enter")  # Cancel has the focus; Tab reaches Stop
        await wait_for(pilot, lambda: not screen.marked and isinstance(app.screen, AppsScreen))
        assert cell(app, world.app_id(0), "mark") == ""
        await wait_for(pilot, lambda: not app.actions.pending)
        status = {a.id: a.status for a in services.call(services.apps.list_apps())}
        assert status[world.app_id(0)] == status[world.app_id(1)] == "stopped"


async def test_delete_of_a_missing_app_says_only_the_record_goes(world):
    services = world.services(2)
    gone = services.call(services.apps.get_app(world.app_id(1)))
    client = services.client
    services.call(client.wait_task(services.call(client.ct_action(gone.node, gone.vmid, "stop"))))
    services.call(client.wait_task(services.call(client.delete_ct(gone.node, gone.vmid))))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        services.call(services.monitor.tick())
        await wait_for(pilot, lambda: "missing" in cell(app, gone.id, "status"))
        _move_to(app, gone.id)
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert "already gone" in dialog.note and "destroyed" not in dialog.note
        # the dialog's footer says its own keys, not the table's underneath
        await wait_for(
            pilot, lambda: {k.key for k in dialog.query_one(Footer).query(FooterKey)} == {"escape"}
        )
        await pilot.press("escape")
        _move_to(app, world.app_id(0))
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert "destroyed" in dialog.note
