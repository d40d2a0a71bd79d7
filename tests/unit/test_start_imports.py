"""The dashboard's start path imports only what the first paint needs (issue 19).

The Apps table is painted from a read-only `sqlite3` read before the services are built; the
services' libraries (SQLAlchemy, proxmoxer, asyncssh, cryptography, YAML, the simulator) and
widgets no first screen shows (TextArea pulls in tree-sitter) are imported after that frame.
A module-level import of any of them in the start path would slow every start down: each is
checked in a fresh interpreter, so nothing this test process imported hides it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Modules the start path (cli -> commands.tui -> app, and the preload read) must not import.
HEAVY = (
    "sqlalchemy",
    "proxmoxer",
    "asyncssh",
    "cryptography",
    "yaml",
    "pvesim",
    "proximity_tui.services.bootstrap",
    "proximity_tui.catalog",
    "textual.widgets._text_area",
    # the `:` prompt: imported on the first `:` (its dataclass and screen cost a few ms)
    "proximity_tui.screens.command_mode",
    # the views of the cluster, deploys, the journal, backups: six dataclasses (views.py's rest)
    "proximity_tui.service_views",
)

START_PATH = (
    "proximity_tui.cli",
    "proximity_tui.commands.tui",
    "proximity_tui.app",
    "proximity_tui.store.quick_read",
)


def _imported(module: str) -> set[str]:
    """The HEAVY modules present after importing `module` in a fresh interpreter."""
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize("module", START_PATH)
def test_the_start_path_leaves_the_heavy_imports_for_later(module):
    assert _imported(module) == set()


@pytest.mark.parametrize(
    ("module", "heavy"),
    [
        ("proximity_tui.services.app_records", "sqlalchemy"),
        ("proximity_tui.proxmox.session", "proxmoxer"),
    ],
)
def test_the_check_sees_a_heavy_import(module, heavy):
    # Modules of the services do import them: the probe would report such an import on the path.
    assert heavy in _imported(module)
