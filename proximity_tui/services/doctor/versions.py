"""PVE releases we support, and the lxc-pve versions that fix Docker inside unprivileged CTs.

Support policy: PVE 9 and 8 fully; PVE 7 (end of life since July 2024) with degraded features
(it has no `GET /nodes/{node}/lxc/{vmid}/interfaces`, added by pve-container commit 3d56c9c in
2023, so addresses cannot be read through the API); anything older is refused.

Docker-in-LXC breakage, November 2025: runc 1.3.3 (the CVE-2025-31133/52565/52881 fixes) fails
in a nested unprivileged CT with `open sysctl net.ipv4.ip_unprivileged_port_start file: reopen
fd 8: permission denied` (opencontainers/runc#4968 and #4972, moby/moby#51405,
containerd/containerd#12484) because of the AppArmor rules lxc applies to /proc and /sys.
Proxmox's fix is "fix #7006: do not restrict /proc or /sys if nesting is enabled" (proxmox/lxc
commit d24bcf9, `debian/changelog`): lxc-pve 6.0.5-2 for PVE 9 (trixie). For PVE 8 (bookworm)
the same patch shipped as lxc-pve 6.0.0-2; Proxmox's public lxc repository has no bookworm
branch past 6.0.0-1, so that number comes from the runc issue thread and users' reports
(runc#4968, mkuthan/homelab-public#43) rather than from the changelog itself.
"""

from __future__ import annotations

import re

SUPPORTED_MAJORS = (8, 9)
DEGRADED_MAJORS = (7,)

#: PVE major -> the first lxc-pve version with the /proc,/sys fix for nested CTs.
LXC_PVE_FIXED = {9: "6.0.5-2", 8: "6.0.0-2"}
RUNC_ERROR = "open sysctl net.ipv4.ip_unprivileged_port_start file: reopen fd 8: permission denied"


def major_of(version: str) -> int | None:
    """`9.1.2` -> 9; None when unreadable."""
    m = re.match(r"\s*(\d+)", version or "")
    return int(m.group(1)) if m else None


def _parts(text: str) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in re.findall(r"\d+|[A-Za-z]+|~", text)]


def _key(part: int | str) -> tuple[int, int | str]:
    # `~` sorts before anything (Debian policy: 1.0~rc1 < 1.0), numbers after letters.
    if part == "~":
        return (0, 0)
    return (2, part) if isinstance(part, int) else (1, part)


def version_lt(a: str, b: str) -> bool:
    """Debian-style `a < b` for the versions we compare (`6.0.5-1` < `6.0.5-2` < `6.0.10-1`)."""

    def split(v: str) -> tuple[list[int | str], list[int | str]]:
        v = v.split(":", 1)[-1]
        upstream, _, revision = v.rpartition("-") if "-" in v else (v, "", "0")
        return _parts(upstream), _parts(revision)

    def cmp(x: list[int | str], y: list[int | str]) -> int:
        for p, q in zip(x, y, strict=False):
            kp, kq = _key(p), _key(q)
            if kp != kq:
                return -1 if kp < kq else 1
        if len(x) == len(y):
            return 0
        longer = x if len(x) > len(y) else y
        tilde = longer[min(len(x), len(y))] == "~"
        shorter_first = -1 if not tilde else 1
        return shorter_first if len(x) < len(y) else -shorter_first

    (ua, ra), (ub, rb) = split(a), split(b)
    c = cmp(ua, ub)
    return c < 0 if c else cmp(ra, rb) < 0


def lxc_pve_fixed(pve_major: int | None, installed: str) -> tuple[bool | None, str | None]:
    """(fixed?, the fixed version for this release). None when no fix exists for it (PVE 7)."""
    wanted = LXC_PVE_FIXED.get(pve_major or 0)
    if wanted is None:
        return None, None
    return not version_lt(installed, wanted), wanted
