"""The layering in docs/architecture.md: no Textual below the presentation layer."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "proximity_tui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_services_store_and_sim_never_import_textual():
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for layer in (
            PACKAGE / "services",
            PACKAGE / "store",
            PACKAGE / "proxmox",
            PACKAGE.parent / "pvesim",
        )
        for path in layer.rglob("*.py")
        if "textual" in _imports(path)
    ]
    assert offenders == []


def test_layering_check_sees_an_offender(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from textual.app import App\n")
    assert "textual" in _imports(bad)
