"""`proximity-tui export FILE` / `import FILE`: the whole installation as one YAML file.

What goes in: apps (every column, the owner by name, their backups; static addresses follow
from the network record), settings (the `settings` table), users and their roles, catalog
sources (the registry, not the caches: `catalog source sync` rebuilds them). Secrets (app
environment values the entry declares secret or whose name looks secret, and settings under such
names) are left out, named in `secrets_omitted`, unless the export is made `with_secrets`: then
they are sealed with a passphrase (`sealed.py`). The file is written 0600.

Import checks the whole file before it changes anything (unusable: `ValidationError`, exit 2),
then writes users, apps, backups, addresses and settings in one transaction, journaled as an
`import` operation; an app whose id, hostname or vmid the database already holds is skipped with
the reason (never overwritten), as are existing users' roles and existing settings. Onto an empty
database it reproduces the exported app list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import select

from proximity_tui.errors import ValidationError
from proximity_tui.files import write_private
from proximity_tui.secret_names import is_secret_name
from proximity_tui.services.journal import Journal
from proximity_tui.services.transfer import sealed
from proximity_tui.services.validation import check_hostname, check_vmid
from proximity_tui.store import repositories as repo
from proximity_tui.store.models import APP_STATUSES, ROLES, Address, App, Setting

if TYPE_CHECKING:
    from proximity_tui.services.catalog.sources import SourceRegistry
    from proximity_tui.services.users import UserInfo
    from proximity_tui.store.db import Database

FORMAT = 1
MARKER = "proximity-tui-export"
MAX_FILE = 64 * 1024 * 1024
APP_KEYS = ("id", "catalog_id", "name", "hostname", "status", "url", "lxc_id", "node")


def _secret_names(app: App) -> set[str]:
    declared = set((app.config or {}).get("secret_names") or ())
    return declared | {k for k in (app.environment or {}) if is_secret_name(str(k))}


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def export_installation(
    db: Database, sources: SourceRegistry | None, *, passphrase: str | None = None
) -> dict[str, Any]:
    """The export document; secrets sealed with `passphrase` when given, else left out."""
    hidden: dict[str, Any] = {"apps": {}, "settings": {}}
    omitted: list[str] = []
    with db.session(readonly=True) as s:
        apps = []
        for app in repo.list_apps(s):
            secret = _secret_names(app)
            env = {str(k): str(v) for k, v in (app.environment or {}).items()}
            kept = {k: v for k, v in env.items() if k not in secret}
            if len(kept) < len(env):
                hidden["apps"][app.id] = {k: v for k, v in env.items() if k in secret}
                omitted += [f"{app.id}: {k}" for k in sorted(set(env) - set(kept))]
            apps.append(
                {
                    **{k: getattr(app, k) for k in APP_KEYS},
                    "owner": app.owner.username if app.owner is not None else None,
                    "created_at": _when(app.created_at),
                    "updated_at": _when(app.updated_at),
                    "config": dict(app.config or {}),
                    "ports": dict(app.ports or {}),
                    "volumes": list(app.volumes or []),
                    "environment": kept,
                    "backups": [
                        {
                            "volid": b.volid,
                            "storage": b.storage,
                            "node": b.node,
                            "vmid": b.vmid,
                            "size": b.size,
                            "status": b.status,
                            "notes": b.notes,
                            "created_at": _when(b.created_at),
                        }
                        for b in repo.list_backups(s, app_id=app.id)
                    ],  # fmt: skip
                }
            )
        settings = {}
        for row in s.scalars(select(Setting).order_by(Setting.key)):
            if is_secret_name(row.key):
                hidden["settings"][row.key] = row.value
                omitted.append(f"setting {row.key}")
            else:
                settings[row.key] = row.value
        users = [
            {"username": u.username, "role": u.role, "is_active": u.is_active}
            for u in repo.list_users(s)
        ]
    doc: dict[str, Any] = {
        MARKER: FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "apps": apps,
        "settings": settings,
        "users": users,
        "catalog_sources": [
            {
                "name": src.name,
                "location": src.location,
                "format": src.format,
                "override_bundled": src.override_bundled,
            }
            for src in (sources.all() if sources is not None else [])
        ],  # fmt: skip
    }
    if passphrase is not None:
        doc["secrets"] = sealed.seal(hidden, passphrase)
    else:
        doc["secrets_omitted"] = omitted
    return doc


def write_export(path: Path, doc: dict[str, Any]) -> None:
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
    write_private(Path(path), text.encode())


def read_export(path: Path) -> dict[str, Any]:
    """The document in `path`, or `ValidationError` saying why it cannot be used."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE:
            raise ValidationError(f"{path}: larger than {MAX_FILE // 2**20} MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not UTF-8 text") from None
    if re.search(r"(^|[\s\[{,])[&*][A-Za-z0-9_-]", text):
        raise ValidationError(f"{path}: YAML anchors and aliases are not accepted")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or doc.get(MARKER) is None:
        raise ValidationError(f"{path}: not a proximity-tui export (no {MARKER} key)")
    if doc.get(MARKER) != FORMAT:
        raise ValidationError(f"{path}: export format {doc.get(MARKER)!r}, this version reads 1")
    for key, kind in (("apps", list), ("settings", dict), ("users", list)):
        if not isinstance(doc.get(key, kind()), kind):
            raise ValidationError(f"{path}: {key} must be a {kind.__name__}")
    if not isinstance(doc.get("catalog_sources", []), list):
        raise ValidationError(f"{path}: catalog_sources must be a list")
    return doc


@dataclass
class ImportReport:
    apps: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    secrets: int = 0
    operation_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "apps": self.apps,
            "users": self.users,
            "settings": self.settings,
            "catalog_sources": self.sources,
            "skipped": self.skipped,
            "secrets_restored": self.secrets,
            "operation_id": self.operation_id,
        }


def _app_row(item: Any) -> tuple[dict[str, Any], str | None]:
    """One exported app as `apps` columns, and its owner's name; `ValidationError` names what
    is wrong."""
    if not isinstance(item, dict):
        raise ValidationError("an app must be a mapping")
    for key in ("id", "catalog_id", "name", "node"):
        if not isinstance(item.get(key), str) or not item[key] or len(item[key]) > 255:
            raise ValidationError(f"{key} must be non-empty text")
    if item.get("status") not in APP_STATUSES:
        raise ValidationError(f"status {item.get('status')!r} is not one of {APP_STATUSES}")
    row: dict[str, Any] = {k: item.get(k) for k in APP_KEYS}
    row["hostname"] = check_hostname(item.get("hostname"))
    row["lxc_id"] = check_vmid(item.get("lxc_id"))
    if row["url"] is not None and not isinstance(row["url"], str):
        raise ValidationError("url must be text")
    for key, kind in (("config", dict), ("ports", dict), ("volumes", list), ("environment", dict)):
        value = item.get(key, kind())
        if not isinstance(value, kind):
            raise ValidationError(f"{key} must be a {kind.__name__}")
        row[key] = value
    env: dict[Any, Any] = row["environment"]
    row["environment"] = {str(k): str(v) for k, v in env.items()}
    for key in ("created_at", "updated_at"):
        if item.get(key):
            try:
                row[key] = datetime.fromisoformat(str(item[key]))
            except ValueError:
                raise ValidationError(f"{key} {item[key]!r} is not a time") from None
    owner = item.get("owner")
    row["backups"] = [_backup(b) for b in item.get("backups") or []]
    return row, owner if isinstance(owner, str) and owner else None


def _backup(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not all(
        isinstance(item.get(k), str) and item[k] for k in ("volid", "storage", "node")
    ):
        raise ValidationError("a backup needs volid, storage and node")
    size = item.get("size")
    when = item.get("created_at")
    try:
        created = datetime.fromisoformat(str(when)) if when else None
    except ValueError:
        raise ValidationError(f"backup created_at {when!r} is not a time") from None
    return {
        "volid": item["volid"],
        "storage": item["storage"],
        "node": item["node"],
        "vmid": check_vmid(item.get("vmid")),
        "size": size if isinstance(size, int) else None,
        "status": str(item.get("status") or "available"),
        "notes": item.get("notes") if isinstance(item.get("notes"), str) else None,
        "created_at": created,
    }


def import_installation(
    db: Database,
    doc: dict[str, Any],
    registry: SourceRegistry | None,
    actor: UserInfo,
    *,
    passphrase: str | None = None,
) -> ImportReport:
    """Write what the document holds and the database lacks (see the module docstring). Only an
    admin imports (the file grants roles); the caller checks read-only mode first."""
    from proximity_tui.errors import PermissionDenied
    from proximity_tui.services.users import require_change

    require_change(actor, "import")
    if actor.role != "admin":
        raise PermissionDenied(
            f"user {actor.username} is a {actor.role} and may not import: it grants roles, "
            "only admins do"
        )
    hidden: dict[str, Any] = {"apps": {}, "settings": {}}
    if doc.get("secrets") is not None and passphrase is not None:
        hidden = sealed.unseal(doc["secrets"], passphrase)  # before anything changes
        if not isinstance(hidden, dict):
            raise sealed.SealError("secrets: the sealed data is not a mapping")
    report = ImportReport()
    rows: list[tuple[dict[str, Any], str | None]] = []
    for n, item in enumerate(doc.get("apps") or []):
        try:
            rows.append(_app_row(item))
        except ValidationError as exc:
            name = item.get("hostname") if isinstance(item, dict) else None
            report.skipped.append(f"apps[{n}] {name or ''}: {exc}".replace(" :", ":"))
    journal = Journal(db)
    with db.session() as s:
        for user in doc.get("users") or []:
            name = user.get("username") if isinstance(user, dict) else None
            role = user.get("role") if isinstance(user, dict) else None
            if not isinstance(name, str) or not name or role not in ROLES:
                report.skipped.append(f"user {name!r}: needs a username and a role in {ROLES}")
                continue
            if repo.get_user_by_username(s, name) is None:
                created = repo.get_or_create_user(s, name, default_role=role)
                created.role, created.is_active = role, bool(user.get("is_active", True))
                report.users.append(name)
        held = {addr: app for addr, app in s.execute(select(Address.address, Address.app_id))}
        for row, owner_name in rows:
            why = repo.new_app_conflict(s, row, held)
            if why:
                report.skipped.append(f"{row['hostname']}: {why}")
                continue
            secret = (hidden.get("apps") or {}).get(row["id"]) or {}
            report.secrets += len(secret)
            restored = {str(k): str(v) for k, v in secret.items()}
            row["environment"] = {**row["environment"], **restored}
            owner = repo.get_user_by_username(s, owner_name) if owner_name else None
            backups = row.pop("backups")
            repo.add_app(s, **row, owner_id=owner.id if owner else actor.id)
            known = {b.volid for b in repo.list_backups(s)}
            for backup in backups:
                if backup["volid"] not in known:
                    repo.add_backup(s, app_id=row["id"], **backup)
            network = row["config"].get("network") or {}
            if network.get("mode") == "static" and network.get("address"):
                s.add(Address(address=str(network["address"]), app_id=row["id"]))
                held[str(network["address"])] = row["id"]
            report.apps.append(row["id"])
        settings = {**(doc.get("settings") or {}), **(hidden.get("settings") or {})}
        report.secrets += len(hidden.get("settings") or {})
        for key, value in settings.items():
            if repo.get_setting(s, str(key), None) is None:
                repo.set_setting(s, str(key), value)
                report.settings.append(str(key))
        op_id = journal.start(
            "import",
            user_id=actor.id,
            parameters={"apps": len(report.apps), "skipped": len(report.skipped)},
            session=s,
        )
        journal.finish(op_id, "succeeded", result=report.as_dict(), session=s)
        report.operation_id = op_id
    if registry is not None:
        _import_sources(registry, doc.get("catalog_sources") or [], report)
    return report


def _import_sources(registry: SourceRegistry, items: list[Any], report: ImportReport) -> None:
    from proximity_tui.errors import ProximityError

    known = {src.name for src in registry.all()}
    for item in items:
        if not isinstance(item, dict) or item.get("name") in known:
            continue
        name = str(item.get("name"))
        try:
            registry.add(
                name,
                str(item.get("location") or ""),
                str(item.get("format") or ""),
                override_bundled=bool(item.get("override_bundled")),
            )
        except ProximityError as exc:
            report.skipped.append(f"catalog source {name}: {exc}")
            continue
        report.sources.append(name)
