"""How a new container gets its address: DHCP, or a static address from a pool we reserve.

`[deploy] network = "static"` takes addresses from `[deploy] addresses`, written either as a
range with the network's prefix (`"192.168.1.100-192.168.1.150/24"`) or as a CIDR block whose
usable hosts are all ours (`"192.168.1.96/28"`), with `gateway` (required), `dns` (optional,
the CT's nameserver) and `vlan` (optional tag on the bridge port). A deploy may override with
its own address (`--ip 192.168.1.120[/24]`, or `--ip dhcp`), gateway and VLAN.

Reservations live in the database (`addresses`, primary key = the address, deleted with the app
row): two deploys, in one process or two, never take the same address, and a failed deploy's undo
(which deletes its row) or a delete frees it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ValidationError

if TYPE_CHECKING:
    from proximity_tui.config import DeploySettings

MODES = ("dhcp", "static")


@dataclass(frozen=True)
class AddressPool:
    first: ipaddress.IPv4Address
    last: ipaddress.IPv4Address
    network: ipaddress.IPv4Network

    @property
    def prefix(self) -> int:
        return self.network.prefixlen

    def __iter__(self) -> Iterator[ipaddress.IPv4Address]:
        for n in range(int(self.first), int(self.last) + 1):
            yield ipaddress.IPv4Address(n)

    def __len__(self) -> int:
        return int(self.last) - int(self.first) + 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}/{self.prefix}"


def parse_pool(text: str, field: str = "deploy.addresses") -> AddressPool:
    """`A-B/P` (a range inside one /P network) or `NET/P` (its usable hosts)."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(
            f'{field} is empty: static addressing needs a pool such as "192.168.1.100-'
            '192.168.1.150/24"',
            field=field,
        )
    try:
        if "-" in raw:
            span, _, prefix = raw.partition("/")
            start, _, end = span.partition("-")
            first = ipaddress.IPv4Address(start.strip())
            last = ipaddress.IPv4Address(end.strip())
            if not prefix:
                raise ValueError("the range needs its network's prefix, e.g. /24")
            network = ipaddress.IPv4Interface(f"{first}/{int(prefix)}").network
        else:
            network = ipaddress.IPv4Network(raw, strict=False)
            hosts = list(network.hosts()) if network.num_addresses > 2 else list(network)
            first, last = hosts[0], hosts[-1]
    except ValueError as exc:
        raise ValidationError(
            f"{field}: {raw!r} is not an address range (A-B/prefix) nor a CIDR block: {exc}",
            field=field,
        ) from None
    if int(last) < int(first):
        raise ValidationError(f"{field}: {raw!r} ends before it starts", field=field)
    if last not in network or first not in network:
        raise ValidationError(f"{field}: {raw!r} is not inside {network}", field=field)
    edges = (network.network_address, network.broadcast_address)
    if network.prefixlen < 31 and (first in edges or last in edges):
        raise ValidationError(
            f"{field}: {raw!r} includes the network or broadcast address of {network}",
            field=field,
        )
    return AddressPool(first, last, network)


@dataclass(frozen=True)
class NetworkPlan:
    """What a deploy asks for. `address` is set for a static plan once reserved (or given)."""

    mode: str
    bridge: str
    pool: AddressPool | None = None
    address: str | None = None  # without prefix
    prefix: int | None = None
    gateway: str | None = None
    dns: str | None = None
    vlan: int | None = None

    @property
    def static(self) -> bool:
        return self.mode == "static"

    @property
    def cidr(self) -> str | None:
        return f"{self.address}/{self.prefix}" if self.address and self.prefix else None

    def net0(self) -> str:
        """The `net0` property string of `POST /nodes/{n}/lxc` (pve-container LXC/Config.pm)."""
        parts = ["name=eth0", f"bridge={self.bridge}"]
        if self.static:
            parts += [f"ip={self.cidr}", f"gw={self.gateway}"]
        else:
            parts.append("ip=dhcp")
        if self.vlan:
            parts.append(f"tag={self.vlan}")
        return ",".join(parts)

    def describe(self) -> str:
        vlan = f", VLAN {self.vlan}" if self.vlan else ""
        if not self.static:
            return f"DHCP on {self.bridge}{vlan}"
        where = self.cidr or f"an address from {self.pool}"  # the pool's, before reserving
        return f"{where} via {self.gateway} on {self.bridge}{vlan}"

    def record(self) -> dict[str, Any]:
        """What the app row keeps (`config["network"]`), so a clone can follow the same plan."""
        return {
            "mode": self.mode,
            "address": self.address,
            "prefix": self.prefix,
            "gateway": self.gateway,
            "dns": self.dns,
            "vlan": self.vlan,
            "bridge": self.bridge,
        }


def _check_ip(value: str, field: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise ValidationError(f"{field}: {value!r} is not an IPv4 address", field=field) from None


def _check_vlan(value: Any, field: str) -> int | None:
    if value in (None, "", 0):
        return None
    try:
        tag = int(value)
    except (TypeError, ValueError):
        tag = -1
    if not 1 <= tag <= 4094:
        raise ValidationError(f"{field}: a VLAN tag is 1-4094, got {value!r}", field=field)
    return tag


def plan_network(
    settings: DeploySettings,
    *,
    ip: str | None = None,
    gateway: str | None = None,
    vlan: int | None = None,
) -> NetworkPlan:
    """The plan from `[deploy]` and a deploy's overrides; every value checked (ValidationError
    naming the key or flag) before anything changes. A static address given with `ip` is used
    as is (still reserved); otherwise the deploy reserves one from the pool."""
    mode = (settings.network or "dhcp").strip().lower()
    if mode not in MODES:
        raise ValidationError(
            f'deploy.network must be "dhcp" or "static", got {settings.network!r}',
            field="deploy.network",
        )
    tag = _check_vlan(vlan if vlan is not None else settings.vlan, "vlan")
    dns = _check_ip(settings.dns, "deploy.dns") if settings.dns else None
    wanted = (ip or "").strip().lower()
    if wanted == "dhcp" or (not wanted and mode == "dhcp"):
        if gateway:  # silently dropped it would read as applied
            raise ValidationError(
                f"gateway {gateway!r} is for a static address: give the address too "
                '(A.B.C.D/prefix), or set [deploy] network = "static"',
                field="gateway",
            )
        return NetworkPlan("dhcp", settings.bridge, vlan=tag, dns=dns)
    pool = parse_pool(settings.addresses) if settings.addresses else None
    address = prefix = None
    if wanted:
        text = (ip or "").strip()
        try:
            iface = ipaddress.IPv4Interface(text if "/" in text else f"{text}/32")
        except ValueError:
            raise ValidationError(
                f"address {ip!r} is not an IPv4 address (A.B.C.D or A.B.C.D/prefix) nor dhcp",
                field="ip",
            ) from None
        address = str(iface.ip)
        if "/" in text:
            prefix = iface.network.prefixlen
        elif pool is not None and iface.ip in pool.network:
            prefix = pool.prefix
        else:
            raise ValidationError(
                f"address {address}: give the prefix ({address}/24): it is not in [deploy] "
                "addresses",
                field="ip",
            )
    elif pool is None:
        raise ValidationError(
            'deploy.network is "static" but deploy.addresses is empty: set a pool such as '
            '"192.168.1.100-192.168.1.150/24" (or give the deploy an address: --ip)',
            field="deploy.addresses",
        )
    gw_text = gateway or settings.gateway
    if not gw_text:
        raise ValidationError(
            "static addressing needs a gateway: set [deploy] gateway (or give the deploy one: "
            "--gw)",
            field="deploy.gateway",
        )
    gw = _check_ip(gw_text, "gateway" if gateway else "deploy.gateway")
    net_prefix = prefix if prefix is not None else pool.prefix if pool else None
    if address and net_prefix is not None:
        net = ipaddress.IPv4Interface(f"{address}/{net_prefix}").network
        if ipaddress.IPv4Address(gw) not in net:
            raise ValidationError(f"gateway {gw} is not in {net}", field="gateway")
    elif pool is not None and ipaddress.IPv4Address(gw) not in pool.network:
        raise ValidationError(f"gateway {gw} is not in {pool.network}", field="deploy.gateway")
    return NetworkPlan(
        "static",
        settings.bridge,
        pool=pool,
        address=address,
        prefix=net_prefix,
        gateway=gw,
        dns=dns,
        vlan=tag,
    )


#: How the early no-lease error begins (the doctor recognises a deploy that failed so).
DHCP_SILENCE = "no DHCP answer on "


def dhcp_silence(bridge: str, seconds: float) -> str:
    """The early error of a deploy whose CT got no DHCP lease."""
    return (
        f'{DHCP_SILENCE}{bridge} within {seconds:g} s: set [deploy] network = "static" '
        "with addresses and gateway (or deploy with --ip ADDRESS/PREFIX --gw GATEWAY)"
    )


def plan_from_record(record: dict[str, Any] | None) -> NetworkPlan | None:
    """The static plan an app was deployed with (`config["network"]`); None for DHCP."""
    if not record or record.get("mode") != "static":
        return None
    return NetworkPlan(
        "static",
        str(record.get("bridge") or "vmbr0"),
        address=record.get("address"),
        prefix=record.get("prefix"),
        gateway=record.get("gateway"),
        dns=record.get("dns"),
        vlan=record.get("vlan"),
    )


def copy_plan(settings: DeploySettings, record: dict[str, Any] | None) -> NetworkPlan | None:
    """For a clone of a statically addressed app: the same network, a new address to reserve
    from `[deploy] addresses` (a clone keeps its source's net0, hence its address, otherwise)."""
    source = plan_from_record(record)
    if source is None:
        return None
    pool = parse_pool(settings.addresses)
    if source.prefix is not None and pool.prefix != source.prefix:
        raise ValidationError(
            f"deploy.addresses {pool} is not in the source's network (/{source.prefix})",
            field="deploy.addresses",
        )
    return NetworkPlan(
        "static",
        source.bridge,
        pool=pool,
        prefix=pool.prefix,
        gateway=source.gateway,
        dns=source.dns,
        vlan=source.vlan,
    )
