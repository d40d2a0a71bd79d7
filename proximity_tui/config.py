"""Typed settings: a TOML file, overridden by `PROXIMITY_*` environment variables, then by flags.

Precedence (last wins): defaults < config file < environment < command-line flags.
Environment variables are named `PROXIMITY_<SECTION>_<KEY>` (`PROXIMITY_PROXMOX_HOST`,
`PROXIMITY_UI_READ_ONLY`), plus `PROXIMITY_CONFIG`, `PROXIMITY_DB` and `PROXIMITY_DATA_DIR`.
A bad value anywhere raises `ConfigError` naming where it came from and the key.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
import tomllib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proximity_tui.errors import ProximityError
from proximity_tui.files import private_dir

APP_NAME = "proximity-tui"


class ConfigError(ProximityError):
    """The configuration cannot be used. One line: the source (file or variable), the key, why."""

    exit_code = 2

    def __init__(self, source: str, key: str | None, reason: str) -> None:
        where = f"{source}: {key}" if key else source
        super().__init__(f"config error in {where}: {reason}")
        self.source = source
        self.key = key


# --- sections -----------------------------------------------------------------------------------


@dataclass
class ProxmoxSettings:
    """`[proxmox]`: the API endpoint, the credentials and how its certificate is verified."""

    host: str = "127.0.0.1"
    port: int = 8006
    user: str = "root@pam"
    password: str | None = None
    #: Read the password from this file instead (first line); keeps it out of the config.
    password_file: str | None = None
    #: API token id without the user part (`proximity` for `root@pam!proximity`).
    token_name: str | None = None
    token_value: str | None = None
    token_value_file: str | None = None
    #: Pinned SHA-256 fingerprint of the API certificate (`AA:BB:...`, as PVE shows it).
    fingerprint: str | None = None
    #: A CA bundle to verify the certificate with, instead of a pinned fingerprint.
    ca_file: str | None = None
    #: Turning this off is explicit and shown in the UI; it is never done silently.
    verify_ssl: bool = True
    timeout: float = 10.0


@dataclass
class SshSettings:
    """How `pct` is reached: locally when running on the node as root, otherwise over SSH."""

    #: `auto` (local pct when possible, else SSH), `local`, or `ssh`.
    mode: str = "auto"
    user: str = "root"
    port: int = 22
    key: str | None = None
    known_hosts: str | None = None
    #: Pinned host key fingerprint (`SHA256:...`), accepted for every node.
    fingerprint: str | None = None
    #: Node name -> `host` or `host:port`; a node not listed is reached by its name.
    nodes: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0


@dataclass
class DeploySettings:
    """`[deploy]`: where and how new containers are made."""

    #: A template file name to pin; empty: the newest Alpine on the node, else in its index.
    template: str = ""
    template_storage: str = "local"
    storage: str = "local-lvm"
    backup_storage: str | None = None
    #: Proxmox pool new containers go into (`proximity-tui setup` creates it and sets this);
    #: a least-privilege token holds its VM privileges on `/pool/<pool>`.
    pool: str | None = None
    bridge: str = "vmbr0"
    cores: int = 1
    memory: int = 512
    swap: int = 512
    disk: int = 4
    #: `dhcp`, or `static`: addresses from `addresses` (`A-B/prefix` or `NET/prefix`), with
    #: `gateway`, optional `dns` and `vlan` (0: untagged); see services/network.py.
    network: str = "dhcp"
    addresses: str = ""
    gateway: str = ""
    dns: str = ""
    vlan: int = 0
    #: Seconds a new CT may wait for a DHCP lease before the deploy stops and says so.
    dhcp_timeout: float = 20.0
    #: Seconds a single Proxmox task or container command may take during a deploy.
    task_timeout: float = 600.0
    #: Seconds an app may take to answer its health check after `compose up`.
    health_timeout: float = 180.0
    #: Deploy by cloning the node's Docker-ready base (built by the first deploy on a node, or
    #: `proximity-tui prepare NODE`) instead of installing Docker in every new CT.
    base: bool = True
    #: Catalog apps whose images every node's base carries (`prepare NODE --with` adds more for
    #: one node): their deploys pull nothing and start before the DHCP lease. A base that lacks
    #: one is rebuilt by the next deploy on its node (services/base_images.py).
    base_apps: list[str] = field(default_factory=list)


@dataclass
class UiSettings:
    """`[ui]`: the dashboard's look and habits."""

    theme: str = "textual-dark"
    refresh_seconds: float = 3.0
    read_only: bool = False
    #: Draw with ASCII and the 16 basic colours (`--ascii`; also chosen for TERM=linux, vt100
    #: and a non-UTF-8 locale: `glyphs.wanted`).
    ascii: bool = False
    #: Stop and restart of a running app ask first (lazydocker's habit); false turns it off.
    confirm_stop: bool = True
    #: At start, tagged CTs this database does not know are offered for adoption in a modal
    #: (Adopt / Not now / Never for this cluster); false only tells, in a notice.
    offer_adoption: bool = True


SECTIONS: dict[str, type] = {
    "proxmox": ProxmoxSettings,
    "ssh": SshSettings,
    "deploy": DeploySettings,
    "ui": UiSettings,
}


@dataclass
class Settings:
    """Everything the product reads from its config file, the environment and the command line."""

    proxmox: ProxmoxSettings = field(default_factory=ProxmoxSettings)
    ssh: SshSettings = field(default_factory=SshSettings)
    deploy: DeploySettings = field(default_factory=DeploySettings)
    ui: UiSettings = field(default_factory=UiSettings)
    db_path: Path = field(default_factory=lambda: default_data_dir() / "proximity.db")
    config_path: Path | None = None
    #: True when the config file exists (the UI shows the connect screen otherwise).
    configured: bool = False
    demo: bool = False
    #: Simulator host profiles the demo runs (`--demo --profile NAME[,NAME]`).
    demo_profiles: tuple[str, ...] = ()

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict with every secret replaced, for display and logs."""
        out: dict[str, Any] = {}
        for name in SECTIONS:
            section = dataclasses.asdict(getattr(self, name))
            for key in SECRET_KEYS:
                if section.get(key):
                    section[key] = "***"
            out[name] = section
        out["db_path"] = str(self.db_path)
        return out


SECRET_KEYS = ("password", "token_value")

#: The range of every numeric setting (inclusive). A float must also be finite (not nan or inf):
#: a zero, negative or nan timeout would otherwise end deep inside asyncio as "unexpected
#: ValueError", or never time out at all.
RANGES: dict[str, tuple[float, float]] = {
    "proxmox.port": (1, 65535),
    "proxmox.timeout": (0.001, 3600),
    "ssh.port": (1, 65535),
    "ssh.timeout": (0.001, 3600),
    "deploy.cores": (1, 8192),
    "deploy.memory": (16, 1 << 30),
    "deploy.swap": (0, 1 << 30),
    "deploy.disk": (1, 1 << 20),
    "deploy.vlan": (0, 4094),  # 0: untagged
    "deploy.dhcp_timeout": (0.001, 86400),
    "deploy.task_timeout": (0.001, 7 * 86400),
    "deploy.health_timeout": (0.001, 7 * 86400),
    "ui.refresh_seconds": (0.001, 86400),
}


# --- locations ----------------------------------------------------------------------------------


def default_config_path() -> Path:
    if env := os.environ.get("PROXIMITY_CONFIG"):
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    if env := os.environ.get("PROXIMITY_DATA_DIR"):
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def demo_data_dir(profiles: Sequence[str] = ()) -> Path:
    """Demo mode keeps its database and simulator state here, apart from real data; a demo with
    host profiles has its own subdirectory (the cluster it builds differs)."""
    base = default_data_dir() / "demo"
    return base / ("profile-" + "+".join(profiles)) if profiles else base


def user_catalog_dir() -> Path:
    return default_data_dir() / "catalog"


def catalog_sources_dir() -> Path:
    """Where added catalog sources are registered, downloaded and cached."""
    return default_data_dir() / "sources"


# --- loading ------------------------------------------------------------------------------------


def load_settings(
    config_path: str | Path | None = None,
    *,
    db_path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    env: typing.Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings. `overrides` maps `section.key` to values from command-line flags."""
    env = os.environ if env is None else env
    explicit = config_path is not None or "PROXIMITY_CONFIG" in env
    path = Path(config_path) if config_path is not None else None
    if path is None:
        path = Path(env["PROXIMITY_CONFIG"]) if "PROXIMITY_CONFIG" in env else default_config_path()
    settings = Settings(config_path=path)
    #: Where each numeric value came from, for the range check's message.
    sources: dict[str, tuple[str, str]] = {}

    if path.exists() or explicit:
        data = _read_toml(path)
        _apply_mapping(settings, data, source=str(path))
        settings.configured = True
        for name, section in data.items():
            for key in section:
                sources[f"{name}.{key}"] = (str(path), f"{name}.{key}")

    for name, cls in SECTIONS.items():
        section = getattr(settings, name)
        for f in dataclasses.fields(cls):
            var = f"PROXIMITY_{name}_{f.name}".upper()
            if var in env:
                setattr(section, f.name, _coerce(env[var], f.type, source=var, key=f.name))
                sources[f"{name}.{f.name}"] = (var, f.name)
                if name == "proxmox":
                    settings.configured = True

    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        name, _, key = dotted.partition(".")
        section = getattr(settings, name)
        setattr(section, key, value)
        sources[dotted] = ("the command line", dotted)
    _check_ranges(settings, sources)

    if db_path is not None:
        settings.db_path = Path(db_path)
    elif env.get("PROXIMITY_DB"):
        settings.db_path = Path(env["PROXIMITY_DB"])
    elif env.get("PROXIMITY_DATA_DIR"):
        settings.db_path = Path(env["PROXIMITY_DATA_DIR"]) / "proximity.db"

    _read_secret_files(settings.proxmox, source=str(path))
    return settings


def _check_ranges(settings: Settings, sources: dict[str, tuple[str, str]]) -> None:
    for dotted, (low, high) in RANGES.items():
        name, _, key = dotted.partition(".")
        value = getattr(getattr(settings, name), key)
        if value is None:
            continue
        if not math.isfinite(value) or not low <= value <= high:
            source, shown = sources.get(dotted, ("the defaults", dotted))
            raise ConfigError(source, shown, f"must be between {low:g} and {high:g}, got {value}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), None, "file not found") from None
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, f"invalid TOML: {exc}") from None


def _apply_mapping(settings: Settings, data: dict[str, Any], *, source: str) -> None:
    for name, value in data.items():
        cls = SECTIONS.get(name)
        if cls is None:
            raise ConfigError(source, name, f"unknown section (known: {', '.join(SECTIONS)})")
        if not isinstance(value, dict):
            raise ConfigError(source, name, "must be a table ([" + name + "])")
        section = getattr(settings, name)
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key, item in value.items():
            f = known.get(key)
            if f is None:
                raise ConfigError(source, f"{name}.{key}", "unknown key")
            setattr(section, key, _check_type(item, f.type, source=source, key=f"{name}.{key}"))


def _resolve(tp: Any) -> Any:
    if isinstance(tp, str):  # postponed annotations
        return eval(tp, vars(typing) | {"Path": Path}, {})  # noqa: S307 - our own literals
    return tp


def _check_type(value: Any, tp: Any, *, source: str, key: str) -> Any:
    """Check a TOML value against a field type (TOML already typed it)."""
    tp = _resolve(tp)
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        inner = [a for a in args if a is not type(None)][0]
        return _check_type(value, inner, source=source, key=key)
    origin = typing.get_origin(tp)
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(source, key, f"must be a list of strings, got {_show(value)}")
        return list(value)
    if origin is dict:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(source, key, "must be a table of strings")
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(source, key, f"must be true or false, got {_show(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(source, key, f"must be an integer, got {_show(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(source, key, f"must be a number, got {_show(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(source, key, f"must be a string, got {_show(value)}")
        return value
    raise ConfigError(source, key, f"unsupported type {tp!r}")  # pragma: no cover


def _coerce(text: str, tp: Any, *, source: str, key: str) -> Any:
    """Parse an environment variable's text into a field type."""
    tp = _resolve(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        if text == "":
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)][0]
        return _coerce(text, inner, source=source, key=key)
    if tp is bool:
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(source, key, f"must be true or false, got {text!r}")
    if tp in (int, float):
        try:
            return tp(text)
        except ValueError:
            kind = "an integer" if tp is int else "a number"
            raise ConfigError(source, key, f"must be {kind}, got {text!r}") from None
    if typing.get_origin(tp) is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    if typing.get_origin(tp) is dict:
        pairs = [p for p in text.split(",") if p.strip()]
        out = {}
        for pair in pairs:
            k, sep, v = pair.partition("=")
            if not sep:
                raise ConfigError(source, key, f"expected name=host pairs, got {pair!r}")
            out[k.strip()] = v.strip()
        return out
    return text


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, dict) else "a table"


def _read_secret_files(px: ProxmoxSettings, *, source: str) -> None:
    for key in ("password", "token_value"):
        file_key = f"{key}_file"
        path = getattr(px, file_key)
        if path and not getattr(px, key):
            try:
                text = Path(path).expanduser().read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    source, f"proxmox.{file_key}", f"cannot read {path}: {exc.strerror}"
                ) from None
            setattr(px, key, text.splitlines()[0].strip() if text.strip() else "")


# --- saving -------------------------------------------------------------------------------------


def write_config(path: str | os.PathLike[str], data: dict[str, dict[str, Any]]) -> Path:
    """Write a whole config file atomically, mode 0600 (it may hold secrets); return its path."""
    import tomli_w

    path = Path(path)
    private_dir(path.parent)
    clean = {s: {k: v for k, v in kv.items() if v is not None} for s, kv in data.items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(clean, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_config_values(path: Path, values: dict[str, Any]) -> None:
    """Update some `section.key` values in a config file, keeping the rest of it."""
    data: dict[str, dict[str, Any]] = _read_toml(path) if path.exists() else {}
    for dotted, value in values.items():
        section, _, key = dotted.partition(".")
        if section not in SECTIONS:
            raise ConfigError(str(path), dotted, "unknown section")
        data.setdefault(section, {})[key] = value
    write_config(path, data)
