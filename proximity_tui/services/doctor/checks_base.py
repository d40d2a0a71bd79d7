"""Doctor check of each node's Docker-ready base (`services/docker_base.py`): listed with its
versions, flagged when a deploy would rebuild it (outdated recipe or OS template, or verified
under another lxc-pve than the node's: the Docker-in-LXC check's input) or when the app images it
carries are too old to start apps early (`base_images.py`), never counted as an app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from proximity_tui import errors as e
from proximity_tui.services import base_images, docker_base
from proximity_tui.services.doctor.model import OK, WARN, Report
from proximity_tui.services.templates import resolve_template

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.services.catalog.service import CatalogService


async def check_bases(
    report: Report,
    client: ProxmoxClient,
    nodes: list[str],
    deploy: DeploySettings,
    catalog: CatalogService | None = None,
) -> None:
    if not getattr(deploy, "base", True):
        report.add("docker base", OK, "off ([deploy] base = false): deploys install Docker")
        return
    wanted: tuple[str, ...] = ()
    if catalog is not None and deploy.base_apps:
        wanted, problems = base_images.configured(catalog, deploy.base_apps)
        for problem in problems:
            report.add("docker base", WARN, problem, "name catalog apps: proximity-tui catalog")
    try:
        bases = await docker_base.find_bases(client)
    except e.ProximityError as exc:
        report.add("docker base", WARN, f"cannot list the bases: {exc}")
        return
    for node in nodes:
        name = f"docker base: {node}"
        mine = [b for b in bases if b.node == node]
        if not mine:
            report.add(
                name,
                OK,
                "none yet: the first deploy on this node builds it",
                f"or build it now: proximity-tui prepare {node}",
            )
            continue
        try:
            template = (await resolve_template(client, node, deploy.template or None)).name
        except e.ProximityError:
            template = ""  # the template check says why
        lxc_pve = await docker_base.node_lxc_pve(client, node)
        for base in mine:
            reasons = base.outdated(template, lxc_pve) if template else []
            lacking = [ref for ref in wanted if ref not in base.images]
            if lacking and not reasons:
                reasons = [f"it does not carry {', '.join(lacking)} ([deploy] base_apps)"]
            if reasons:
                report.add(
                    name,
                    WARN,
                    f"{base.summary()} is outdated: {'; '.join(reasons)}",
                    f"the next deploy on {node} rebuilds it, or now: proximity-tui prepare {node}",
                )
            elif (age := base_images.age_days(base)) is not None and age > base_images.MAX_AGE_DAYS:
                report.add(
                    name,
                    WARN,
                    f"{base.summary()}: its images were pulled {age:.0f} days ago, so deploys "
                    "of those apps pull them again after the lease",
                    f"refresh them: proximity-tui prepare {node} --rebuild",
                )
            else:
                report.add(name, OK, f"{base.summary()}: current")
