"""Every validation rule of the apps.json import, one entry at a time and through a whole file."""

from datetime import UTC, datetime

import pytest

from proximity_tui.services.migration.reader import Invalid, validate_entry
from tests.unit.migration.offline import migrate_file

LONG = "x" * 300


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"id": None}, "id is missing"),
        ({"id": ""}, "id is missing"),
        ({"id": 12}, "id must be a string"),
        ({"id": "a\nb"}, "id 'a\\nb' contains control or invisible"),
        ({"id": "nul\x00"}, "control or invisible characters"),
        ({"name": "evil\u202etxt.exe"}, "control or invisible characters"),
        ({"url": "http://x/\x1b[2J"}, "control or invisible characters"),
        ({"id": LONG}, "id is longer than 255"),
        ({"catalog_id": None}, "catalog_id is missing"),
        ({"catalog_id": "c" * 101}, "catalog_id is longer than 100"),
        ({"name": ["x"]}, "name must be a string"),
        ({"name": "bad \ud800 text"}, "not valid Unicode"),
        ({"hostname": None}, "hostname is missing"),
        ({"hostname": 7}, "hostname must be a string"),
        ({"hostname": "bad_host"}, "is not valid (RFC 1123"),
        ({"hostname": "-web"}, "RFC 1123"),
        ({"hostname": "web-"}, "RFC 1123"),
        ({"hostname": "w" * 64}, "RFC 1123"),
        ({"hostname": "web.lan"}, "RFC 1123"),
        ({"hostname": "$(reboot)"}, "RFC 1123"),
        ({"hostname": "wéb"}, "RFC 1123"),
        ({"lxc_id": None}, "lxc_id is missing"),
        ({"lxc_id": 99}, "outside 100..999999999"),
        ({"lxc_id": 1_000_000_000}, "outside 100..999999999"),
        ({"lxc_id": "abc"}, "is not an integer"),
        ({"lxc_id": 101.5}, "is not an integer"),
        ({"lxc_id": True}, "is not an integer"),
        ({"node": None}, "node is missing"),
        ({"node": "pve 1"}, "contains spaces"),
        ({"status": "paused"}, "status 'paused' is not one of deploying, running"),
        ({"status": None}, "status missing is not one of"),
        ({"status": "missing"}, "is not one of"),  # ours, never the original's
        ({"url": 80}, "url must be a string"),
        ({"url": "http://" + LONG * 2}, "url is longer than 512"),
        ({"created_at": "yesterday"}, "created_at 'yesterday' is not a timestamp"),
        ({"updated_at": 1700000000}, "updated_at must be a timestamp string"),
        ({"created_at": "2025-13-45 00:00:00"}, "is not a timestamp"),
        ({"config": []}, "config must be a JSON object"),
        ({"ports": [80]}, "ports must be a JSON object"),
        ({"volumes": {}}, "volumes must be a JSON array"),
        ({"environment": "A=1"}, "environment must be a JSON object"),
    ],
)
def test_invalid_entries_say_why(entry, over, reason):
    with pytest.raises(Invalid) as why:
        validate_entry(entry(**over))
    assert reason in str(why.value)


def test_not_an_object():
    with pytest.raises(Invalid, match="entry is an array, not an object"):
        validate_entry([1, 2])


@pytest.mark.parametrize(
    ("over", "key", "expected"),
    [
        ({"hostname": "Web-01"}, "hostname", "web-01"),
        ({"hostname": "a"}, "hostname", "a"),
        ({"hostname": "w" * 63}, "hostname", "w" * 63),
        ({"lxc_id": "105"}, "lxc_id", 105),
        ({"lxc_id": 999_999_999}, "lxc_id", 999_999_999),
        ({"name": None}, "name", "nginx"),  # falls back to the catalog id
        ({"url": None}, "url", None),
        ({"config": None, "volumes": None}, "volumes", []),
        ({"status": "removing"}, "status", "removing"),
        ({"created_at": "2025-10-04 00:33:41.918809"}, "created_at",
         datetime(2025, 10, 4, 0, 33, 41, 918809, tzinfo=UTC)),
        ({"created_at": "2025-10-04T00:33:41Z"}, "created_at",
         datetime(2025, 10, 4, 0, 33, 41, tzinfo=UTC)),
        ({"created_at": "2025-10-04T02:33:41+02:00"}, "created_at",
         datetime(2025, 10, 4, 0, 33, 41, tzinfo=UTC)),
        ({"created_at": "2025-10-04"}, "created_at", datetime(2025, 10, 4, tzinfo=UTC)),
        ({"created_at": None}, "created_at", None),  # set by the run: now, or kept
    ],
)  # fmt: skip
def test_valid_values_are_normalized(entry, over, key, expected):
    assert validate_entry(entry(**over))[key] == expected


def test_a_file_with_every_defect_imports_only_the_good_entries(entry, write_apps, db_path, rows):
    good = [entry(1), entry(2, hostname="WEB2", lxc_id="102", created_at=entry.DROP)]
    bad = [
        "not an object",
        entry(3, id=entry.DROP),
        entry(4, catalog_id=""),
        entry(5, hostname="web_5"),
        entry(6, lxc_id=42),
        entry(7, node=entry.DROP),
        entry(8, status="paused"),
        entry(9, updated_at="last week"),
        entry(10, ports=[80]),
    ]
    before = datetime.now(UTC)
    report = migrate_file(db_path, write_apps(good + bad), username="alice")
    counts = report.counts()
    assert counts == {"total": 11, "created": 2, "updated": 0, "unchanged": 0, "skipped": 9,
                      "errors": 0}  # fmt: skip
    assert report.exit_code == 1
    skipped = [e for e in report.entries if e.outcome == "skipped"]
    assert [e.entry for e in skipped] == list(range(3, 12))
    assert all(e.reason for e in skipped)
    assert skipped[3].id == "nginx-web5" and "web_5" in skipped[3].reason
    stored = rows(db_path)
    assert sorted(stored) == ["nginx-web1", "nginx-web2"]
    assert (stored["nginx-web2"]["hostname"], stored["nginx-web2"]["lxc_id"]) == ("web2", 102)
    created = datetime.fromisoformat(stored["nginx-web2"]["created_at"]).replace(tzinfo=UTC)
    assert created >= before.replace(microsecond=0)  # a missing timestamp is set to now
