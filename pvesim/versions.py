"""Package versions per Proxmox VE release: what `GET /version`, `pveversion` and
`GET /nodes/{node}/apt/versions` report, and the `lxc-pve` builds that fixed Docker in LXC.

Versions are read from the Proxmox repositories' `debian/changelog`: for each release the
pve-manager version and the other packages' newest entry at that date (pve-manager 9.1.1 of
2025-11-18, 8.4.1 of 2025-04-10, 7.4-4 of 2023-05-28). `repoid` is the first 16 hex digits of
the pve-manager commit "bump version to X" (what `PVE::pvecfg::repoid` reports).

Docker in unprivileged CTs (runc >= 1.3.3, the CVE-2025-31133/52565/52881 fixes) fails with
`open sysctl net.ipv4.ip_unprivileged_port_start file: reopen fd 8: permission denied` until
the host's lxc-pve carries "fix #7006: do not restrict /proc or /sys if nesting is enabled"
(proxmox/lxc commit d24bcf9, `debian/patches/apparmor/0003-apparmor-skip-proc-and-sys-
restrictions-if-nesting.patch`):
- PVE 9 (trixie): lxc-pve 6.0.5-2 (proxmox/lxc `debian/changelog`, 13 Nov 2025).
- PVE 8 (bookworm): lxc-pve 6.0.0-2. The stored proxmox/lxc `stable-bookworm` branch ends at
  6.0.0-1 (Apr 2024), so this number comes from the bookworm backport users report
  (mkuthan/homelab-public#43 "Update lxc-pve to 6.0.0-2", pointing at the Proxmox forum thread),
  not from a Proxmox changelog we could read.
- PVE 7 (bullseye, end of life): no fixed build; its last lxc-pve is 5.0.2-2.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The first lxc-pve with the fix, per PVE major (None: never fixed).
LXC_PVE_FIXED: dict[int, str | None] = {9: "6.0.5-2", 8: "6.0.0-2", 7: None}


@dataclass(frozen=True)
class Release:
    major: int
    version: str
    release: str
    repoid: str
    kernel: str
    codename: str
    packages: dict[str, str]
    #: lxc-pve on a host that did not get the runc fix (`docker-runc-broken`).
    lxc_pve_broken: str

    @property
    def kernel_package(self) -> str:
        # PVE 8 renamed the kernel packages from pve-kernel-* to proxmox-kernel-*
        prefix = "pve-kernel" if self.major < 8 else "proxmox-kernel"
        return f"{prefix}-{self.kernel}-signed" if self.major >= 8 else f"{prefix}-{self.kernel}"


RELEASES: dict[int, Release] = {
    9: Release(
        9,
        "9.1.1",
        "9.1",
        "42db4a6cf33dac83",
        "6.17.2-1-pve",
        "trixie",
        {
            "proxmox-ve": "9.1.0",
            "pve-manager": "9.1.1",
            "lxc-pve": "6.0.5-3",
            "lxcfs": "6.0.4-pve1",
            "pve-container": "6.0.18",
            "libpve-access-control": "9.0.4",
            "libpve-storage-perl": "9.0.18",
            "libpve-guest-common-perl": "6.0.2",
        },
        lxc_pve_broken="6.0.5-1",
    ),
    8: Release(
        8,
        "8.4.1",
        "8.4",
        "2a5fa54a8503f96d",
        "6.8.12-9-pve",
        "bookworm",
        {
            "proxmox-ve": "8.4.0",
            "pve-manager": "8.4.1",
            "lxc-pve": "6.0.0-2",
            "lxcfs": "6.0.0-pve2",
            "pve-container": "5.2.6",
            "libpve-access-control": "8.2.2",
            "libpve-storage-perl": "8.3.6",
            "libpve-guest-common-perl": "5.2.2",
        },
        lxc_pve_broken="6.0.0-1",
    ),
    7: Release(
        7,
        "7.4-4",
        "7.4",
        "4a8501a8b7e506fb",
        "5.15.107-2-pve",
        "bullseye",
        {
            "proxmox-ve": "7.4-1",
            "pve-manager": "7.4-4",
            "lxc-pve": "5.0.2-2",
            "lxcfs": "5.0.3-pve1",
            "pve-container": "4.4-4",
            "libpve-access-control": "7.4-3",
            "libpve-storage-perl": "7.4-3",
            "libpve-guest-common-perl": "4.2-4",
        },
        lxc_pve_broken="5.0.2-2",
    ),
}


def release(major: int) -> Release:
    return RELEASES[major]


def apt_versions(rel: Release, *, runc_broken: bool = False) -> list[dict[str, str]]:
    """`GET /nodes/{node}/apt/versions` (pve-manager `PVE/API2/APT.pm`, sub `versions`).

    `Version` is the candidate and `OldVersion` the installed version ($assemble_pkginfo); order:
    proxmox-ve, pve-manager, the installed kernels, then the rest by name. A host without the
    runc fix has the old lxc-pve installed and the fixed one waiting as candidate (PVE 7: none).
    """
    out: list[dict[str, str]] = []
    names = ["proxmox-ve", "pve-manager", rel.kernel_package]
    names += sorted(n for n in rel.packages if n not in names)
    for name in names:
        kernel = name == rel.kernel_package
        current = rel.kernel.removesuffix("-pve") if kernel else rel.packages[name]
        candidate = current
        if name == "lxc-pve" and runc_broken:
            current = rel.lxc_pve_broken
        entry = {
            "Package": name,
            "Title": _TITLES.get(name, "Proxmox VE package"),
            "Origin": "Proxmox",
            "Section": "admin",
            "Arch": "amd64",
            "Priority": "optional",
            "Version": candidate,
            "OldVersion": current,
            "CurrentState": "Installed",
        }
        if name == "pve-manager":
            entry["ManagerVersion"] = f"pve-manager/{rel.version}/{rel.repoid}"
        elif name == "proxmox-ve":
            entry["RunningKernel"] = rel.kernel
        out.append(entry)
    return out


_TITLES = {
    "proxmox-ve": "Proxmox Virtual Environment",
    "pve-manager": "Proxmox Virtual Environment Management Tools",
    "lxc-pve": "Linux containers userspace tools",
    "lxcfs": "FUSE based filesystem for LXC",
    "pve-container": "Proxmox VE Container management tool",
    "libpve-access-control": "Proxmox VE access control library",
    "libpve-storage-perl": "Proxmox VE storage management library",
    "libpve-guest-common-perl": "Proxmox VE common guest-related modules",
}
