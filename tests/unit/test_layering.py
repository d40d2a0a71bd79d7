"""The layer contracts of pyproject.toml ([tool.importlinter]) hold, and they bite.

`make test` runs `lint-imports` itself; these tests also prove that each contract fails when a
forbidden import is added, on a copy of the packages (the real tree is never touched).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, so grimp analyses it rather than the installed project.
    # Wide enough that no import chain is wrapped in the report.
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_contracts_hold_on_the_code():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the two packages' sources and the contracts."""
    root = tmp_path_factory.mktemp("layers")
    for package in ("proximity_tui", "pvesim"):
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.yaml")
        )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


# (file that gains the import, the import, the contract that must then be broken)
FORBIDDEN = [
    ("proximity_tui/store/db.py", "import proximity_tui.services.journal", "Layers:"),
    ("proximity_tui/errors.py", "import proximity_tui.config", "Layers:"),
    ("proximity_tui/proxmox/tasks.py", "import proximity_tui.store.db", "Layers:"),
    ("proximity_tui/services/status.py", "import proximity_tui.screens.apps", "Layers:"),
    ("proximity_tui/widgets/format.py", "import proximity_tui.screens.apps", "Layers:"),
    ("proximity_tui/widgets/format.py", "import proximity_tui.services.journal", "Widgets are"),
    (
        "proximity_tui/services/operations/clone.py",
        "import proximity_tui.services.app_service",
        "Operations know their narrow deps",
    ),
    (
        "proximity_tui/screens/connect.py",
        "import proximity_tui.proxmox.tls",
        "reaches Proxmox and the database only through services",
    ),
    (
        "proximity_tui/screens/apps.py",
        "import proximity_tui.store.repositories",
        "reaches Proxmox and the database only through services",
    ),
    ("pvesim/server.py", "import proximity_tui.config", "imports nothing from the product"),
    (
        "proximity_tui/services/bootstrap.py",
        "import pvesim.server",
        "builds the simulator only in the command layer",
    ),
    ("proximity_tui/services/runtime.py", "import textual.app", "No Textual"),
    ("proximity_tui/store/quick_read.py", "import rich.text", "No Textual"),
    ("pvesim/faults.py", "import textual", "No Textual"),
]


@pytest.mark.parametrize(("path", "line", "contract"), FORBIDDEN, ids=[f[0] for f in FORBIDDEN])
def test_a_forbidden_import_breaks_its_contract(tree, path, line, contract):
    target = tree / path
    original = target.read_text(encoding="utf-8")
    # Even an import only for type checking counts: it is still a dependency of the module.
    target.write_text(
        original + f"\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    {line}\n",
        encoding="utf-8",
    )
    try:
        result = _lint_imports(tree)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
    importer = path.removesuffix(".py").replace("/", ".")
    imported = line.split()[-1]
    if not imported.startswith(("proximity_tui", "pvesim")):
        imported = imported.split(".")[0]  # third-party packages are one node in the graph
    assert f"{importer} -> {imported}" in broken, result.stdout


def test_the_copy_itself_is_clean(tree):
    """The broken runs above are broken by the added line, not by the copy."""
    result = _lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
