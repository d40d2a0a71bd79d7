"""Issue 16, wrong item 7: tables wider than the screen are never cut mid-token at its edge.

At 120 columns a long app name and hostname used to push the URL column off the screen
(`http://10.10.0.24:5` for port 5006) and the Operations error column was cut at the edge in
the middle of a word. Now the flexible columns give room (names and hostnames first), a URL is
shown whole, an error keeps whole words and says it goes on (`…`), and the table fits.
"""

from __future__ import annotations

import sqlite3

import pytest

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.operations import OperationsScreen
from proximity_tui.services.operations.pipeline import StepFailed
from proximity_tui.widgets.column_fit import Flex, elide, fit_widths
from tests.ui.helpers import on_screen, table, wait_for

LONG_NAME = "Nginx Proxy Manager Community Edition"


def drawn_lines(app) -> list[str]:
    update = app.screen._compositor.render_full_update()
    return ["".join(segment.text for segment in strip) for strip in update.strips]


def _fits(t) -> bool:
    return t.virtual_size.width <= t.scrollable_content_region.width


def test_fit_widths_takes_from_the_widest_then_the_next_tier():
    flex = {"a": Flex(0, 8), "b": Flex(0, 8), "u": Flex(1, 1, "whole")}
    natural = {"fixed": 50, "a": 19, "b": 24, "u": 22}
    widths = fit_widths(natural, flex, 96)
    assert sum(widths.values()) == 96
    assert widths["u"] == 22 and widths["fixed"] == 50  # the URL keeps its room
    assert abs(widths["a"] - widths["b"]) <= 1  # the widest gave first, then both
    # no room at all: everything at its minimum, the URL as `…`
    widths = fit_widths(natural, flex, 60)
    assert widths == {"fixed": 50, "a": 8, "b": 8, "u": 1}
    assert fit_widths(natural, flex, 200) == natural  # room enough: untouched


def test_elide_never_cuts_a_url_or_an_error_mid_token():
    assert elide("http://10.10.0.24:5006", 19, "whole") == "…"
    assert elide("http://10.10.0.24:5006", 22, "whole") == "http://10.10.0.24:5006"
    error = "compose up failed: manifest unknown for image"
    assert elide(error, 24, "tokens") == "compose up failed…"
    assert elide("composeupfailed", 6, "tokens") == "…"
    assert elide("Nginx Proxy Manager", 14, "words") == "Nginx Proxy…"
    assert elide("nginx-proxy-manager-main", 12) == "nginx-proxy…"


@pytest.mark.parametrize("width", [120, 80])
async def test_apps_table_shows_whole_urls_and_marks_what_it_elides(world, width):
    world.prefix = f"nginx-proxy-manager-{width}"  # 24 characters with the suffix
    services = world.services(2)
    conn = sqlite3.connect(services.db.path)
    with conn:
        conn.execute("UPDATE apps SET name = ? WHERE id = ?", (LONG_NAME, world.app_id(0)))
    conn.close()
    services.call(services.monitor.tick())
    app = make_app(services, services.settings)
    async with app.run_test(size=(width, 30)) as pilot:
        await on_screen(pilot, AppsScreen)
        t = table(app)
        views = [app.apps[world.app_id(i)] for i in range(2)]
        assert all(v.url for v in views)
        await wait_for(
            pilot,
            lambda: _fits(t) and all(v.hostname[:6] in "\n".join(drawn_lines(app)) for v in views),
        )
        lines = drawn_lines(app)
        for view in views:
            row = next(line for line in lines if f" {view.vmid} " in line)
            if width >= 100:  # the full table: the URL whole on the app's row
                assert view.url in row, row
            words = row.split()
            # a hostname is shown whole or visibly shortened, never cut silently
            host = next(w for w in words if w.startswith(view.hostname[:6]))
            assert host == view.hostname or (
                host.endswith("…") and view.hostname.startswith(host[:-1])
            )
        name_row = next(line for line in lines if "Nginx" in line)
        assert LONG_NAME in name_row or "…" in name_row.split("Nginx", 1)[1].split("  ")[0]
        if width >= 100:  # what is elided is named in full under the table for the cursor's app
            hint = str(app.screen.query_one("#hint").render())
            assert views[0].hostname in hint and views[0].url in hint


@pytest.mark.parametrize("width", [120, 80])
async def test_operations_error_keeps_whole_words(world, width):
    from pvesim.faults import FaultRule

    world.prefix = f"a-rather-long-hostname-{width}"
    services = world.services(0)
    world.sim.faults.add(
        FaultRule(
            command=r"compose .* pull",
            exit_status=18,
            stderr="manifest unknown: the image registry.example.org/whoami:v9 has no such tag",
        )
    )
    with pytest.raises(StepFailed):
        services.call(services.apps.deploy_app("whoami", world.host(0)))
    error = " ".join(services.call(services.apps.operations())[0].error.split())
    app = make_app(services, services.settings)
    async with app.run_test(size=(width, 24)) as pilot:
        await on_screen(pilot, CatalogScreen)  # no app: the first screen
        await pilot.press("3")
        screen = await on_screen(pilot, OperationsScreen)
        await wait_for(pilot, lambda: screen._shown)
        t = table(app, "#ops-table")
        await wait_for(pilot, lambda: _fits(t))
        row = next(line for line in drawn_lines(app) if "✖ failed" in line)
        shown = row.split("✖ failed", 1)[1].split(None, 1)[1].strip()  # after the Took cell
        assert shown, row
        assert shown == error or shown.endswith("…"), row
        words = shown.rstrip("…").split()
        expected = error.split()[: len(words)]
        expected[-1] = expected[-1] if shown == error else expected[-1].rstrip(",;:")
        assert words == expected, (shown, error)  # whole tokens only
        assert len(shown) >= 12
