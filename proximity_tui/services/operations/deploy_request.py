"""What a deploy is asked, checked without the network: the request, the job it resolves to.

`validate_request` checks what needs no network (catalog entry, hostname format, resources within
the entry's minimums and the limits below, environment values `.env` can carry) and returns the
`DeployJob` the deploy steps fill in as they go (node, vmid, storage, address).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.lint import unprivileged_risks
from proximity_tui.services.catalog.model import dotenv_text
from proximity_tui.services.network import NetworkPlan, plan_network
from proximity_tui.services.validation import check_hostname, check_resource

if TYPE_CHECKING:
    import asyncio

    from proximity_tui.config import DeploySettings
    from proximity_tui.services.catalog.model import CatalogEntry
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.docker_base import Base

MAX_CORES, MAX_MEMORY, MAX_DISK = 128, 1024 * 1024, 64 * 1024


@dataclass
class DeployRequest:
    catalog_id: str
    hostname: str
    node: str | None = None
    cores: int | None = None
    memory: int | None = None
    disk: int | None = None
    environment: dict[str, str] = field(default_factory=dict)
    #: Network overrides: an address (`A.B.C.D[/P]` or `dhcp`), a gateway, a VLAN tag.
    ip: str | None = None
    gateway: str | None = None
    vlan: int | None = None
    #: Deploy even what an unprivileged LXC cannot give (privileged, devices, docker.sock, GPU,
    #: host networking reached by name): the user said so, knowing it may not work.
    allow_risks: bool = False

    def parameters(self) -> dict[str, Any]:
        """What the journal records (the environment's values are masked by the journal)."""
        return {
            "catalog_id": self.catalog_id,
            "hostname": self.hostname,
            "node": self.node,
            "cores": self.cores,
            "memory": self.memory,
            "disk": self.disk,
            "environment": {k: "********" for k in self.environment},
            "ip": self.ip,
            "gateway": self.gateway,
            "vlan": self.vlan,
            "allow_risks": self.allow_risks,
        }


@dataclass
class DeployJob:
    """A request resolved step by step: what the later steps and the undos need."""

    request: DeployRequest
    entry: CatalogEntry
    hostname: str
    app_id: str
    cores: int
    memory: int
    disk: int
    node: str = ""
    vmid: int = 0
    storage: str = ""
    template: str = ""
    template_volid: str = ""
    address: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    network: NetworkPlan | None = None
    #: The node's Docker-ready base this deploy clones (None: create and install Docker).
    base: Base | None = None
    #: Why the app starts before the lease ("" when it waits for it): `base_images.py`.
    early: str = ""
    #: The address being waited for while the app starts (`early` only).
    lease: asyncio.Future[str] | None = None
    #: Images `[deploy] base_apps` wants the node's base to carry, and why some were left out.
    carry: tuple[str, ...] = ()
    carry_problems: list[str] = field(default_factory=list)


def validate_request(
    catalog: CatalogService, settings: DeploySettings, request: DeployRequest
) -> DeployJob:
    """Checks that need no network: entry, hostname format, resources within the entry's
    minimums, environment values. Raises `ValidationError` naming the field."""
    entry = catalog.get(request.catalog_id)
    hostname = check_hostname(request.hostname)
    risks = unprivileged_risks(entry)
    if risks and not request.allow_risks:
        raise ValidationError(
            f"{entry.ref} needs what an unprivileged LXC container cannot give: "
            + "; ".join(risks)
            + " (deploy anyway: --allow-risks, or tick 'Deploy anyway' in the form)",
            field="allow_risks",
        )
    res = entry.resources
    cores = check_resource(
        res.cores if request.cores is None else request.cores,
        field="cores",
        minimum=res.min_cores,
        maximum=MAX_CORES,
    )
    memory = check_resource(
        res.memory if request.memory is None else request.memory,
        field="memory",
        minimum=res.min_memory,
        maximum=MAX_MEMORY,
        unit=" MB",
    )
    disk = check_resource(
        res.disk if request.disk is None else request.disk,
        field="disk",
        minimum=res.min_disk,
        maximum=MAX_DISK,
        unit=" GB",
    )
    if not entry.template.startswith("alpine-"):
        raise ValidationError(
            f"{entry.id}: template {entry.template} is not supported (Alpine templates only)",
            field="template",
        )
    # Render once with placeholders for what only the deploy knows, to check required values now.
    placeholders = {name: "pending" for name in entry.runtime_variables()}
    environment = entry.render_environment({**request.environment, **placeholders})
    dotenv_text(environment)  # values .env cannot carry are refused before anything changes
    network = plan_network(settings, ip=request.ip, gateway=request.gateway, vlan=request.vlan)
    return DeployJob(
        request=request,
        entry=entry,
        hostname=hostname,
        app_id=f"{entry.id}-{hostname}",
        cores=cores,
        memory=memory,
        disk=disk,
        environment={k: v for k, v in environment.items() if k not in placeholders},
        network=network,
    )
