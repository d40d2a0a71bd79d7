"""How PVE writes container options back: normalized property strings, tags, disk sizes."""

from __future__ import annotations

import re
from collections.abc import Callable

from pvesim.model import GiB

_TRUE = {"1", "on", "yes", "true"}
_FALSE = {"0", "off", "no", "false"}
#: Boolean keys inside property strings (normalized to 0/1 when written).
_PROP_BOOLEANS = {
    "firewall",
    "link_down",
    "host-managed",
    "keyctl",
    "nesting",
    "fuse",
    "mknod",
    "force_rw_sys",
    "acl",
    "quota",
    "replicate",
    "ro",
    "shared",
    "backup",
    "keepattrs",
}


def split_property_string(text: str) -> list[tuple[str, str]]:
    out = []
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        out.append((key, value) if sep else ("", key))
    return out


def _norm_bool(key: str, value: str) -> str:
    if key in _PROP_BOOLEANS:
        low = value.lower()
        if low in _TRUE:
            return "1"
        if low in _FALSE:
            return "0"
    return value


def normalize_features(text: str) -> str:
    pairs = sorted((k, _norm_bool(k, v)) for k, v in split_property_string(text) if k)
    return ",".join(f"{k}={v}" for k, v in pairs)


def normalize_net(text: str, new_hwaddr: Callable[[], str]) -> str:
    """`name=eth0,bridge=vmbr0,ip=dhcp` -> with a generated hwaddr and type=veth, name first."""
    items = {k: _norm_bool(k, v) for k, v in split_property_string(text) if k}
    items.setdefault("hwaddr", new_hwaddr())
    items.setdefault("type", "veth")
    name = items.pop("name", "eth0")
    return ",".join([f"name={name}"] + [f"{k}={items[k]}" for k in sorted(items)])


def with_new_hwaddr(text: str, hwaddr: str) -> str:
    return re.sub(r"hwaddr=[0-9A-Fa-f:]{17}", f"hwaddr={hwaddr}", text)


def normalize_tags(text: str) -> str:
    return ";".join(t for t in re.split(r"[;,\s]+", text) if t)


def format_size(size: int) -> str:
    """Bytes -> PVE's shortest unit (`8G`, `512M`)."""
    for unit, factor in (("T", 1024 * GiB), ("G", GiB), ("M", 1024**2), ("K", 1024)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def mountpoint_string(volid: str, size: int, rest: str = "") -> str:
    extra = "," + rest if rest else ""
    return f"{volid}{extra},size={format_size(size)}"


def mountpoint_volume(text: str) -> str:
    first = text.split(",", 1)[0]
    return first.split("=", 1)[1] if first.startswith("volume=") else first


def mountpoint_extras(text: str) -> str:
    """The options of a mount point string other than its volume and size."""
    parts = split_property_string(text)
    return ",".join(f"{k}={v}" for k, v in parts if k and k not in ("volume", "size"))


def normalize_description(text: str) -> str | None:
    """A description as PVE hands it back: pve-container `src/PVE/LXC/Config.pm` write_pct_config
    writes it as one `#` comment line per line at the top of the config (Perl's split /\n/ drops
    trailing empty lines), and parse_pct_config reads each comment back ending in a newline.
    Nothing left means no description at all (the key is absent)."""
    lines = text.split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return "".join(line + "\n" for line in lines) or None
