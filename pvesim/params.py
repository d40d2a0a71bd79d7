"""Parameter verification the way PVE's JSONSchema does it, with its exact messages.

Values arrive as strings (query string or form body). Each endpoint declares its parameters as
`Param`s (see `specs.py`); `verify()` checks them in PVE's order (missing, type, format, pattern,
length, range, enum), rejects unknown names, and raises one 400 `Parameter verification failed.`
with every error by parameter. Booleans are exactly `0` or `1` (`True` is refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pvesim.errors import param_error


@dataclass(frozen=True)
class Param:
    type: str = "string"  # string | integer | number | boolean
    optional: bool = True
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    #: A named format (`pve-vmid`, `dns-name`, `pve-tag-list`, ...) or a property-string format.
    format: str | Mapping[str, Param] | None = None
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    #: Another parameter that must be present when this one is.
    requires: str | None = None
    #: In a property string: the key a bare value belongs to (`rootfs`'s volume).
    default_key: bool = False
    #: For `net[n]`-style names: the highest index allowed.
    max_index: int | None = None


def string(**kw: Any) -> Param:
    return Param("string", **kw)


def integer(minimum: float | None = None, maximum: float | None = None, **kw: Any) -> Param:
    return Param("integer", minimum=minimum, maximum=maximum, **kw)


def number(minimum: float | None = None, maximum: float | None = None, **kw: Any) -> Param:
    return Param("number", minimum=minimum, maximum=maximum, **kw)


def boolean(**kw: Any) -> Param:
    return Param("boolean", **kw)


def required(p: Param) -> Param:
    return Param(**{**p.__dict__, "optional": False})


# --- named formats: each raises ValueError with PVE's message --------------------------------

_DNS_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_CONFIGID = re.compile(r"^[a-z][a-z0-9_-]+$", re.I)
_TAG = re.compile(r"^[a-z0-9_][a-z0-9_\-+.]*$", re.I)
_IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
_CONTENT_TYPES = {"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import", "none"}


def _check(regex: str, message: str) -> Callable[[str], None]:
    compiled = re.compile(regex)

    def check(value: str) -> None:
        if not compiled.fullmatch(value):
            raise ValueError(message.format(value=value))

    return check


def _configid(value: str) -> None:
    if not _CONFIGID.match(value):
        raise ValueError(f"invalid configuration ID '{value}'")


def _tag(value: str) -> None:
    if not _TAG.match(value):
        raise ValueError("invalid characters in tag")


def _content(value: str) -> None:
    if value not in _CONTENT_TYPES:
        raise ValueError(f"invalid content type '{value}'")


def _volume_id(value: str) -> None:
    if not re.fullmatch(r"([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)", value, re.I):
        raise ValueError(f"unable to parse volume ID '{value}'")


def _startup(value: str) -> None:
    for part in value.split(","):
        if part.strip() and not re.fullmatch(r"(order=)?\d+|up=\d+|down=\d+", part):
            raise ValueError("unable to parse startup options")


def _ipv4_config(value: str) -> None:
    if value in ("dhcp", "manual"):
        return
    match = re.fullmatch(rf"{_IPV4}/(\d+)", value)
    if not match or not 8 <= int(match.group(1)) <= 32:
        raise ValueError("value does not look like a valid ipv4 network configuration")


def _ipv6_config(value: str) -> None:
    if value in ("auto", "dhcp", "manual") or re.fullmatch(r"[0-9a-fA-F:]+/\d+", value):
        return
    raise ValueError("value does not look like a valid ipv6 network configuration")


# pve-access-control `src/PVE/Auth/Plugin.pm` ($user_regex, $realm_regex, verify_username) and
# `src/PVE/AccessControl.pm` (verify_groupname, verify_rolename, pve_verify_tokenid)
_USERID = r"[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+"
_USERID_TEXT = "value '{value}' does not look like a valid user name"

FORMATS: dict[str, Callable[[str], None]] = {
    "pve-userid": _check(_USERID, _USERID_TEXT),
    "pve-tokenid": _check(
        _USERID + r"![A-Za-z][A-Za-z0-9.\-_]+",
        "value '{value}' does not look like a valid token ID",
    ),
    "pve-groupid": _check(r"[A-Za-z0-9.\-_]+", "group name '{value}' contains invalid characters"),
    "pve-roleid": _check(r"[A-Za-z0-9.\-_]+", "role name '{value}' contains invalid characters"),
    "email": _check(r"[^\s@]+@[^\s@]+", "value does not look like a valid email address"),
    "pve-vmid": _check(r"[1-9][0-9]{2,8}", "value does not look like a valid VM ID"),
    "pve-node": _check(
        r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?", "value does not look like a valid node name"
    ),
    "dns-name": _check(
        rf"({_DNS_LABEL}\.)*{_DNS_LABEL}", "value does not look like a valid DNS name"
    ),
    "pve-storage-id": _check(
        r"[a-z][a-z0-9\-_.]*[a-z0-9]", "storage ID '{value}' contains illegal characters"
    ),
    "pve-configid": _configid,
    "pve-tag": _tag,
    "pve-storage-content": _content,
    "pve-volume-id": _volume_id,
    "pve-startup-order": _startup,
    "pve-poolid": _check(r"[A-Za-z0-9_\-]+", "pool name '{value}' contains illegal characters"),
    "pve-iface": _check(
        r"[a-z][a-z0-9_]{1,20}([:.]\d+)?", "invalid network interface name '{value}'"
    ),
    "pve-bridge-id": _check(r"[-_.\w\d]+", "invalid bridge ID '{value}'"),
    "mac-addr": _check(
        r"[a-fA-F0-9][02468aceACE](:[a-fA-F0-9]{2}){5}",
        "value does not look like a valid unicast MAC address",
    ),
    "ipv4": _check(_IPV4, "value does not look like a valid IPv4 address"),
    "pve-ipv4-config": _ipv4_config,
    "pve-ipv6-config": _ipv6_config,
    "disk-size": _check(
        r"\d+(\.\d+)?[KMGT]?", "value does not look like a valid disk size: {value}"
    ),
    "pve-task-status-type": _check(r"(?i)ok|error|warning|unknown", "invalid status '{value}'"),
    "pve-realm": _check(
        r"[A-Za-z][A-Za-z\.\-_\d]+", "realm ID '{value}' contains illegal characters"
    ),
}

#: Formats we accept without checking (their values do not matter to the simulator).
LENIENT_FORMATS = {
    "lxc-ip-with-ll-iface",
    "pve-lxc-mp-string",
    "pve-lxc-dev-string",
    "ipv6",
    "pve-ct-timezone",
    "pve-priv",
    "email-or-username",
    "backup-fleecing",
    "backup-performance",
    "prune-backups",
    "string",
}

_SPLIT_LIST = re.compile(r"[,;\s\0]+")


def check_named_format(name: str, value: str) -> None:
    base, kind = name, None
    match = re.fullmatch(r"(.*?)-(list|opt)", name)
    if match and (match.group(1) in FORMATS or match.group(1) in LENIENT_FORMATS):
        base, kind = match.group(1), match.group(2)
    if base in LENIENT_FORMATS:
        return
    check = FORMATS.get(base)
    if check is None:
        raise LookupError(f"undefined format '{name}'")
    if kind == "list":
        for item in (v for v in _SPLIT_LIST.split(value) if v):
            check(item)
    elif kind == "opt":
        if value:
            check(value)
    else:
        check(value)


# --- property strings (`features`, `net0`, `rootfs`) -----------------------------------------

_TRUE = {"1", "on", "yes", "true"}
_FALSE = {"0", "off", "no", "false"}


def parse_property_string(fmt: Mapping[str, Param], text: str, path: str) -> dict[str, str]:
    """Parse `k=v,k2=v2` like PVE; raises ValueError with PVE's message."""
    result: dict[str, str] = {}
    default_key = next((k for k, p in fmt.items() if p.default_key), None)
    used_default = False
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" in part and not part.startswith("="):
            key, value = part.split("=", 1)
            if value == "":
                raise ValueError("missing key in comma-separated list property")
            if key in result:
                raise ValueError(f"duplicate key in comma-separated list property: {key}")
            schema = fmt.get(key)
            if schema is None:
                raise ValueError(f"invalid key in comma-separated list property: {key}")
            if schema.type == "boolean":
                low = value.lower()
                value = "1" if low in _TRUE else "0" if low in _FALSE else value
            result[key] = value
        elif "=" not in part:
            if default_key is None:
                raise ValueError("value without key, but schema does not define a default key")
            if used_default or default_key in result:
                raise ValueError(f"duplicate key in comma-separated list property: {default_key}")
            result[default_key] = part
            used_default = True
        else:
            raise ValueError("missing key in comma-separated list property")
    errors: dict[str, str] = {}
    _check_object(fmt, result, errors, prefix=f"{path}.")
    if errors:
        raise ValueError(
            "format error\n" + "".join(f"{k}: {v}\n" for k, v in sorted(errors.items()))
        )
    return result


# --- the checks themselves ------------------------------------------------------------------


def _is_integer(value: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", value) is not None


def _is_number(value: str) -> bool:
    return re.fullmatch(r"[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?", value) is not None


def _fmt_num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def check_value(spec: Param, value: str, path: str, errors: dict[str, str]) -> None:
    """One parameter, in the order PVE's `check_prop` uses; records at most one error."""
    if spec.type == "boolean" and value not in ("0", "1"):
        errors[path] = f"type check ('boolean') failed - got '{value}'"
        return
    if spec.type == "integer" and not _is_integer(value):
        errors[path] = f"type check ('integer') failed - got '{value}'"
        return
    if spec.type == "number" and not _is_number(value):
        errors[path] = f"type check ('number') failed - got '{value}'"
        return
    if spec.format is not None:
        try:
            if isinstance(spec.format, str):
                check_named_format(spec.format, value)
            else:
                parse_property_string(spec.format, value, path)
        except ValueError as exc:
            errors[path] = f"invalid format - {str(exc).rstrip(chr(10))}\n"
            return
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        errors[path] = "value does not match the regex pattern"
        return
    if spec.max_length is not None and len(value) > spec.max_length:
        errors[path] = f"value may only be {spec.max_length} characters long"
        return
    if spec.min_length is not None and len(value) < spec.min_length:
        errors[path] = f"value must be at least {spec.min_length} characters long"
        return
    if _is_number(value):
        if spec.maximum is not None and float(value) > spec.maximum:
            errors[path] = f"value must have a maximum value of {_fmt_num(spec.maximum)}"
            return
        if spec.minimum is not None and float(value) < spec.minimum:
            errors[path] = f"value must have a minimum value of {_fmt_num(spec.minimum)}"
            return
    if spec.enum is not None and value not in spec.enum:
        errors[path] = (
            f"value '{value}' does not have a value in the enumeration '{', '.join(spec.enum)}'"
        )


def spec_for(specs: Mapping[str, Param], name: str) -> Param | None:
    """The spec of a parameter, resolving `net0` to `net[n]`."""
    spec = specs.get(name)
    if spec is not None and spec.max_index is None:
        return spec
    match = re.fullmatch(r"([a-z]+)(\d+)", name)
    if match:
        indexed = specs.get(f"{match.group(1)}[n]")
        if indexed is not None and int(match.group(2)) <= (indexed.max_index or 0):
            return indexed
    return None


def _check_object(
    specs: Mapping[str, Param], values: Mapping[str, str], errors: dict[str, str], prefix: str = ""
) -> None:
    for name, spec in specs.items():
        if spec.max_index is not None:
            continue
        if name not in values:
            if not spec.optional:
                errors[prefix + name] = "property is missing and it is not optional"
            continue
        check_value(spec, values[name], prefix + name, errors)
    for name, value in values.items():
        spec = spec_for(specs, name)
        if spec is None:
            errors[prefix + name] = (
                "property is not defined in schema and the schema does not allow additional "
                "properties"
            )
            continue
        if spec.max_index is not None:
            check_value(spec, value, prefix + name, errors)
        if spec.requires and spec.requires not in values:
            errors[prefix + spec.requires] = (
                f"missing property - '{prefix}{name}' requires this property"
            )


def verify(specs: Mapping[str, Param], values: Mapping[str, str]) -> dict[str, Any]:
    """Check `values` (strings) against `specs`; return them typed, or raise the 400."""
    errors: dict[str, str] = {}
    _check_object(specs, values, errors)
    if errors:
        raise param_error(errors)
    typed: dict[str, Any] = {}
    for name, value in values.items():
        spec = spec_for(specs, name)
        assert spec is not None
        if spec.type in ("integer", "boolean"):
            typed[name] = int(value)
        elif spec.type == "number":
            typed[name] = float(value)
        else:
            typed[name] = value
    return typed
