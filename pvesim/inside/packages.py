"""Package managers inside a CT: Alpine's `apk` and Debian's `apt-get`, with the templates' facts.

A fresh Alpine template has no package index: `apk add` fails with `no such package` until
`apk update` (or `apk add --update`/`--no-cache`) fetched it, which needs the CT's network.
Installing records packages; commands such as `docker` or `curl` exist only once installed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shell import Ctx

MIRROR = "https://dl-cdn.alpinelinux.org/alpine"


@dataclass(frozen=True)
class Pkg:
    version: str
    deps: tuple[str, ...] = ()
    size_kb: int = 500


def _alpine(
    docker: str, compose: str, containerd: str, runc: str, curl: str, busybox: str
) -> dict[str, Pkg]:
    return {
        "ca-certificates": Pkg("20250619-r0", (), 700),
        "libseccomp": Pkg("2.6.0-r0", (), 180),
        "runc": Pkg(runc, ("libseccomp",), 9800),
        "containerd": Pkg(containerd, ("runc",), 41000),
        "containerd-ctr": Pkg(containerd, ("containerd",), 17000),
        "libmnl": Pkg("1.0.5-r2", (), 30),
        "libnftnl": Pkg("1.2.9-r0", ("libmnl",), 200),
        "libxtables": Pkg("1.8.11-r1", (), 60),
        "iptables": Pkg("1.8.11-r1", ("libnftnl", "libxtables"), 1500),
        "ip6tables": Pkg("1.8.11-r1", ("iptables",), 400),
        "tini-static": Pkg("0.19.0-r3", (), 800),
        "device-mapper-libs": Pkg("2.03.32-r0", (), 450),
        "docker-engine": Pkg(
            docker,
            (
                "containerd",
                "containerd-ctr",
                "ip6tables",
                "iptables",
                "tini-static",
                "device-mapper-libs",
                "ca-certificates",
            ),
            78000,
        ),
        "docker-openrc": Pkg(docker, (), 20),
        "docker-cli": Pkg(docker, (), 38000),
        "docker": Pkg(docker, ("docker-engine", "docker-openrc", "docker-cli"), 10),
        "docker-cli-compose": Pkg(compose, ("docker-cli",), 64000),
        "docker-compose": Pkg(compose, ("docker-cli-compose",), 10),
        "brotli-libs": Pkg("1.1.0-r2", (), 900),
        "c-ares": Pkg("1.34.5-r0", (), 250),
        "libunistring": Pkg("1.3-r0", (), 1700),
        "libidn2": Pkg("2.3.7-r0", ("libunistring",), 250),
        "nghttp2-libs": Pkg("1.65.0-r0", (), 170),
        "libpsl": Pkg("0.21.5-r3", (), 60),
        "zstd-libs": Pkg("1.5.7-r0", (), 700),
        "libcurl": Pkg(
            curl, ("brotli-libs", "c-ares", "libidn2", "nghttp2-libs", "libpsl", "zstd-libs"), 500
        ),
        "curl": Pkg(curl, ("ca-certificates", "libcurl"), 300),
        "readline": Pkg("8.2.13-r1", (), 300),
        "bash": Pkg("5.2.37-r0", ("readline",), 1300),
        "jq": Pkg("1.8.0-r0", (), 400),
        "git": Pkg("2.49.1-r0", ("ca-certificates", "libcurl"), 14000),
        "openssl": Pkg("3.5.1-r0", (), 1000),
        "tzdata": Pkg("2025b-r0", (), 3000),
        "nano": Pkg("8.4-r0", (), 600),
        "htop": Pkg("3.4.1-r0", (), 300),
        "busybox": Pkg(busybox, (), 1000),
    }


CATALOG: dict[tuple[str, str], dict[str, Pkg]] = {
    ("alpine", "3.22"): _alpine(
        "28.3.3-r1", "2.36.2-r1", "2.0.5-r5", "1.3.0-r5", "8.14.1-r2", "1.37.0-r18"
    ),
    ("alpine", "3.23"): _alpine(
        "29.1.2-r0", "2.40.3-r0", "2.1.4-r1", "1.3.3-r0", "8.17.0-r1", "1.37.0-r29"
    ),
}
ALPINE_BASE = 17  # packages in the template (alpine-baselayout, busybox, musl, openrc, ...)
ALPINE_BASE_KB = 9800

#: Which package provides a command (commands not listed are always there).
COMMAND_PACKAGE = {
    "docker": "docker-cli",
    "dockerd": "docker-engine",
    "curl": "curl",
    "bash": "bash",
    "jq": "jq",
    "git": "git",
    "openssl": "openssl",
    "nano": "nano",
    "htop": "htop",
    "docker-compose": "docker-compose",
}


def release_of(inside) -> tuple[str, str]:
    return inside.ostype, inside.release


def closure(catalog: dict[str, Pkg], names: list[str]) -> list[str]:
    """Packages to install, dependencies first (apk's order)."""
    out: list[str] = []

    def visit(n: str) -> None:
        if n in out:
            return
        for d in catalog[n].deps:
            visit(d)
        out.append(n)

    for n in names:
        visit(n)
    return out


def _repos(release: str) -> list[str]:
    return [f"{MIRROR}/v{release}/main", f"{MIRROR}/v{release}/community"]


async def apk(ctx: Ctx, argv: list[str]) -> int:
    inside = ctx.system
    args = argv[1:]
    if not args:
        ctx.out(
            "apk-tools 2.14.9, compiled for x86_64.\n"
            "\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n"
        )
        return 1
    sub = args[0]
    opts = [a for a in args[1:] if a.startswith("-")]
    names = [a for a in args[1:] if not a.startswith("-")]
    quiet = "-q" in opts or "--quiet" in opts
    catalog = CATALOG.get(release_of(inside), CATALOG[("alpine", "3.22")])
    if sub == "update":
        return await _apk_update(ctx, quiet)
    if sub == "add":
        if {"-U", "--update", "--update-cache", "--no-cache"} & set(opts):
            status = await _apk_update(ctx, quiet=True)
            if status:
                return status
        return await _apk_add(ctx, catalog, names, quiet)
    if sub in ("del", "delete"):
        removed = [n for n in names if n in inside.packages]
        for i, n in enumerate(removed, 1):
            inside.packages.discard(n)
            ctx.out(f"({i}/{len(removed)}) Purging {n} ({catalog.get(n, Pkg('0')).version})\n")
        ctx.out(_ok_line(inside, catalog))
        return 0
    if sub == "info":
        if "-e" in opts:
            found = [n for n in names if n in inside.packages]
            ctx.out("".join(f"{n}\n" for n in found))
            return 0 if len(found) == len(names) else 1
        ctx.out("".join(f"{n}\n" for n in sorted(inside.packages)))
        return 0
    if sub == "version":
        ctx.out("Installed:                                Available:\n")
        return 0
    ctx.err(f"apk: applet '{sub}' not found\n")
    return 1


async def _apk_update(ctx: Ctx, quiet: bool) -> int:
    inside = ctx.system
    errors = 0
    for repo in _repos(inside.release):
        if not quiet:
            ctx.out(f"fetch {repo}/x86_64/APKINDEX.tar.gz\n")
        await ctx.sleep(0.6)
        if inside.ip is None:
            ctx.err(f"WARNING: updating and opening {repo}: temporary error (try again later)\n")
            errors += 1
    if errors:
        ctx.out(f"{errors} unavailable, 0 stale; {ALPINE_BASE} distinct packages available\n")
        return errors
    inside.apk_index = True
    if not quiet:
        for n, repo in enumerate(_repos(inside.release)):
            ctx.out(
                f"v{inside.release}.2-{47 + n * 5}-g{'1a7fa1bc1d3' if n == 0 else '7dbd8f3e6f4'} "
                f"[{repo}]\n"
            )
        ctx.out("OK: 26357 distinct packages available\n")
    return 0


async def _apk_add(ctx: Ctx, catalog: dict[str, Pkg], names: list[str], quiet: bool) -> int:
    inside = ctx.system
    if not inside.apk_index:
        for repo in _repos(inside.release):
            ctx.err(f"WARNING: opening from cache {repo}: No such file or directory\n")
    missing = [n for n in names if not inside.apk_index or n not in catalog]
    if missing:
        ctx.err("ERROR: unable to select packages:\n")
        for n in missing:
            ctx.err(f"  {n} (no such package):\n    required by: world[{n}]\n")
        return len(missing)
    todo = [n for n in closure(catalog, names) if n not in inside.packages]
    for i, name in enumerate(todo, 1):
        pkg = catalog[name]
        if name == "docker":
            ctx.out(f"Executing docker-{pkg.version}.pre-install\n")
        if not quiet:
            ctx.out(f"({i}/{len(todo)}) Installing {name} ({pkg.version})\n")
        await ctx.sleep(min(2.0, 0.05 + pkg.size_kb / 40000))
        inside.packages.add(name)
    inside.world.update(names)
    if todo and not quiet:
        ctx.out(f"Executing busybox-{catalog['busybox'].version}.trigger\n")
        if "ca-certificates" in todo:
            ctx.out(f"Executing ca-certificates-{catalog['ca-certificates'].version}.trigger\n")
    if not quiet:
        ctx.out(_ok_line(inside, catalog))
    return 0


def _ok_line(inside, catalog: dict[str, Pkg]) -> str:
    kb = ALPINE_BASE_KB + sum(catalog[n].size_kb for n in inside.packages if n in catalog)
    return f"OK: {kb // 1024} MiB in {ALPINE_BASE + len(inside.packages)} packages\n"


# --- Debian -------------------------------------------------------------------------------------

DEBIAN = {
    "12": {
        "codename": "bookworm",
        "docker.io": "20.10.24+dfsg1-1+deb12u1",
        "docker-compose": "1.29.2-3",
        "containerd": "1.6.20~ds1-1+b1",
        "runc": "1.1.5+ds1-1+deb12u1",
        "curl": "7.88.1-10+deb12u12",
    },
    "13": {
        "codename": "trixie",
        "docker.io": "26.1.5+dfsg1-9+b9",
        "docker-compose": "2.26.1-4",
        "containerd": "1.7.24~ds1-6+b4",
        "runc": "1.1.15+ds1-2+b4",
        "curl": "8.14.1-2",
    },
}
DEBIAN_DEPS = {
    "docker.io": ["runc", "containerd", "tini", "iptables", "docker.io"],
    "docker-compose": ["docker-compose"],
    "curl": ["curl"],
    "jq": ["jq"],
    "git": ["git"],
    "ca-certificates": ["ca-certificates"],
}


async def apt_get(ctx: Ctx, argv: list[str]) -> int:
    inside = ctx.system
    facts = DEBIAN.get(inside.release, DEBIAN["12"])
    args = [a for a in argv[1:] if not a.startswith("-")]
    if not args:
        ctx.err("E: Invalid operation\n")
        return 100
    sub, names = args[0], args[1:]
    code = facts["codename"]
    if sub == "update":
        if inside.ip is None:
            ctx.out(
                f"Err:1 http://deb.debian.org/debian {code} InRelease\n"
                "  Temporary failure resolving 'deb.debian.org'\n"
            )
            ctx.out("Reading package lists...\n")
            ctx.err(
                f"W: Failed to fetch http://deb.debian.org/debian/dists/{code}/InRelease "
                " Temporary failure resolving 'deb.debian.org'\n"
                "W: Some index files failed to download. They have been ignored, or "
                "old ones used instead.\n"
            )
            return 0
        for i, suite in enumerate([code, f"{code}-updates", f"{code}-security"], 1):
            host = "security.debian.org" if suite.endswith("security") else "deb.debian.org/debian"
            ctx.out(f"Get:{i} http://{host} {suite} InRelease [{151 - i * 40} kB]\n")
            await ctx.sleep(0.4)
        ctx.out("Fetched 9,047 kB in 2s (4,412 kB/s)\nReading package lists...\n")
        inside.apk_index = True
        return 0
    if sub != "install":
        ctx.err(f"E: Invalid operation {sub}\n")
        return 100
    ctx.out("Reading package lists...\nBuilding dependency tree...\nReading state information...\n")
    unknown = [n for n in names if n not in DEBIAN_DEPS or not inside.apk_index]
    if unknown:
        ctx.err(f"E: Unable to locate package {unknown[0]}\n")
        return 100
    todo = [p for n in names for p in DEBIAN_DEPS[n] if p not in inside.packages]
    todo = list(dict.fromkeys(todo))
    ctx.out(f"The following NEW packages will be installed:\n  {' '.join(sorted(todo))}\n")
    ctx.out(f"0 upgraded, {len(todo)} newly installed, 0 to remove and 0 not upgraded.\n")
    for i, p in enumerate(todo, 1):
        ctx.out(
            f"Get:{i} http://deb.debian.org/debian {code}/main amd64 {p} amd64 "
            f"{facts.get(p, '1.0-1')} [1,024 kB]\n"
        )
        await ctx.sleep(0.3)
    for p in todo:
        ctx.out(
            f"Selecting previously unselected package {p}.\n"
            f"Setting up {p} ({facts.get(p, '1.0-1')}) ...\n"
        )
        inside.packages.add(p)
        if p == "docker.io":
            inside.packages.add("docker-cli")
            inside.packages.add("docker-engine")
            inside.enabled.add("docker")
            ctx.out(
                "Created symlink /etc/systemd/system/multi-user.target.wants/docker.service "
                "→ /lib/systemd/system/docker.service.\n"
            )
            if inside.docker.start_daemon(inside.features):
                ctx.err(
                    "Job for docker.service failed because the control process exited "
                    'with error code.\nSee "systemctl status docker.service" and "journalctl '
                    '-xeu docker.service" for details.\n'
                    'invoke-rc.d: initscript docker, action "start" failed.\n'
                )  # noqa: E501
                ctx.err(
                    "dpkg: error processing package docker.io (--configure):\n"
                    " installed docker.io package post-installation script subprocess "
                    "returned error exit status 1\nErrors were encountered while processing:\n"
                    " docker.io\nE: Sub-process /usr/bin/dpkg returned an error code (1)\n"
                )  # noqa: E501
                return 100
        if p == "docker-compose" and inside.release != "12":
            inside.packages.add("docker-cli-compose")
    return 0
