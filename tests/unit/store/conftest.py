import pytest

from proximity_tui.store.db import Database


@pytest.fixture
def db(tmp_path):
    database = Database.open(tmp_path / "data" / "proximity.db")
    yield database
    database.close()


@pytest.fixture
def app_fields():
    """Builds the fields of a valid app: `app_fields(n, **overrides)`."""
    return _app_fields


def _app_fields(n: int = 1, **over):
    fields = {
        "id": f"nginx-web{n}",
        "catalog_id": "nginx",
        "name": "Nginx",
        "hostname": f"web{n}",
        "status": "running",
        "lxc_id": 100 + n,
        "node": "pve1",
    }
    fields.update(over)
    return fields
