"""The Docker engine inside a CT: daemon, images, containers, networks and volumes.

States are computed lazily from the clock (no background tasks): a container with a healthcheck
reports `starting` until the first probe that finds the app answering (probes run when Docker
runs them, see `health.py`; durations scaled by the time scale), a crashing image exits shortly
after each start and, with a restart policy, keeps `restarting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import image_io, images
from .health import Healthcheck

if TYPE_CHECKING:
    from .container import ContainerInside

SOCKET_ERROR = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?\n"
)
RESTARTING_POLICIES = ("always", "unless-stopped", "on-failure")
CRASH_AFTER = 1.5
#: Seconds from OpenRC starting dockerd to its socket answering (as `service docker start`).
DAEMON_START_SECONDS = 1.5


@dataclass
class PortBinding:
    target: int
    published: int | None = None
    host_ip: str = ""  # "" binds 0.0.0.0 and ::
    protocol: str = "tcp"


@dataclass
class Box:
    """One Docker container."""

    id: str
    name: str
    image: str
    command: str
    labels: dict[str, str]
    network_mode: str
    ports: list[PortBinding]
    listen: list[int]
    restart: str = "no"
    healthcheck: Healthcheck | None = None
    env: dict[str, str] = field(default_factory=dict)
    mounts: list[str] = field(default_factory=list)
    created: float = 0.0
    state: str = "created"  # created | running | restarting | exited
    exit_code: int = 0
    started: float | None = None
    finished: float | None = None
    user_stopped: bool = False
    logs: list[tuple[float, str]] = field(default_factory=list)

    @property
    def project(self) -> str | None:
        return self.labels.get("com.docker.compose.project")

    @property
    def service(self) -> str:
        return self.labels.get("com.docker.compose.service", self.name)

    def to_dict(self, now: float) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["ports"] = [p.__dict__ for p in self.ports]
        d["healthcheck"] = self.healthcheck.__dict__ if self.healthcheck else None
        for key in ("created", "started", "finished"):
            d[key] = None if d[key] is None else now - d[key]  # stored as ages
        d["logs"] = [(now - t, line) for t, line in self.logs[-200:]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], now: float) -> Box:
        d = dict(d)
        d["ports"] = [PortBinding(**p) for p in d["ports"]]
        d["healthcheck"] = Healthcheck(**d["healthcheck"]) if d["healthcheck"] else None
        for key in ("created", "started", "finished"):
            d[key] = None if d[key] is None else now - d[key]
        d["logs"] = [(now - age, line) for age, line in d["logs"]]
        return cls(**d)


def human_duration(seconds: float) -> str:
    """Docker's `units.HumanDuration`."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 14:
        return f"{hours // 24} days"
    if hours < 24 * 60:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 730:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds // 3600) // 24 // 365} years"


class DockerEngine:
    def __init__(self, inside: ContainerInside) -> None:
        self.inside = inside
        self.daemon = "stopped"  # stopped | running | crashed
        self.images: dict[str, dict[str, Any]] = {}
        self.boxes: dict[str, Box] = {}
        self.networks: set[str] = set()
        self.volumes: set[str] = set()
        self._next_port = 32768
        #: When a daemon started at boot answers (None: at once); see `start_daemon`.
        self.up_at: float | None = None

    # --- daemon ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """The daemon answers (one started at boot only once `up_at` has come)."""
        if self.daemon != "running":
            return False
        return self.up_at is None or self.inside.now() >= self.up_at

    def start_daemon(self, features: dict[str, str], *, after: float = 0.0) -> str | None:
        """Starts dockerd, answering `after` seconds from now (already scaled); returns its
        fatal log line when the CT cannot run Docker."""
        self.up_at = self.inside.now() + after if after > 0 else None
        error = None
        if features.get("nesting") != "1":
            error = (
                "failed to start daemon: error initializing graphdriver: "
                "driver not supported: overlay2: mount overlay: operation not permitted"
            )
        elif features.get("keyctl") != "1":
            error = (
                "failed to start containerd: timeout waiting for containerd to start: "
                "join session keyring: create session key: operation not permitted"
            )
        now = self.inside.wall(self.inside.now())
        log = [f'time="{_iso(now)}" level=info msg="Starting up"']
        if error:
            log.append(f'time="{_iso(now)}" level=error msg="{error}"')
            log.append(error)
            self.daemon = "crashed"
        else:
            log.append(f'time="{_iso(now)}" level=info msg="Daemon has completed initialization"')
            log.append(f'time="{_iso(now)}" level=info msg="API listen on /var/run/docker.sock"')
            self.daemon = "running"
            self.networks.update({"bridge", "host", "none"})
        self.inside.fs.write("/var/log/docker.log", ("\n".join(log) + "\n").encode(), append=True)
        return error

    def stop_daemon(self, *, graceful: bool = True) -> None:
        for box in self.boxes.values():
            self.refresh(box)
            if box.state in ("running", "restarting"):
                self._halt(box, 0 if graceful else 255)
        self.daemon = "stopped"

    def boot(self) -> None:
        """After the daemon starts: containers whose restart policy says so come back (when the
        daemon answers)."""
        for box in self.boxes.values():
            policy = box.restart
            if (
                policy == "always"
                or (policy == "unless-stopped" and not box.user_stopped)
                or policy == "on-failure"
                and box.exit_code not in (0,)
                and not box.user_stopped
            ):
                self.start(box, at=self.up_at)

    # --- images ------------------------------------------------------------------------------

    def has_image(self, ref: str) -> bool:
        return images.normalize(ref) in self.images

    def add_image(self, ref: str) -> None:
        info = images.lookup(ref)
        self.images[images.normalize(ref)] = {
            "id": "sha256:" + images.digest(images.normalize(ref)),
            "size": (info.size_mb if info else 80) * images.MiB * 5 // 2,
            "created": self.inside.now(),
        }

    # --- containers ----------------------------------------------------------------------------

    def new_id(self) -> str:
        return f"{self.inside.rng.getrandbits(256):064x}"

    def create(self, box: Box) -> Box:
        box.created = self.inside.now()
        for binding in box.ports:
            if binding.published is None:
                binding.published = self._next_port
                self._next_port += 1
        self.boxes[box.name] = box
        return box

    def start(self, box: Box, *, at: float | None = None) -> None:
        now = self.inside.now() if at is None else at
        box.state = "running"
        box.started = now
        box.exit_code = 0
        box.user_stopped = False
        wall = self.inside.wall(now)
        box.logs.extend((now, line) for line in image_io.startup_lines(box.image, box.listen, wall))

    def stop(self, box: Box, *, user: bool = True) -> None:
        self.refresh(box)
        if box.state in ("running", "restarting"):
            self._halt(box, 0)
        box.user_stopped = user

    def remove(self, box: Box) -> None:
        self.boxes.pop(box.name, None)

    def _halt(self, box: Box, code: int) -> None:
        box.state = "exited"
        box.exit_code = code
        box.finished = self.inside.now()

    def refresh(self, box: Box) -> None:
        """Applies what happened since the last look (a crashing image exits)."""
        if box.state != "running" or box.started is None:
            return
        if self.inside.is_crashing(box.image):
            crash_at = box.started + self.inside.scaled(CRASH_AFTER)
            if self.inside.now() >= crash_at:
                box.exit_code = 1
                box.finished = crash_at
                box.logs.append((crash_at, "fatal: unable to initialise, exiting"))
                box.state = "restarting" if box.restart in RESTARTING_POLICIES else "exited"

    def health(self, box: Box) -> str:
        self.refresh(box)
        if box.state != "running" or box.healthcheck is None or box.started is None:
            return ""
        hc = box.healthcheck
        elapsed = self.inside.now() - box.started
        if self.inside.is_unhealthy(box.image):
            return "unhealthy" if elapsed >= self.inside.scaled(hc.unhealthy_at()) else "starting"
        info = images.lookup(box.image)
        first = hc.healthy_at(info.ready_after if info else 2.0)
        return "healthy" if elapsed >= self.inside.scaled(first) else "starting"

    def status(self, box: Box) -> str:
        health = self.health(box)
        now = self.inside.now()
        if box.state == "running":
            suffix = {
                "starting": " (health: starting)",
                "healthy": " (healthy)",
                "unhealthy": " (unhealthy)",
            }
            return f"Up {human_duration(now - (box.started or now))}{suffix.get(health, '')}"
        if box.state == "created":
            return "Created"
        ago = human_duration(now - (box.finished or now))
        word = "Restarting" if box.state == "restarting" else "Exited"
        return f"{word} ({box.exit_code}) {ago} ago"

    def listening(self, box: Box) -> bool:
        self.refresh(box)
        if box.state != "running" or box.started is None:
            return False
        info = images.lookup(box.image)
        ready = info.ready_after if info else 2.0
        return self.inside.now() - box.started >= self.inside.scaled(ready)

    def find_port(self, port: int, *, loopback: bool) -> tuple[Box, int] | None:
        """The running container answering on host `port`, and the port it listens on inside."""
        for box in self.boxes.values():
            self.refresh(box)
            if box.state != "running":
                continue
            if box.network_mode == "host":
                if port in box.listen:
                    return box, port
                continue
            for b in box.ports:
                reachable = b.host_ip in ("", "0.0.0.0", "::") or (
                    loopback and b.host_ip == "127.0.0.1"
                )
                if b.published == port and b.protocol == "tcp" and reachable:
                    return box, b.target
        return None

    def project_boxes(self, project: str) -> list[Box]:
        return sorted(
            (b for b in self.boxes.values() if b.project == project),
            key=lambda b: (b.service, b.name),
        )

    def log(self, box: Box, line: str) -> None:
        box.logs.append((self.inside.now(), line))

    # --- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        now = self.inside.now()
        return {
            "daemon": self.daemon,
            "images": {k: {**v, "created": now - v["created"]} for k, v in self.images.items()},
            "boxes": [b.to_dict(now) for b in self.boxes.values()],
            "networks": sorted(self.networks),
            "volumes": sorted(self.volumes),
            "next_port": self._next_port,
            "up_in": None if self.up_at is None else max(0.0, self.up_at - now),
        }

    def load(self, d: dict[str, Any]) -> None:
        now = self.inside.now()
        self.daemon = d["daemon"]
        self.images = {k: {**v, "created": now - v["created"]} for k, v in d["images"].items()}
        self.boxes = {b["name"]: Box.from_dict(b, now) for b in d["boxes"]}
        self.networks = set(d["networks"])
        self.volumes = set(d["volumes"])
        self._next_port = d["next_port"]
        up_in = d.get("up_in")
        self.up_at = None if up_in is None else now + up_in


def _iso(now: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(now))
