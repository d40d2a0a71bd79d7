"""Issue 16, wrong item 6 (real hosts): two dashboards on one database work, and say so.

Another process registered on the same database (services/presence.py: a flock-held file per
dashboard) shows as a `2 DASHBOARDS` badge in the header, with a notification; when that
process dies (killed: no clean-up of its own) the badge goes. A leftover entry of a dead process
is never counted and is removed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.app import App
from textual.widgets import Label

from proximity_tui.app import make_app
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.peers import PeerWatch
from proximity_tui.services.presence import Presence, presence_dir
from proximity_tui.widgets.cluster_header import ClusterHeader
from tests.ui.helpers import on_screen, said, wait_for

HOLDER = (
    "import sys; from pathlib import Path; from proximity_tui.services.presence import Presence;"
    " p = Presence(Path(sys.argv[1])); print('ready', flush=True); sys.stdin.read()"
)


@pytest.fixture(autouse=True)
def quick_watch(monkeypatch):
    monkeypatch.setattr(PeerWatch, "interval", 0.05)


def test_presence_counts_live_entries_only(tmp_path):
    db = tmp_path / "proximity.db"
    one, two = Presence(db), Presence(db)
    try:
        assert one.others() == 1 and two.others() == 1
        stale = presence_dir(db) / "999999-dead.lock"  # a killed process's entry
        stale.write_text("")
        assert one.others() == 1
        assert not stale.exists()
        two.close()
        assert one.others() == 0
    finally:
        one.close()
        two.close()
    assert list(presence_dir(db).iterdir()) == []


async def test_header_says_another_dashboard_has_the_database_open(world):
    services = world.services(0)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(services.settings.db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        app = make_app(services, services.settings)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            screen = await on_screen(pilot, CatalogScreen)

            def badge() -> str:
                label = screen.query_one("#peers", Label)
                return str(label.render()) if label.display else ""

            await wait_for(pilot, lambda: badge() == "2 DASHBOARDS")
            assert any("Another Proximity dashboard" in n.message for n in said(app))
            await pilot.press("2")  # every mode's header says it
            apps = app.screen
            await wait_for(pilot, lambda: apps.query_one("#peers", Label).display)
            holder.kill()  # no clean exit: the kernel drops its lock
            holder.wait(timeout=10)
            await wait_for(pilot, lambda: not apps.query_one("#peers", Label).display)
            await pilot.press("1")
            await wait_for(pilot, lambda: badge() == "")
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)


async def test_a_count_published_before_the_header_subscribes_is_shown():
    """The CI run that saw the badge stay blank: the count changed (and was published to no
    one) between the header's compose and its on_mount subscription."""

    class LateHeader(ClusterHeader):
        def compose(self):
            yield from super().compose()
            self.app.peers.others = 1  # the look lands now: its publish reaches no subscriber

    class Host(App):
        def __init__(self) -> None:
            super().__init__()
            self.peers = PeerWatch(self)

        def compose(self):
            yield LateHeader("apps")

    app = Host()
    async with app.run_test(size=(120, 5)) as pilot:
        badge = app.query_one("#peers", Label)
        await wait_for(pilot, lambda: badge.display)
        assert str(badge.render()) == "2 DASHBOARDS"
