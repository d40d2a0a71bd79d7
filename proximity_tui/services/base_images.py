"""App images a Docker-ready base carries, and the deploys that start their app before the lease.

`proximity-tui prepare NODE --with APP[,APP]` (or `[deploy] base_apps`, for every node) builds
the node's base with those apps' images pulled into its Docker (the image store lives on the
base's root disk, which every clone copies).
A deploy of such an app then needs no pull, and no pull means no network: its `compose up`
runs while the CT is still waiting for its DHCP lease (Docker starts a container without an
address on eth0; only a pull and the app's URL need one), so the lease, the container's start
and the app's own start-up overlap instead of following each other. A rebuilt base carries
what the base it replaces carried.

Images age: a tag such as `louislam/uptime-kuma:1` moves. Images pulled more than
`MAX_AGE_DAYS` ago are not used this way: the deploy pulls after the lease as any other
(`compose pull` fetches the newest build of the tag) and the log says why;
`prepare NODE --rebuild` pulls them afresh. An app whose environment needs the CT's address
(`PROXIMITY_ADDRESS`) waits for the lease in any case.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from proximity_tui.errors import ProximityError, ValidationError

if TYPE_CHECKING:
    from proximity_tui.services.catalog.model import CatalogEntry
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.containers import Containers
    from proximity_tui.services.docker_base import Base
    from proximity_tui.services.operations.context import OperationContext

#: Days after which a base's images are stale (see the module docstring).
MAX_AGE_DAYS = 7
#: GiB of root disk a base gets per carried image, on top of `docker_base.BASE_DISK_GB`: room for
#: an app's unpacked layers (uptime-kuma's are about 0.5 GB). Thin storage allocates only what
#: is written; a clone grows the disk to the app's size when that is larger.
DISK_GB_PER_IMAGE = 2
_REGISTRY_PREFIXES = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")


def normalize(ref: str) -> str:
    """Docker's short form of a reference: `nginx` -> `nginx:latest`,
    `docker.io/library/nginx:1` -> `nginx:1` (digests kept as they are)."""
    name, tag = ref.strip(), "latest"
    if "@" in name:
        return name
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    for prefix in _REGISTRY_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("library/"):
        name = name[len("library/") :]
    return f"{name}:{tag}"


def literal(ref: str) -> bool:
    """A reference compose would not interpolate (`${TAG}` names no image until .env is read)."""
    return "$" not in ref and bool(ref.strip())


def images_of(catalog: CatalogService, app_ids: Iterable[str]) -> tuple[str, ...]:
    """The images of these catalog apps, normalized, in order, each once. Raises
    `ValidationError` naming an unknown app, or an app whose images cannot be pulled ahead."""
    out: list[str] = []
    for app_id in app_ids:
        entry = catalog.get(app_id)  # raises the catalog's own "unknown app" error
        refs = entry.images()
        if not refs or not all(literal(r) for r in refs):
            raise ValidationError(
                f"{entry.id}: its images are chosen when it is deployed "
                f"({', '.join(refs) or 'none named'}): a base cannot carry them ahead",
                field="with",
            )
        out += [normalize(r) for r in refs if normalize(r) not in out]
    return tuple(out)


def configured(
    catalog: CatalogService, app_ids: Iterable[str]
) -> tuple[tuple[str, ...], list[str]]:
    """The images `[deploy] base_apps` names, and why each app left out was (an unknown id, an
    image named at deploy time): a deploy carries on with the rest and says so."""
    images: list[str] = []
    problems: list[str] = []
    for app_id in app_ids:
        try:
            images += [ref for ref in images_of(catalog, [app_id]) if ref not in images]
        except ProximityError as exc:
            problems.append(f"[deploy] base_apps: {exc}")
    return tuple(images), problems


def parse_list(value: str) -> list[str]:
    """`--with a,b c` -> ["a", "b", "c"] (empty items dropped)."""
    return [item for part in value.replace(",", " ").split() if (item := part.strip())]


def disk_gb(images: Sequence[str], base_gb: int) -> int:
    return base_gb + DISK_GB_PER_IMAGE * len(images)


def pull_command(images: Sequence[str]) -> str:
    """One shell command pulling every image, stopping at the first failure."""
    return " && ".join(f"docker pull -q {shlex.quote(ref)}" for ref in images)


async def pull(
    containers: Containers, ctx: OperationContext, node: str, vmid: int, images: Sequence[str]
) -> None:
    ctx.log(f"pulling the images the base carries: {', '.join(images)}")
    await containers.sh(ctx, node, vmid, pull_command(images), quiet=True)


def pulled_at(base: Base) -> datetime | None:
    try:
        return datetime.fromisoformat(base.facts.get("images-pulled", ""))
    except ValueError:
        return None


def age_days(base: Base, now: datetime | None = None) -> float | None:
    when = pulled_at(base)
    if when is None:
        return None
    return ((now or datetime.now(UTC)) - when).total_seconds() / 86400


def carried(base: Base) -> tuple[str, ...]:
    return tuple(base.facts.get("images", "").split())


def _carries_all(base: Base, refs: list[str]) -> bool:
    """Every one of `refs` is among the images `base` carries."""
    return set(map(normalize, refs)) <= set(carried(base))


def starts_early(entry: CatalogEntry, base: Base | None, now: datetime | None = None) -> str:
    """Why this deploy's app may start before the lease ("" when it may not): the base carries
    every image, pulled within `MAX_AGE_DAYS`, and nothing in the app needs the address."""
    if base is None:
        return ""
    refs = entry.images()
    services = entry.compose.get("services") or {}
    if not refs or len(refs) != len(services) or not all(literal(r) for r in refs):
        return ""  # a service built from source, or an image named only at deploy time
    if not _carries_all(base, refs):
        return ""
    age = age_days(base, now)
    if age is None or not 0 <= age <= MAX_AGE_DAYS:
        return ""
    if "PROXIMITY_ADDRESS" in entry.runtime_variables():
        return ""
    return f"the base carries {', '.join(normalize(r) for r in refs)} (pulled {age:.1f} days ago)"


def stale_note(entry: CatalogEntry, base: Base | None, now: datetime | None = None) -> str:
    """A log line when the base carries the app's images but too old to use ("" otherwise)."""
    if base is None or not entry.images():
        return ""
    if not _carries_all(base, [r for r in entry.images() if literal(r)]):
        return ""
    age = age_days(base, now)
    if age is not None and age > MAX_AGE_DAYS:
        return (
            f"the base's copy of the app's images is {age:.0f} days old: pulling the newest "
            f"(proximity-tui prepare {base.node} --rebuild refreshes the base)"
        )
    return ""
