"""`run_doctor`: every check, in the order a person would read them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from proximity_tui import errors as e
from proximity_tui.services.doctor import checks_access as access
from proximity_tui.services.doctor import checks_host as host
from proximity_tui.services.doctor.checks_base import check_bases
from proximity_tui.services.doctor.model import FAIL, Report
from proximity_tui.services.doctor.privileges import needs

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.journal import Journal


async def run_doctor(
    client: ProxmoxClient,
    exec_: ContainerExec,
    settings: Settings,
    journal: Journal | None = None,
    catalog: CatalogService | None = None,
) -> Report:
    """Check the host for everything the product needs. Never raises for what it finds."""
    report = Report()
    major = await access.check_connection(report, client)
    if major is None and report.failures:
        return report
    access.check_trust(report, client)
    px, deploy = settings.proxmox, settings.deploy
    await access.check_identity(report, client, px)
    try:
        nodes = [n.name for n in await client.nodes() if n.online]
    except e.ProximityError as exc:
        report.add("nodes", FAIL, f"cannot list the nodes: {exc}")
        return report
    if not nodes:
        report.add("nodes", FAIL, "no node is online", "start the cluster's nodes")
        return report
    pool = getattr(deploy, "pool", None)

    survey = await host.survey_storages(client, nodes)
    held = await access.check_permissions(
        report,
        client,
        px,
        needs(
            pool=pool,
            rootdir_storage=deploy.storage,
            template_storage=deploy.template_storage,
            backup_storage=survey.backup_storage(deploy),
            bridge=deploy.bridge,
            pve_major=major,
        ),
        major,
    )
    await access.check_pool(report, client, pool)
    host.check_storages(report, survey, deploy, held)
    await host.check_bridges(report, client, nodes, deploy.bridge, held)
    if journal is not None:
        await asyncio.to_thread(host.check_dhcp, report, journal, deploy)
    else:
        host.check_dhcp(report, None, deploy)
    await host.check_template(report, client, nodes, deploy)
    await host.check_pct(report, exec_, nodes)
    await host.check_lxc_pve(report, client, nodes, major)
    await check_bases(report, client, nodes, deploy, catalog)
    return report


async def check_settings(settings: Settings) -> Report:
    """The doctor for a config not yet in use (the CLI, the connect screen): builds its own
    client and `pct` transport, reads the journal only if the database already exists."""
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.proxmox.exec import ContainerExec

    client = ProxmoxClient.from_settings(settings.proxmox)
    exec_ = ContainerExec.from_settings(settings.ssh)
    db = None
    try:
        journal = None
        if settings.db_path.exists():  # never create a database just to check
            from proximity_tui.services.journal import Journal
            from proximity_tui.store.db import Database

            db = await asyncio.to_thread(Database.open, settings.db_path)
            journal = Journal(db)
        return await run_doctor(client, exec_, settings, journal)
    finally:
        await exec_.close()
        client.close()
        if db is not None:
            db.close()


def summary(report: Report) -> str:
    if report.ok:
        warn = len(report.warnings)
        return "everything needed works" + (f" ({warn} warning{'s' * (warn != 1)})" if warn else "")
    n = len(report.failures)
    return f"{n} problem{'s' * (n != 1)}: " + ", ".join(
        c.name for c in report.checks if c.status == FAIL
    )
