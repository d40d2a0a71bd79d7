"""Compose files as `docker compose` v2 reads them: discovery, `.env`, interpolation, validation.

The result is a `Project` with one `ServiceSpec` per service: image, published ports, host
networking, healthcheck, restart policy, dependencies. Errors carry compose's own wording.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import images
from .docker import PortBinding
from .fs import norm
from .health import Healthcheck

FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
TOP_LEVEL = {"version", "name", "services", "networks", "volumes", "configs", "secrets", "include"}


class ComposeError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ServiceSpec:
    name: str
    image: str
    ports: list[PortBinding]
    network_mode: str | None
    listen: list[int]
    healthcheck: Healthcheck | None
    restart: str
    depends_on: dict[str, str]
    container_name: str | None
    environment: dict[str, str]
    volumes: list[str]
    command: str
    config_hash: str


@dataclass
class Project:
    name: str
    working_dir: str
    files: list[str]
    services: dict[str, ServiceSpec]
    volumes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def uses_default_network(self) -> bool:
        return any(s.network_mode is None for s in self.services.values())

    def ordered(self) -> list[ServiceSpec]:
        """Services in dependency order (dependencies first), ties by name."""
        done: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            if name in visiting:
                raise ComposeError(f"dependency cycle detected: {name}")
            visiting.add(name)
            for dep in sorted(self.services[name].depends_on):
                visit(dep)
            visiting.discard(name)
            done.append(name)

        for name in sorted(self.services):
            visit(name)
        return [self.services[n] for n in done]


def find_file(fs: Any, cwd: str) -> str | None:
    """Compose's lookup: the known names in the working directory, then in its parents."""
    d = cwd
    while True:
        for name in FILE_NAMES:
            if fs.is_file(posixpath.join(d, name)):
                return posixpath.join(d, name)
        if d == "/":
            return None
        d = posixpath.dirname(d)


def normalize_name(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", name.lower())


def check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ComposeError(
            f'invalid project name "{name}": must consist only of lowercase alphanumeric '
            "characters,"
            " hyphens, and underscores as well as start with a letter or number"
        )


def parse_env_file(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, eq, value = line.partition("=")
        if not eq:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        env[key.strip()] = value
    return env


def load(
    fs: Any,
    files: list[str],
    *,
    project_name: str | None,
    project_dir: str | None,
    env_files: list[str],
    shell_env: dict[str, str],
    warn: list[str],
) -> Project:
    for f in files:
        if not fs.is_file(f):
            raise ComposeError(f"open {f}: no such file or directory")
    workdir = project_dir or posixpath.dirname(files[0])
    env: dict[str, str] = {}
    for ef in env_files or [posixpath.join(workdir, ".env")]:
        if fs.is_file(ef):
            env.update(parse_env_file(fs.read(ef).decode(errors="replace")))
        elif env_files:
            raise ComposeError(f"couldn't find env file: {ef}")
    env.update(shell_env)
    merged: dict[str, Any] = {}
    for f in files:
        data = _parse_yaml(fs.read(f).decode(errors="replace"), f)
        unknown = sorted(k for k in data if k not in TOP_LEVEL and not str(k).startswith("x-"))
        if unknown:
            raise ComposeError(
                f"validating {f}: (root) additional properties '{unknown[0]}' not allowed"
            )
        if "version" in data:
            warn.append(
                f"{f}: the attribute `version` is obsolete, it will be ignored, please "
                "remove it to avoid potential confusion"
            )
        data = _interpolate(data, env, "", warn)
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    name = project_name or env.get("COMPOSE_PROJECT_NAME") or merged.get("name")
    name = (
        normalize_name(name)
        if name and not project_name
        else (name or normalize_name(posixpath.basename(workdir)))
    )
    check_name(name)
    services = merged.get("services")
    if services is None:
        services = {}
    if not isinstance(services, dict):
        raise ComposeError(f"validating {files[0]}: services must be a mapping")
    declared_volumes = merged.get("volumes") or {}
    specs = {
        str(sname): _service(str(sname), svc, declared_volumes, workdir)
        for sname, svc in services.items()
    }
    for spec in specs.values():
        for dep in spec.depends_on:
            if dep not in specs:
                raise ComposeError(
                    f'service "{spec.name}" depends on undefined service "{dep}": invalid '
                    "compose project"
                )
    return Project(name, workdir, files, specs, volumes=sorted(str(v) for v in declared_volumes))


def _parse_yaml(text: str, path: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ComposeError(f"yaml: line {line}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ComposeError(f"yaml: {exc}") from None
    if data is None:
        raise ComposeError("empty compose file")
    if not isinstance(data, dict):
        raise ComposeError(f"validating {path}: top-level object must be a mapping")
    return data


_VAR = re.compile(
    r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


def _interpolate(value: Any, env: dict[str, str], path: str, warn: list[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: _interpolate(v, env, f"{path}.{k}" if path else str(k), warn)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, env, f"{path}.[]", warn) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(5)
        op, arg = m.group(3), m.group(4) or ""
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op is None:
            if current is None:
                warn.append(f'The "{name}" variable is not set. Defaulting to a blank string.')
            return current or ""
        if op.endswith("-"):
            return _interpolate(arg, env, path, warn) if unset else current  # type: ignore[return-value]
        if op.endswith("+"):
            return "" if unset else _interpolate(arg, env, path, warn)
        if unset:
            detail = f"required variable {name} is missing a value"
            raise ComposeError(
                f"error while interpolating {path}: {detail}" + (f": {arg}" if arg else "")
            )
        return current  # type: ignore[return-value]

    return _VAR.sub(sub, value)


def _duration(text: Any, default: float) -> float:
    if text is None:
        return default
    if isinstance(text, int | float):
        return float(text)
    total, found = 0.0, False
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", str(text)):
        found = True
        total += (
            float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6, "ns": 1e-9}[unit]
        )
    if not found:
        raise ComposeError(f'time: invalid duration "{text}"')
    return total


def parse_ports(entry: Any, where: str) -> list[PortBinding]:
    if isinstance(entry, dict):
        target = entry.get("target")
        if not isinstance(target, int | str) or not str(target).isdigit():
            raise ComposeError(f"{where}: target is required")
        published = entry.get("published")
        return [
            PortBinding(
                int(target),
                int(published) if published not in (None, "") else None,
                str(entry.get("host_ip") or ""),
                str(entry.get("protocol") or "tcp"),
            )
        ]
    text = str(entry)
    proto = "tcp"
    if "/" in text:
        text, proto = text.rsplit("/", 1)
    host_ip = ""
    m = re.fullmatch(r"(?:\[?([0-9a-fA-F.:]+?)\]?:)?(?:([\d-]*):)?([\d-]+)", text)
    if not m:
        raise ComposeError(f"invalid port mapping: {entry}")
    ip_part, pub_part, target_part = m.groups()
    if ip_part and pub_part is None and re.fullmatch(r"[\d-]+", ip_part):
        pub_part, ip_part = ip_part, None
    host_ip = ip_part or ""
    targets = _range(target_part, entry)
    pubs: list[int | None] = _range(pub_part, entry) if pub_part else [None] * len(targets)  # type: ignore[assignment]
    if len(pubs) == 1 and len(targets) > 1:
        pubs = [pubs[0] + i if pubs[0] else None for i in range(len(targets))]  # type: ignore[operator]
    if len(pubs) != len(targets):
        raise ComposeError(f"invalid port mapping: {entry}")
    return [PortBinding(t, p, host_ip, proto) for p, t in zip(pubs, targets, strict=True)]


def _range(text: str, entry: Any) -> list[int]:
    lo, _, hi = text.partition("-")
    if not lo.isdigit() or (hi and not hi.isdigit()):
        raise ComposeError(f"invalid port mapping: {entry}")
    nums = list(range(int(lo), int(hi or lo) + 1))
    if any(n < 1 or n > 65535 for n in nums):
        raise ComposeError(f"invalid port mapping: {entry}")
    return nums


def _environment(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    env = {}
    for item in value or []:
        k, _, v = str(item).partition("=")
        env[k] = v
    return env


def _service(name: str, svc: Any, declared_volumes: dict, workdir: str) -> ServiceSpec:
    if not isinstance(svc, dict):
        raise ComposeError(f"services.{name} must be a mapping")
    image = svc.get("image")
    if not image:
        if "build" in svc:
            raise ComposeError(
                f'service "{name}": building images is not modelled by the simulator'
            )
        raise ComposeError(
            f'service "{name}" has neither an image nor a build context specified: invalid '
            "compose project"
        )
    ports: list[PortBinding] = []
    for i, entry in enumerate(svc.get("ports") or []):
        ports.extend(parse_ports(entry, f"services.{name}.ports.{i}"))
    network_mode = svc.get("network_mode")
    if network_mode == "host" and ports:
        ports = []  # compose drops published ports with host networking (docker warns)
    expose = [
        int(str(e).split("/")[0]) for e in svc.get("expose") or [] if str(e).split("/")[0].isdigit()
    ]
    env = _environment(svc.get("environment"))
    info = images.lookup(str(image))
    if info is not None:
        listen = list(info.ports)
    else:
        listen = (
            sorted({p.target for p in ports})
            or expose
            or sorted(
                {int(v) for k, v in env.items() if k.upper().endswith("PORT") and v.isdigit()}
            )
        )
    hc_raw = svc.get("healthcheck")
    image_health = info.image_health if info is not None else None
    healthcheck = image_health
    if isinstance(hc_raw, dict):
        test = hc_raw.get("test")
        if hc_raw.get("disable") or test in (["NONE"], "NONE"):
            healthcheck = None
        elif not test and image_health is None:
            # No test of its own and none to inherit: no check at all (moby `daemon/commit.go`
            # merge leaves Test empty; `daemon/health.go` getProbe returns nil for an empty
            # Test, so no monitor runs and `docker ps` shows no health).
            healthcheck = None
        else:  # unset fields are 0: the image's value, else Docker's default (health.py)
            healthcheck = Healthcheck(
                interval=_duration(hc_raw.get("interval"), 0.0),
                timeout=_duration(hc_raw.get("timeout"), 0.0),
                retries=int(hc_raw.get("retries", 0)),
                start_period=_duration(hc_raw.get("start_period"), 0.0),
                start_interval=_duration(hc_raw.get("start_interval"), 0.0),
            ).over(image_health)
    deps_raw = svc.get("depends_on") or {}
    if isinstance(deps_raw, list):
        depends = {str(d): "service_started" for d in deps_raw}
    else:
        depends = {
            str(d): str((c or {}).get("condition", "service_started")) for d, c in deps_raw.items()
        }
    volumes = []
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            source, target = str(v.get("source") or ""), str(v.get("target") or "")
            kind = str(v.get("type") or "volume")
        else:
            parts = str(v).split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
            kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
        if kind == "volume" and source:
            if source not in declared_volumes:
                raise ComposeError(
                    f'service "{name}" refers to undefined volume {source}: invalid compose project'
                )
            volumes.append(f"volume:{source}:{target}")
        elif kind == "bind" and source and not source.startswith("~"):
            volumes.append(f"bind:{norm(source, workdir)}:{target}")
    command = svc.get("command") or ""
    command = " ".join(map(str, command)) if isinstance(command, list) else str(command)
    restart = str(svc.get("restart") or "no")
    if restart.startswith("on-failure"):
        restart = "on-failure"
    canonical = json.dumps(svc, sort_keys=True, default=str)
    return ServiceSpec(
        name=name,
        image=str(image),
        ports=ports,
        network_mode=network_mode,
        listen=listen,
        healthcheck=healthcheck,
        restart=restart,
        depends_on=depends,
        container_name=svc.get("container_name"),
        environment=env,
        volumes=volumes,
        command=command,
        config_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )
