"""Issue 15, points 6 and 7: backups never written through a symlink nor with a loose mode, and
every directory of ours 0700 whatever the umask."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.unit.migration.offline import migrate_file


def _apps(path: Path) -> Path:
    entry = {
        "id": "whoami-web",
        "catalog_id": "whoami",
        "name": "whoami",
        "hostname": "web",
        "status": "running",
        "lxc_id": 101,
        "node": "pve1",
    }
    path.write_text(json.dumps([entry]))
    return path


def test_migrate_backups_replace_links_and_loose_files_never_follow_them(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    source = _apps(tmp_path / "apps.json")
    (tmp_path / "apps.json.backup").symlink_to(victim)  # planted by someone else
    db = tmp_path / "data" / "proximity.db"
    migrate_file(db, source)
    backup = tmp_path / "apps.json.backup"
    assert victim.read_text() == "precious"  # the link's target was never written
    assert not backup.is_symlink() and backup.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # A second run that changes apps copies the database: a link planted there is replaced too.
    source.write_text(source.read_text().replace('"running"', '"stopped"'))
    backup.unlink()
    backup.write_text("old")
    backup.chmod(0o666)
    report = migrate_file(db, source)
    assert report.database_backup is not None
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.database_backup.stat().st_mode) == 0o600


def test_a_database_copy_never_follows_a_link(tmp_path):
    from proximity_tui.store.db import Database, copy_database

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    with Database.open(tmp_path / "db.sqlite") as db:
        dest = tmp_path / "db.sqlite.bak-0001"
        dest.symlink_to(victim)
        copy_database(db.path, dest)
    assert victim.read_text() == "precious" and not dest.is_symlink()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_directories_of_ours_are_0700_under_umask_000(tmp_path):
    from proximity_tui.config import write_config
    from proximity_tui.files import private_dir
    from proximity_tui.store.db import Database

    old = os.umask(0)
    try:
        made = private_dir(tmp_path / "a" / "b" / "catalog")
        Database.open(tmp_path / "d1" / "d2" / "proximity.db").close()
        write_config(tmp_path / "c1" / "c2" / "config.toml", {"ui": {"theme": "x"}})
    finally:
        os.umask(old)
    for directory in (made, made.parent, made.parent.parent, tmp_path / "d1", tmp_path / "d1/d2"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    for directory in (tmp_path / "c1", tmp_path / "c1/c2"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
