"""PVE's loose JSON types, coerced in one place, and our values turned into what PVE accepts.

PVE answers numbers as strings in places (`/cluster/nextid`, `vmid` before 8.1, `loadavg`),
booleans as 0/1, and leaves fields out when they are empty. On input it takes booleans only as
exactly 1 or 0 (`True` arrives as the string "True" and fails its type check).
"""

from __future__ import annotations

import re
from typing import Any

from proximity_tui.errors import ValidationError

# --- coercion -----------------------------------------------------------------------------------


def as_int(value: Any, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def as_float(value: Any, default: float = 0.0) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def as_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def split_tags(value: Any) -> list[str]:
    """PVE separates tags with `;` (and accepts `,` and spaces on input)."""
    if not value:
        return []
    if isinstance(value, list):
        return [str(t) for t in value if str(t)]
    return [t for t in re.split(r"[;,\s]+", str(value)) if t]


def parse_property_string(value: Any) -> dict[str, str]:
    """`name=eth0,bridge=vmbr0,ip=dhcp` -> dict; a bare first item (`local-lvm:4`) gets key ''."""
    out: dict[str, str] = {}
    if not value:
        return out
    for part in str(value).split(","):
        if not part:
            continue
        key, sep, val = part.partition("=")
        if sep:
            out[key.strip()] = val.strip()
        else:
            out[""] = key.strip()
    return out


def to_pve_params(params: dict[str, Any]) -> dict[str, Any]:
    """Booleans become exactly 1/0 (PVE refuses `True`), None is dropped, a tag list is joined."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = 1 if value else 0
        elif key == "tags" and isinstance(value, list | tuple | set):
            out[key] = ";".join(str(v) for v in value)
        else:
            out[key] = value
    return out


def check_vmid(vmid: Any) -> int:
    """PVE accepts ids from 100 to 999999999; anything else is refused before a call is made."""
    try:
        value = int(vmid)
    except (TypeError, ValueError):
        raise ValidationError(f"vmid must be an integer, got {vmid!r}", field="vmid") from None
    if isinstance(vmid, bool) or not 100 <= value <= 999_999_999:
        raise ValidationError(f"vmid must be between 100 and 999999999, got {vmid!r}", field="vmid")
    return value
