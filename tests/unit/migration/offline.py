"""`migrate_file` with no Proxmox to ask: these tests are about the database, so every entry is
adopted unchecked (what `--adopt-untagged` does); adoption itself is tested against the simulator
in tests/integration/cli/test_migrate_adoption.py and in test_migration_adoption.py."""

from functools import partial

from proximity_tui.services.migration.adoption import Adoption
from proximity_tui.services.migration.apply import migrate_file as _migrate_file

migrate_file = partial(_migrate_file, adoption=Adoption(adopt_untagged=True))
