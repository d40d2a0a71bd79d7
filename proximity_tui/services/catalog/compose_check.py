"""The compose-spec structure a converted project must have (compose-spec
`schema/compose-spec.json`: top-level and service keys, the shapes of ports, volumes,
environment, networks, depends_on), and that every named volume, network and service it refers
to is declared. `compose_problems` lists what is wrong; an empty list means `docker compose` will
read the project's structure."""

from __future__ import annotations

from typing import Any

TOP_KEYS = {"name", "services", "networks", "volumes", "configs", "secrets", "include", "models"}
_SPEC_SERVICE_KEYS = """
annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs
container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime
cpu_shares cpus cpuset credential_spec depends_on deploy develop device_cgroup_rules devices
dns dns_opt dns_search domainname entrypoint env_file environment expose extends
external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels
label_file links logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit
network_mode networks oom_kill_disable oom_score_adj pid pids_limit platform ports post_start
pre_stop privileged profiles provider pull_policy read_only restart runtime scale secrets
security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty
ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir
"""
SERVICE_KEYS = set(_SPEC_SERVICE_KEYS.split())


def compose_problems(compose: Any) -> list[str]:
    if not isinstance(compose, dict):
        return ["the project is not a mapping"]
    out = [f"unknown top-level key {k!r}" for k in compose if str(k) not in TOP_KEYS]
    services = compose.get("services")
    if not isinstance(services, dict) or not services:
        return [*out, "services: none"]
    volumes = _names(compose.get("volumes"), "volumes", out)
    networks = _names(compose.get("networks"), "networks", out) | {"default"}
    for name, svc in services.items():
        out.extend(f"services.{name}: {p}" for p in _service(svc, services, volumes, networks))
    return out


def _names(section: Any, key: str, out: list[str]) -> set[str]:
    if section is None:
        return set()
    if not isinstance(section, dict):
        out.append(f"{key}: must be a mapping")
        return set()
    for name, value in section.items():
        if value is not None and not isinstance(value, dict):
            out.append(f"{key}.{name}: must be a mapping or empty")
    return {str(n) for n in section}


def _service(
    svc: Any, services: dict[str, Any], volumes: set[str], networks: set[str]
) -> list[str]:
    if not isinstance(svc, dict):
        return ["must be a mapping"]
    out = [f"unknown key {k!r}" for k in svc if str(k) not in SERVICE_KEYS]
    if not isinstance(svc.get("image"), str) or not svc["image"].strip():
        out.append("image: required")
    env = svc.get("environment")
    if env is not None and not (
        isinstance(env, dict)
        and all(v is None or isinstance(v, str | int | float | bool) for v in env.values())
        or isinstance(env, list)
        and all(isinstance(i, str) for i in env)
    ):
        out.append("environment: a mapping of scalars or a list of KEY=value")
    for i, port in enumerate(_list(svc, "ports", out)):
        if isinstance(port, dict):
            if "target" not in port:
                out.append(f"ports[{i}]: target required")
        elif not isinstance(port, str | int):
            out.append(f"ports[{i}]: a string, a number or a mapping")
    for i, mount in enumerate(_list(svc, "volumes", out)):
        out.extend(f"volumes[{i}]: {p}" for p in _mount(mount, volumes))
    nets = svc.get("networks")
    for net in nets if isinstance(nets, list) else list(nets or {}):
        if str(net) not in networks:
            out.append(f"networks: {net} is not declared")
    mode = str(svc.get("network_mode") or "")
    if mode.startswith("service:") and mode.removeprefix("service:") not in services:
        out.append(f"network_mode: no service {mode.removeprefix('service:')}")
    if nets and mode:
        out.append("network_mode and networks cannot be used together")
    deps = svc.get("depends_on")
    for dep in deps if isinstance(deps, list) else list(deps or {}):
        if str(dep) not in services:
            out.append(f"depends_on: no service {dep}")
    return out


def _list(svc: dict[str, Any], key: str, out: list[str]) -> list[Any]:
    value = svc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        out.append(f"{key}: must be a list")
        return []
    return value


def _mount(mount: Any, volumes: set[str]) -> list[str]:
    if isinstance(mount, dict):
        if "target" not in mount:
            return ["target required"]
        source, kind = str(mount.get("source") or ""), mount.get("type", "volume")
        if kind == "volume" and source and source not in volumes:
            return [f"volume {source} is not declared"]
        return []
    if not isinstance(mount, str):
        return ["a string or a mapping"]
    source, sep, _ = mount.partition(":")
    if not sep:
        return []  # an anonymous volume
    named = not source.startswith(("/", ".", "~", "$"))
    return [f"volume {source} is not declared"] if named and source not in volumes else []
