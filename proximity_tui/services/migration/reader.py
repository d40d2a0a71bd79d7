"""Reading and validating the original Proximity's `apps.json` (pure: no database, no writes).

`load_entries` refuses a file that cannot be used at all (ValidationError, exit 2); `validate_entry`
turns one entry into a normalized `apps` row (its secret-looking environment names marked secret in
`config["secret_names"]`) or says why it is skipped.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proximity_tui.errors import ValidationError
from proximity_tui.secret_names import with_secret_names

#: The statuses the original Proximity wrote (`missing` is ours and never comes from it).
ORIGINAL_STATUSES = ("deploying", "running", "stopped", "error", "updating", "removing")
HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
#: `2025-10-04 00:33:41.918809` (what the original wrote) and ISO 8601, with or without Z/offset.
TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
)
LXC_ID_MIN, LXC_ID_MAX = 100, 999_999_999
#: Column lengths of the `apps` table (SQLite does not enforce them; we do).
LIMITS = {"id": 255, "catalog_id": 100, "name": 255, "node": 100, "url": 512}
JSON_FIELDS: dict[str, type] = {"config": dict, "ports": dict, "volumes": list, "environment": dict}


class Invalid(Exception):
    """One entry cannot be imported; the message is the reason shown to the user."""


def load_entries(path: Path) -> list[Any]:
    """The list of entries in the file (`{"apps": [...]}` or a bare list), or ValidationError."""
    return parse_entries(read_source(path), path)


def read_source(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ValidationError(f"{path}: is a directory, not a JSON file") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror or exc}") from None


def parse_entries(raw: bytes, path: Path) -> list[Any]:
    try:
        data = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not JSON (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ValidationError(f"{path}: not JSON: {exc.msg} at {where}") from None
    except ValueError as exc:
        raise ValidationError(f"{path}: not JSON: {exc}") from None
    except RecursionError:
        raise ValidationError(f"{path}: not usable: JSON nested too deeply") from None
    if isinstance(data, dict):
        if "apps" not in data:
            raise ValidationError(f'{path}: wrong shape: expected {{"apps": [...]}} or a list')
        data = data["apps"]
        if not isinstance(data, list):
            raise ValidationError(f'{path}: wrong shape: "apps" is {_kind(data)}, not a list')
    elif not isinstance(data, list):
        raise ValidationError(f'{path}: wrong shape: expected {{"apps": [...]}} or a list')
    return data


def validate_entry(entry: Any) -> dict[str, Any]:
    """A normalized row for the `apps` table, or `Invalid` with the reason.

    Missing timestamps stay None here: the caller sets them to now for a new app and keeps the
    stored ones for an existing app (so that a rerun finds nothing changed).
    """
    if not isinstance(entry, dict):
        raise Invalid(f"entry is {_kind(entry)}, not an object")
    row: dict[str, Any] = {
        "id": _text(entry, "id", required=True),
        "catalog_id": _text(entry, "catalog_id", required=True),
    }
    row["name"] = _text(entry, "name", required=False) or row["catalog_id"]
    row["hostname"] = _hostname(entry.get("hostname"))
    row["lxc_id"] = _lxc_id(entry.get("lxc_id"))
    row["node"] = _text(entry, "node", required=True, spaces=False)
    status = entry.get("status")
    if status not in ORIGINAL_STATUSES:
        shown = "missing" if status is None else _show(status)
        raise Invalid(f"status {shown} is not one of {', '.join(ORIGINAL_STATUSES)}")
    row["status"] = status
    row["url"] = _text(entry, "url", required=False)
    row["created_at"] = _timestamp(entry, "created_at")
    row["updated_at"] = _timestamp(entry, "updated_at")
    for key, kind in JSON_FIELDS.items():
        value = entry.get(key)
        if value is None:
            value = kind()
        elif not isinstance(value, kind):
            raise Invalid(f"{key} must be a JSON {'object' if kind is dict else 'array'}")
        row[key] = value
    # The original never marked secrets: its DB_PASSWORD would show on the Settings tab to anyone.
    row["config"] = with_secret_names(row["config"], row["environment"])
    return row


def parse_timestamp(text: str) -> datetime:
    """One of the accepted forms, as an aware UTC datetime (naive means UTC, as the original
    wrote `datetime.utcnow()`)."""
    if not TIMESTAMP.fullmatch(text):
        raise ValueError(text)
    ts = datetime.fromisoformat(text)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _text(entry: dict[str, Any], key: str, *, required: bool, spaces: bool = True) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        if required:
            raise Invalid(f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise Invalid(f"{key} must be a string, got {_kind(value)}")
    if not _utf8(value):
        raise Invalid(f"{key} {_show(value)} is not valid Unicode text")
    if not spaces and any(c.isspace() for c in value):
        raise Invalid(f"{key} {_show(value)} contains spaces")
    if not value.isprintable():  # control characters, bidi overrides, line separators...
        raise Invalid(f"{key} {_show(value)} contains control or invisible characters")
    limit = LIMITS.get(key)
    if limit and len(value) > limit:
        raise Invalid(f"{key} is longer than {limit} characters")
    return value


def _hostname(value: Any) -> str:
    if value is None or value == "":
        raise Invalid("hostname is missing")
    if not isinstance(value, str):
        raise Invalid(f"hostname must be a string, got {_kind(value)}")
    hostname = value.lower()
    if not HOSTNAME.fullmatch(hostname):
        raise Invalid(
            f"hostname {_show(value)} is not valid (RFC 1123: 1-63 letters, digits or hyphens, "
            "no hyphen first or last)"
        )
    return hostname


def _lxc_id(value: Any) -> int:
    if value is None:
        raise Invalid("lxc_id is missing")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"lxc_id {_show(value)} is not an integer")
    if not LXC_ID_MIN <= value <= LXC_ID_MAX:
        raise Invalid(f"lxc_id {value} is outside {LXC_ID_MIN}..{LXC_ID_MAX}")
    return value


def _timestamp(entry: dict[str, Any], key: str) -> datetime | None:
    value = entry.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(f"{key} must be a timestamp string, got {_kind(value)}")
    try:
        return parse_timestamp(value)
    except ValueError:
        raise Invalid(
            f"{key} {_show(value)} is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff] or ISO 8601)"
        ) from None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \ud800-style escapes
        return False
    return True


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _show(value: Any, limit: int = 60) -> str:
    """A value quoted for a one-line message: repr escapes control characters, long ones cut."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
