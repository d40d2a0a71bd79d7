"""The appliance index (`pveam available`): container templates a node can download.

Facts (names, versions, OS) of a subset of the index Proxmox VE ships, written down here; sizes are
approximate download sizes. `GET /nodes/{node}/aplinfo` lists them; `POST` downloads one.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "http://download.proxmox.com/images"


@dataclass(frozen=True)
class Appliance:
    package: str
    version: str
    os: str
    #: Path under `SOURCE`; its last part is the template file name.
    location: str
    headline: str
    description: str
    infopage: str
    size: int  # bytes, roughly what the archive weighs

    @property
    def template(self) -> str:
        return self.location.rsplit("/", 1)[-1]

    @property
    def ostype(self) -> str:
        """The `ostype` a CT created from it gets (`debian-12` -> `debian`)."""
        return self.os.split("-", 1)[0]

    def to_api(self) -> dict[str, str]:
        return {
            "template": self.template,
            "package": self.package,
            "version": self.version,
            "type": "lxc",
            "os": self.os,
            "section": self.location.split("/", 1)[0],
            "architecture": "amd64",
            "maintainer": "Proxmox Support Team <support@proxmox.com>",
            "headline": self.headline,
            "description": self.description,
            "infopage": self.infopage,
            "location": f"{SOURCE}/{self.location}",
            "source": SOURCE,
        }


_LXC_SITE = "https://linuxcontainers.org"
_PCT_DISTROS = "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions"
MiB = 1024 * 1024

APPLIANCES: tuple[Appliance, ...] = (
    Appliance(
        "alpine-3.22-default",
        "20250617",
        "alpine",
        "system/alpine-3.22-default_20250617_amd64.tar.xz",
        "LXC default image for alpine 3.22 (20250617)",
        "",
        _LXC_SITE,
        3 * MiB,
    ),
    Appliance(
        "alpine-3.23-default",
        "20260116",
        "alpine",
        "system/alpine-3.23-default_20260116_amd64.tar.xz",
        "LXC default image for alpine 3.23 (20260116)",
        "",
        _LXC_SITE,
        3 * MiB,
    ),
    Appliance(
        "debian-12-standard",
        "12.12-1",
        "debian-12",
        "system/debian-12-standard_12.12-1_amd64.tar.zst",
        "Debian 12 Bookworm (standard)",
        "A small Debian Bookworm system including all standard packages.",
        _PCT_DISTROS,
        120 * MiB,
    ),
    Appliance(
        "debian-13-standard",
        "13.6-1",
        "debian-13",
        "system/debian-13-standard_13.6-1_amd64.tar.zst",
        "Debian 13 Trixie (standard)",
        "A small Debian Trixie system including all standard packages.",
        _PCT_DISTROS,
        125 * MiB,
    ),
    Appliance(
        "ubuntu-24.04-standard",
        "24.04-2",
        "ubuntu-24.04",
        "system/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
        "Ubuntu 24.04 Noble (standard)",
        "A small Ubuntu 24.04 Noble Numbat system including all standard packages.",
        _PCT_DISTROS,
        140 * MiB,
    ),
)

BY_TEMPLATE: dict[str, Appliance] = {a.template: a for a in APPLIANCES}
#: Builds the index has dropped (`template-rotated`): Proxmox's index (`pveam available`, pve-
#: manager `PVE/APLInfo.pm` load_data) only lists the current build of each template.
ROTATED_OUT = frozenset({"alpine-3.22-default_20250617_amd64.tar.xz"})


def index(rotated: bool = False) -> list[Appliance]:
    """What `GET /nodes/{node}/aplinfo` lists now."""
    return [a for a in APPLIANCES if not (rotated and a.template in ROTATED_OUT)]


def lookup(template: str, rotated: bool = False) -> Appliance | None:
    """An appliance the index offers for download (None: pve-manager `PVE/API2/Nodes.pm`
    apl_download raises "no such template")."""
    if rotated and template in ROTATED_OUT:
        return None
    return BY_TEMPLATE.get(template)


#: Cached on the first node at start, so a deploy on another node must download it first.
DEFAULT_TEMPLATE = "alpine-3.22-default_20250617_amd64.tar.xz"


def ostype_for(template_file: str) -> str:
    """The CT `ostype` for a template file name, known or not (`alpine-...` -> `alpine`)."""
    known = BY_TEMPLATE.get(template_file)
    if known:
        return known.ostype
    head = template_file.split("-", 1)[0].lower()
    allowed = {
        "debian",
        "devuan",
        "ubuntu",
        "centos",
        "fedora",
        "opensuse",
        "archlinux",
        "alpine",
        "gentoo",
        "nixos",
    }
    return head if head in allowed else "unmanaged"
