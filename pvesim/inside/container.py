"""`ContainerInside`: what runs inside one simulated LXC container, as `pct exec` sees it."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from . import image_io, images
from .commands import COMMANDS, available, path_of
from .docker import DAEMON_START_SECONDS, DockerEngine
from .fs import MemoryFS
from .net import NetError
from .shell import Flavor, Io, Shell, Stdin

MiB = 1024 * 1024
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "ip6-localhost"}
_EXTERNAL = {
    "example.com",
    "dl-cdn.alpinelinux.org",
    "deb.debian.org",
    "registry-1.docker.io",
    "github.com",
    "1.1.1.1",
}
_OS_RELEASE = {
    "alpine": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={full}\nPRETTY_NAME="Alpine Linux v{rel}"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n',  # noqa: E501
    "debian": 'PRETTY_NAME="Debian GNU/Linux {rel} ({code})"\nNAME="Debian GNU/Linux"\nVERSION_ID="{rel}"\nVERSION="{rel} ({code})"\nVERSION_CODENAME={code}\nID=debian\nHOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n',  # noqa: E501
}
_FULL_RELEASE = {"3.22": "3.22.1", "3.23": "3.23.0", "12": "12.12", "13": "13.1"}
_CODENAMES = {"12": "bookworm", "13": "trixie"}
_DIRS = [
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/libexec",
    "/lib",
    "/etc",
    "/etc/init.d",
    "/root",
    "/tmp",
    "/var/log",
    "/var/lib",
    "/var/cache",
    "/run",
    "/opt",
    "/srv",
    "/home",
    "/dev",
    "/mnt",
    "/media",
]


class ContainerInside:
    """A CT's file system, packages, init system and Docker engine, driven by shell commands.

    Class-level `failing_images` / `crashing_images` / `unhealthy_images` apply to every CT;
    the instance attributes of the same names to this one. Image names match by repository
    (`nginx`), reference (`nginx:1.27`) or the exact string used.
    """

    failing_images: ClassVar[set[str]] = set()
    crashing_images: ClassVar[set[str]] = set()
    unhealthy_images: ClassVar[set[str]] = set()

    def __init__(
        self,
        vmid: int,
        *,
        ostype: str = "alpine",
        release: str | None = None,
        hostname: str | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        time_scale: float = 1.0,
    ) -> None:
        if ostype not in _OS_RELEASE:
            raise ValueError(f"unsupported ostype {ostype!r} (alpine or debian)")
        self.vmid = vmid
        self.ostype = ostype
        self.release = release or ("3.22" if ostype == "alpine" else "12")
        self.hostname = hostname or f"CT{vmid}"
        self.rng = rng or random.Random(vmid)
        self.clock = clock
        self.time_scale = float(time_scale)
        self.failing_images: set[str] = set()  # type: ignore[misc]
        self.crashing_images: set[str] = set()  # type: ignore[misc]
        self.unhealthy_images: set[str] = set()  # type: ignore[misc]
        #: Models the runc 1.3.3 regression (Nov 2025): containers fail to start in LXC.
        self.broken_runc = False
        self.packages: set[str] = set()
        self.world: set[str] = set()
        self.apk_index = False  # templates ship without a package index
        self.enabled: set[str] = set()
        self.openrc_cached = False
        self.features: dict[str, str] = {}
        self.ip: str | None = None
        self.booted = False
        self.docker = DockerEngine(self)
        self.fs = self._base_fs()

    # --- time ----------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    def wall(self, t: float) -> float:
        """Epoch seconds of a clock reading (the clock may be monotonic)."""
        now = self.clock()
        return t if now > 1e9 else time.time() - (now - t)

    def scaled(self, seconds: float) -> float:
        return max(0.0, seconds * self.time_scale)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(self.scaled(seconds))

    async def poll_sleep(self) -> None:
        """Between two looks at something that changes with time (health, followed logs)."""
        await asyncio.sleep(min(1.0, max(0.02, self.time_scale)))

    # --- running commands ----------------------------------------------------------------------

    @property
    def os_pretty(self) -> str:
        if self.ostype == "alpine":
            return f"Alpine Linux v{self.release}"
        return f"Debian GNU/Linux {self.release} ({_CODENAMES.get(self.release, '')})"

    @property
    def ip_address(self) -> str | None:
        return self.ip.split("/", 1)[0] if self.ip else None

    def shell(self, environ: dict[str, str] | None = None) -> Shell:
        env = (
            dict(environ)
            if environ is not None
            else {
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root",
            }
        )
        return Shell(
            fs=self.fs,
            commands=COMMANDS,
            flavor=Flavor("ash" if self.ostype == "alpine" else "dash"),
            system=self,
            vars=dict(env),
            exported=set(env),
            cwd="/root",
            available=lambda name: available(self, name),
            sleep=self.sleep,
        )

    async def exec(
        self,
        argv: list[str],
        *,
        stdin: bytes | Callable[[], Awaitable[bytes]] = b"",
        features: dict[str, str],
        ip: str | None,
        out: Callable[[bytes], None],
        err: Callable[[bytes], None],
        env: dict[str, str] | None = None,
    ) -> int:
        """Runs one command line as `pct exec VMID -- argv...` would; returns its exit status.

        `stdin` is bytes, or an async callable returning all of stdin (called only if a command
        reads it, so a client that never closes stdin does not block other commands). `env` is
        the process environment lxc-attach hands over (see `pct.py`); None: a login default.
        """
        self.features = dict(features)
        self.ip = ip
        if not self.booted:
            self.on_start(ip)
        if not argv:
            return 0
        status = await self.shell(env).run_argv(list(argv), Io(Stdin(stdin), out, err))
        self.sync_binaries()
        return status

    # --- lifecycle hooks (called by the cluster state) -------------------------------------------

    def on_start(
        self,
        ip: str | None,
        *,
        features: dict[str, str] | None = None,
        hostname: str | None = None,
        net_after: float | None = None,
    ) -> None:
        """The CT booted: hostname written, docker started if enabled, apps with a restart policy
        back. OpenRC starts dockerd only once the network is up (Alpine aports
        `community/docker/docker.initd`: `need sysfs cgroups net`): `net_after` simulated
        seconds after this boot (the DHCP lease), then it takes `DAEMON_START_SECONDS` to
        answer. None: the CT booted before this inside was made; its daemon answers at once."""
        self.ip = ip
        if features is not None:
            self.features = dict(features)
        if hostname:
            self.hostname = hostname
        self.fs.write("/etc/hostname", f"{self.hostname}\n".encode())
        self.booted = True
        docker_enabled = "docker" in self.enabled and "docker-engine" in self.packages
        if net_after is not None and not self._docker_needs_net():
            net_after = 0.0
        after = 0.0 if net_after is None else self.scaled(net_after + DAEMON_START_SECONDS)
        if docker_enabled and self.docker.start_daemon(self.features, after=after) is None:
            self.docker.boot()

    def _docker_needs_net(self) -> bool:
        """Whether OpenRC waits for `net` before dockerd: its `need net` stays unless
        `/etc/conf.d/docker` removes it with `rc_need="!net"` (OpenRC sh/rc-functions.sh
        `_depend` adds `rc_need` to the script's needs; src/librc/librc-depend.c drops a
        dependency written with a leading `!`)."""
        path = "/etc/conf.d/docker"
        if not self.fs.exists(path):
            return True
        text = self.fs.read(path).decode(errors="replace")
        found = re.findall(r'^\s*rc_need="?([^"\n]*)"?', text, flags=re.M)
        return not any("!net" in words.split() for words in found)

    def on_stop(self) -> None:
        """The CT shut down: every app and the daemon stop."""
        self.docker.stop_daemon(graceful=True)
        self.booted = False
        self.ip = None

    def load(self) -> tuple[float, int]:
        """Extra (CPU fraction of the CT, memory bytes) the running apps use right now."""
        if not self.booted or not self.docker.running:
            return 0.0, 0
        cpu, mem = 0.004, 45 * MiB
        for box in self.docker.boxes.values():
            self.docker.refresh(box)
            if box.state != "running":
                continue
            info = images.lookup(box.image)
            heavy = info is not None and info.kind == "java"
            mem += int((info.mem_mb if info else 80) * MiB * (0.9 + 0.2 * self.rng.random()))
            cpu += (0.01 if heavy else 0.002) + 0.01 * self.rng.random()
        return min(cpu, 1.0), mem

    def clone(self) -> ContainerInside:
        """A copy of the disk state (clone, snapshot, backup): processes do not come along."""
        copy = ContainerInside.from_dict(
            self.to_dict(),
            rng=random.Random(self.rng.getrandbits(64)),
            clock=self.clock,
            time_scale=self.time_scale,
        )
        copy.docker.stop_daemon(graceful=False)
        copy.booted = False
        copy.ip = None
        return copy

    # --- files (pct push, tests) ------------------------------------------------------------------

    def read_file(self, path: str) -> bytes:
        return self.fs.read(path)

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Writes a file; the parent directory must exist (as `pct push` requires)."""
        self.fs.write(path, data, mode=mode)

    def exists(self, path: str) -> bool:
        return self.fs.exists(path)

    # --- what the docker model asks --------------------------------------------------------------

    def _image_in(self, ref: str, attr: str) -> bool:
        keys = {ref, images.normalize(ref), images.repository(ref)}
        return bool(keys & (getattr(type(self), attr) | getattr(self, attr)))

    def pull_error(self, ref: str) -> str | None:
        if self.ip is None:
            return 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host'  # noqa: E501
        if self._image_in(ref, "failing_images"):
            repo = images.repository(ref)
            return f"pull access denied for {repo}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"  # noqa: E501
        return None

    def is_crashing(self, ref: str) -> bool:
        return self._image_in(ref, "crashing_images")

    def is_unhealthy(self, ref: str) -> bool:
        return self._image_in(ref, "unhealthy_images")

    def connect(self, host: str, port: int) -> tuple[Any, int] | None:
        """The (container, its port) a TCP connection from inside the CT reaches; None for an
        outside host that resolves. Raises `NetError` as the connection would fail."""
        host = host.strip("[]")
        local = host in _LOOPBACK or host == self.ip_address or host == self.hostname
        if not local:
            if self.ip is None or host not in _EXTERNAL:
                raise NetError("bad_address", host)
            return None
        hit = (
            self.docker.find_port(port, loopback=host in _LOOPBACK) if self.docker.running else None
        )  # noqa: E501
        if hit is None or not self.docker.listening(hit[0]):
            raise NetError("refused", host)
        box, target = hit
        if box.listen and target not in box.listen:
            raise NetError("reset", host)
        return hit

    async def http_get(self, host: str, port: int, path: str) -> tuple[int, bytes]:
        await asyncio.sleep(0)
        hit = self.connect(host, port)
        if hit is None:
            return 200, b"<!doctype html><html><head><title>Example Domain</title></head></html>\n"
        box, _target = hit
        answer = image_io.http_response(box.image, path)
        if answer is None:
            raise NetError("reset", host)
        status, body = answer
        line = image_io.access_line(box.image, path, status, len(body), self.wall(self.now()))
        if line:
            self.docker.log(box, line)
        return status, body

    # --- state -----------------------------------------------------------------------------------

    def sync_binaries(self) -> None:
        """Installed utilities appear as files (`test -x /usr/bin/docker`)."""
        for name in COMMANDS:
            path = path_of(name)
            if available(self, name) and not self.fs.exists(path):
                self.fs.write(path, b"\x7fELF", mode=0o755)

    def _base_fs(self) -> MemoryFS:
        fs = MemoryFS()
        for d in _DIRS:
            fs.mkdir(d, parents=True)
        fs.chmod("/tmp", 0o1777)
        fs.chmod("/root", 0o700)
        full = _FULL_RELEASE.get(self.release, self.release)
        text = _OS_RELEASE[self.ostype].format(
            full=full, rel=self.release, code=_CODENAMES.get(self.release, "")
        )
        fs.write("/etc/os-release", text.encode())
        if self.ostype == "alpine":
            fs.mkdir("/etc/apk")
            fs.mkdir("/etc/conf.d")  # OpenRC's service settings (the template ships openrc)
            fs.write("/etc/alpine-release", f"{full}\n".encode())
            fs.write(
                "/etc/apk/repositories",
                f"https://dl-cdn.alpinelinux.org/alpine/v{self.release}/main\nhttps://dl-cdn.alpinelinux.org/alpine/v{self.release}/community\n".encode(),
            )
        else:
            fs.write("/etc/debian_version", f"{full}\n".encode())
        fs.write("/etc/hostname", f"{self.hostname}\n".encode())
        fs.write(
            "/etc/hosts",
            b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            + f"127.0.1.1\t{self.hostname}\n".encode(),
        )
        fs.write(
            "/etc/resolv.conf",
            b"# --- BEGIN PVE ---\nsearch localdomain\nnameserver 10.10.10.1\n# --- END PVE ---\n",
        )
        self.fs = fs
        self.sync_binaries()
        return fs

    def to_dict(self) -> dict[str, Any]:
        return {
            "vmid": self.vmid,
            "ostype": self.ostype,
            "release": self.release,
            "hostname": self.hostname,
            "packages": sorted(self.packages),
            "world": sorted(self.world),
            "apk_index": self.apk_index,
            "enabled": sorted(self.enabled),
            "openrc_cached": self.openrc_cached,
            "features": dict(self.features),
            "ip": self.ip,
            "booted": self.booted,
            "broken_runc": self.broken_runc,
            "failing_images": sorted(self.failing_images),
            "crashing_images": sorted(self.crashing_images),  # noqa: E501
            "unhealthy_images": sorted(self.unhealthy_images),
            "fs": self.fs.to_dict(),
            "docker": self.docker.to_dict(),
        }

    @classmethod
    def from_dict(
        cls,
        d: dict[str, Any],
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        time_scale: float = 1.0,
    ) -> ContainerInside:
        inside = cls(
            d["vmid"],
            ostype=d["ostype"],
            release=d["release"],
            hostname=d["hostname"],
            rng=rng,
            clock=clock,
            time_scale=time_scale,
        )
        inside.packages = set(d["packages"])
        inside.world = set(d["world"])
        inside.apk_index = bool(d["apk_index"])
        inside.enabled = set(d["enabled"])
        inside.openrc_cached = bool(d["openrc_cached"])
        inside.features = dict(d["features"])
        inside.ip = d["ip"]
        inside.booted = bool(d["booted"])
        inside.broken_runc = bool(d.get("broken_runc", False))
        for attr in ("failing_images", "crashing_images", "unhealthy_images"):
            setattr(inside, attr, set(d.get(attr, [])))
        inside.fs = MemoryFS.from_dict(d["fs"])
        inside.docker.load(d["docker"])
        return inside
