"""A CT's identity in Proxmox: the versioned block we keep in its description (docs/ct-identity.md).

Proxmox replicates every guest's configuration cluster-wide (pmxcfs, `/etc/pve`), so what we put
in a CT's description is seen by every instance on every node: enough to rebuild our app row
(`proximity-tui adopt`) when the database is elsewhere or lost. The block is a fenced Markdown
code block (the web UI renders notes as Markdown, so it shows verbatim), surrounded by whatever
the user wrote; rendering replaces only the block and keeps the rest. It never carries a secret:
`Identity` has no field that could hold one.

Proxmox keeps the description as `#` comment lines at the top of the CT's config and hands it back
with every line ended by a newline and trailing empty lines gone (pve-container
`src/PVE/LXC/Config.pm` parse_pct_config / write_pct_config), at most 8 KiB (`maxLength`): the
parser accepts either form, and rendering trims the user's text, never the block, to fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from proximity_tui.errors import ProximityError, ValidationError
from proximity_tui.services.validation import check_hostname

if TYPE_CHECKING:
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.views import AppView

#: The schema version this code writes; blocks of a newer one are reported, not adopted.
SCHEMA = 1
#: pve-container `src/PVE/LXC/Config.pm`: description `maxLength => 1024 * 8`.
MAX_DESCRIPTION = 8192
HEADER = "Managed by Proximity TUI: the block below identifies this app; please leave it as is."
OPEN = re.compile(r"^```proximity-tui v(\d+)[ \t]*$")
CLOSE = re.compile(r"^```[ \t]*$")
#: The description our first releases wrote (`app-id: <id>` under a header): recognised, and
#: replaced by the block the next time the CT's identity is written.
LEGACY = re.compile(r"^Managed by Proximity TUI\napp-id: (\S+)\n?", re.MULTILINE)
#: Keys in the order they are written; the first three are required.
KEYS = (
    "app-id",
    "catalog-id",
    "hostname",
    "catalog-source",
    "version",
    "owner",
    "created",
    "compose-file",
)
VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]{0,254}[\x21-\x7e])?")
#: Where our compose projects live (`containers.compose_file`): a block naming another path is
#: refused, since operations run compose (and adopt may read the `.env`) there.
COMPOSE_FILE = re.compile(r"/opt/proximity/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/compose\.yaml")


class IdentityError(ValidationError):
    """A block is there but cannot be used (malformed, or written by a newer schema)."""


@dataclass(frozen=True)
class Identity:
    app_id: str
    catalog_id: str
    hostname: str
    catalog_source: str = ""
    version: str = ""
    owner: str = ""
    created: datetime | None = None
    #: Only when it is not `/opt/proximity/<hostname>/compose.yaml` (a clone keeps its source's).
    compose_file: str = ""
    schema: int = SCHEMA

    def fields(self) -> dict[str, str]:
        when = self.created
        created = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""
        values = {
            "app-id": self.app_id,
            "catalog-id": self.catalog_id,
            "hostname": self.hostname,
            "catalog-source": self.catalog_source,
            "version": self.version,
            "owner": self.owner,
            "created": created,
            "compose-file": self.compose_file,
        }
        return {k: _clean(v) for k, v in values.items() if _clean(v)}


def _clean(value: str) -> str:
    """One printable ASCII line (a value must not end the block or start a new key)."""
    text = "".join(ch if 0x20 <= ord(ch) <= 0x7E else "?" for ch in str(value)).strip()
    return text[:256]


def render_block(identity: Identity) -> str:
    lines = [f"```proximity-tui v{identity.schema}"]
    lines += [f"{key}: {value}" for key, value in identity.fields().items()]
    return "\n".join([*lines, "```"]) + "\n"


def _spans(description: str) -> tuple[int, int, int] | None:
    """(start, end, schema) of the first block in `description` (line offsets), or None."""
    lines = description.splitlines(keepends=True)
    offset, start, schema = 0, -1, 0
    for line in lines:
        bare = line.rstrip("\r\n")
        if start < 0:
            found = OPEN.match(bare)
            if found:
                start, schema = offset, int(found.group(1))
        elif CLOSE.match(bare):
            return start, offset + len(line), schema
        offset += len(line)
    if start >= 0:
        raise IdentityError("the proximity-tui block in the description is not closed")
    return None


def parse(description: str) -> Identity | None:
    """The identity in a CT's description: None when it has no block (the legacy `app-id:`
    form included: see `legacy_app_id`); `IdentityError` when a block is there but unusable."""
    text = description.replace("\r\n", "\n")
    span = _spans(text)
    if span is None:
        return None
    start, end, schema = span
    if schema > SCHEMA:
        raise IdentityError(
            f"identity block v{schema} was written by a newer Proximity TUI "
            f"(this one reads v{SCHEMA})"
        )
    values: dict[str, str] = {}
    for line in text[start:end].splitlines()[1:-1]:
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not line.strip():
            continue
        if not sep or not key:
            raise IdentityError(f"identity block: line {line[:40]!r} is not 'key: value'")
        if key in KEYS:  # unknown keys of the same version are ignored (added later, optional)
            values[key] = value
    missing = [k for k in KEYS[:3] if not values.get(k)]
    if missing:
        raise IdentityError(f"identity block: {', '.join(missing)} missing")
    for key, value in values.items():
        if value and not VALUE.fullmatch(value):
            raise IdentityError(f"identity block: {key} is not one printable line")
    if values.get("compose-file") and not COMPOSE_FILE.fullmatch(values["compose-file"]):
        raise IdentityError(
            "identity block: compose-file is not /opt/proximity/<name>/compose.yaml"
        )
    created = None
    if values.get("created"):
        try:
            created = datetime.fromisoformat(values["created"].replace("Z", "+00:00"))
        except ValueError:
            bad = values["created"]
            raise IdentityError(f"identity block: created {bad!r} is no time") from None
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
    try:
        hostname = check_hostname(values["hostname"], field="identity block: hostname")
    except ValidationError as exc:
        raise IdentityError(str(exc)) from None
    return Identity(
        app_id=values["app-id"],
        catalog_id=values["catalog-id"],
        hostname=hostname,
        catalog_source=values.get("catalog-source", ""),
        version=values.get("version", ""),
        owner=values.get("owner", ""),
        created=created,
        compose_file=values.get("compose-file", ""),
        schema=schema,
    )


def legacy_app_id(description: str) -> str | None:
    found = LEGACY.search(description.replace("\r\n", "\n"))
    return found.group(1) if found else None


def app_id_of(description: str) -> str | None:
    """The app id a description names (block or legacy form); None when it names none."""
    try:
        identity = parse(description)
    except IdentityError:
        identity = None
    return identity.app_id if identity else legacy_app_id(description)


def with_identity(description: str, identity: Identity) -> str:
    """`description` with its block (or legacy lines) replaced by `identity`'s, or the block
    added under our header; the user's text around it is kept (trimmed at its end to fit)."""
    text = description.replace("\r\n", "\n")
    block = render_block(identity)
    try:
        span = _spans(text)
    except IdentityError:
        span = None  # an unclosed block: ours goes above it, the rest is the user's text
    if span is not None:
        return _fit(text[: span[0]] + block + text[span[1] :], block)
    rest = LEGACY.sub("", text).replace(HEADER + "\n", "").replace(HEADER, "").strip("\n")
    return _fit(f"{HEADER}\n{block}" + (f"\n{rest}\n" if rest else ""), block)


def description_for(identity: Identity) -> str:
    """A new CT's description: our header and the block (how a CT is tied back to its row)."""
    return with_identity("", identity)


def from_app(app: AppView, *, catalog_source: str = "") -> Identity:
    """The identity of an app row (owner and creation time as the row has them)."""
    from proximity_tui.services.containers import app_compose_file, compose_file

    cfile = app_compose_file(app)
    return Identity(
        app_id=app.id,
        catalog_id=app.catalog_id,
        hostname=app.hostname,
        catalog_source=catalog_source or str(app.config.get("catalog_source") or ""),
        version=str(app.config.get("version") or ""),
        owner=app.owner or "",
        created=app.created_at,
        compose_file="" if cfile == compose_file(app.hostname) else cfile,
    )


def _fit(text: str, block: str) -> str:
    if len(text) <= MAX_DESCRIPTION:
        return text
    # Too long: keep the block whole and cut the user's text after it, then before it.
    start = text.index(block)
    before, after = text[:start], text[start + len(block) :]
    room = MAX_DESCRIPTION - len(block)
    before = before[:room]
    after = after[: max(0, room - len(before))]
    return before + block + after


async def write_identity(client: ProxmoxClient, node: str, vmid: int, identity: Identity) -> bool:
    """Make CT `vmid`'s description carry `identity` (one read, and one write when it differs);
    True when it was written. The user's text around the block is kept."""
    config = await client.ct_config(node, vmid)
    wanted = with_identity(config.description, identity)
    if wanted.rstrip("\n") == config.description.rstrip("\n"):
        return False
    await client.set_ct_config(node, vmid, description=wanted)
    return True


async def keep_current(client: ProxmoxClient, app: AppView, log: Callable[..., None]) -> None:
    """After an operation that may have changed or brought back an older description (update,
    restore): make the CT carry the row's identity. A failure is a warning, never the
    operation's: the app works; the next update or restore tries again."""
    try:
        if await write_identity(client, app.node, app.vmid, from_app(app)):
            log("identity block in the CT's description brought up to date")
    except ProximityError as exc:
        log(f"could not update the CT's identity block: {exc}", level="warning")
