"""App detail says what is happening in one word: "◐ restoring…" during a restore (not
"updating"), "◐ updating…" once during an update (not "updating… updating…")."""

from __future__ import annotations

from proximity_tui.screens.app_detail_info import summary_text
from proximity_tui.screens.apps_rows import doing_word
from proximity_tui.views import AppView


def _view(status: str, busy_kind: str | None) -> AppView:
    return AppView(
        id="whoami-web", catalog_id="whoami", name="whoami", hostname="web", status=status,
        node="pve1", vmid=101, url="http://10.0.0.5/", owner="admin", created_at=None,
        updated_at=None, busy_op=7 if busy_kind else None, busy_kind=busy_kind,
    )  # fmt: skip


def test_a_restore_reads_restoring_not_updating():
    view = _view("updating", "restore")  # the service marks the row `updating` while it works
    header = summary_text(view, doing_word(view, None)).plain.splitlines()[1]
    assert "restoring…" in header and "updating" not in header


def test_an_update_started_here_reads_updating_once():
    view = _view("updating", "update")
    header = summary_text(view, doing_word(view, "update")).plain.splitlines()[1]
    assert header.count("updating") == 1


def test_an_idle_app_shows_its_status():
    view = _view("running", None)
    assert doing_word(view, None) is None
    assert summary_text(view, None).plain.splitlines()[1].startswith("● running")
