"""Checks on user input shared by the deploy form, the CLI twin and the services.

Each check returns the normalised value or raises `ValidationError` naming the field; nothing is
changed before a check passes.
"""

from __future__ import annotations

import re

from proximity_tui.errors import ValidationError

#: RFC 1123 label: 1-63 letters, digits or hyphens, no hyphen at either end (lower-cased first).
HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
VMID_MIN, VMID_MAX = 100, 999_999_999


def _show(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: Names a container must not take: they resolve to the machine itself.
RESERVED_HOSTNAMES = frozenset(
    {"localhost", "localhost-localdomain", "ip6-localhost", "ip6-loopback"}
)


def check_hostname(value: object, *, field: str = "hostname") -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text, got {_show(value)}", field=field)
    hostname = value.strip().lower()
    if not hostname:
        raise ValidationError(f"{field} is empty", field=field)
    if len(hostname) > 63:
        raise ValidationError(f"{field} is longer than 63 characters", field=field)
    if not HOSTNAME.fullmatch(hostname):
        raise ValidationError(
            f"{field} {_show(value)} is not valid: use 1-63 letters, digits or hyphens, "
            "not starting or ending with a hyphen",
            field=field,
        )
    if hostname in RESERVED_HOSTNAMES:
        raise ValidationError(
            f"{field} {hostname!r} is reserved: it names the machine itself, pick another",
            field=field,
        )
    return hostname


def check_vmid(value: object, *, field: str = "vmid") -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"{field} must be an integer, got {_show(value)}", field=field)
    try:
        vmid = int(value)
    except ValueError:
        raise ValidationError(
            f"{field} must be an integer, got {_show(value)}", field=field
        ) from None
    if not VMID_MIN <= vmid <= VMID_MAX:
        raise ValidationError(f"{field} must be between {VMID_MIN} and {VMID_MAX}", field=field)
    return vmid


def check_resource(value: object, *, field: str, minimum: int, maximum: int, unit: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number, got {_show(value)}", field=field)
    if value < minimum:
        raise ValidationError(f"{field} must be at least {minimum}{unit}", field=field)
    if value > maximum:
        raise ValidationError(f"{field} must be at most {maximum}{unit}", field=field)
    return value


def check_env(values: dict[str, str] | None) -> dict[str, str]:
    """Environment overrides: valid names, text values without NUL or line breaks."""
    out: dict[str, str] = {}
    for name, value in (values or {}).items():
        if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
            raise ValidationError(
                f"{_show(name)} is not a valid variable name", field="environment"
            )
        if not isinstance(value, str):
            raise ValidationError(f"{name} must be text", field=f"environment.{name}")
        if "\x00" in value or "\n" in value or "\r" in value:
            raise ValidationError(
                f"{name} must not contain NUL or line breaks", field=f"environment.{name}"
            )
        out[name] = value
    return out
