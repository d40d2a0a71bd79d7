"""What every test shares: no Textual animations, and the workplace's reference data.

The reference data (`../shared/reference` beside the repository: the original Proximity's files,
the PVE API schema) is read in place and never copied into the repository; outside the workplace
it is absent, and the tests that need it skip saying so.
"""

from __future__ import annotations

import compileall
import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Set before any Textual app is made: animations would make Pilot tests and snapshots timing-bound.
os.environ["TEXTUAL_ANIMATIONS"] = "none"

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference"


def pytest_configure(config: pytest.Config) -> None:
    """Compile the product and the simulator to bytecode once, before any worker starts.

    With PYTHONDONTWRITEBYTECODE set (as here) nothing writes `__pycache__`, so every
    `proximity-tui` subprocess (the CLI, tmux and simulator tests start hundreds) compiled the
    ~120 modules it imports from source again: about a fifth of a CLI command's CPU. Bytecode is
    still read when present and ignored when its source changed (a stale file is just unused).
    """
    if not hasattr(config, "workerinput"):  # the xdist controller, or a run without xdist
        for package in ("proximity_tui", "pvesim"):
            compileall.compile_dir(REPO / package, quiet=1)


def reference_path(relative: str) -> Path:
    """`relative` under the reference data; skips the calling test with the reason when absent."""
    path = REFERENCE / relative
    if not path.exists():
        pytest.skip(f"reference data not available at {path} (../shared is only in the workplace)")
    return path


@pytest.fixture(scope="session")
def reference() -> Callable[[str], Path]:
    """`reference("proximity-v1/apps.json")`: the path, or the test skipped with the reason."""
    return reference_path
