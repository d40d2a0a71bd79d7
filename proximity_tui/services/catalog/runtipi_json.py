"""Runtipi's JSON dynamic compose (`docker-compose.json`, schema 1 or 2) as a compose project.

Services are a list of objects named by `name`; keys are camelCase versions of compose's. Known
keys are translated, unknown ones dropped with a note.
"""

from __future__ import annotations

from typing import Any

from proximity_tui.services.catalog.convert_common import Skipped

#: camelCase key -> compose key, for keys that keep their value as it is.
SAME = {
    "image": "image", "command": "command", "entrypoint": "entrypoint", "user": "user",
    "hostname": "hostname", "workingDir": "working_dir", "privileged": "privileged",
    "devices": "devices", "capAdd": "cap_add", "capDrop": "cap_drop", "networkMode": "network_mode",
    "extraHosts": "extra_hosts", "shmSize": "shm_size", "stopGracePeriod": "stop_grace_period",
    "stopSignal": "stop_signal", "ulimits": "ulimits", "sysctls": "sysctls", "tty": "tty",
    "stdinOpen": "stdin_open", "pid": "pid", "ipc": "ipc", "securityOpt": "security_opt",
    "readOnly": "read_only", "tmpfs": "tmpfs", "logging": "logging", "deploy": "deploy",
    "labels": "labels", "restart": "restart", "init": "init", "dns": "dns",
}  # fmt: skip
#: Keys of Runtipi's own that have no compose counterpart here (routing, its networks).
IGNORED = {"name", "isMain", "internalPort", "addToMainNetwork", "addPorts", "environment",
           "volumes", "healthCheck", "dependsOn", "containerName", "networks"}  # fmt: skip
HEALTH = {"test": "test", "interval": "interval", "timeout": "timeout", "retries": "retries",
          "startPeriod": "start_period", "startInterval": "start_interval"}  # fmt: skip


def json_compose(data: Any, notes: list[str]) -> tuple[dict[str, Any], str, int]:
    """(compose project, main service, its internal port)."""
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, list) or not services:
        raise Skipped("docker-compose.json has no services")
    out: dict[str, Any] = {}
    main, internal = "", 0
    dropped: set[str] = set()
    for item in services:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise Skipped("docker-compose.json: a service has no name")
        name = item["name"]
        if not isinstance(item.get("image"), str):
            raise Skipped(f"service {name} has no image")
        svc: dict[str, Any] = {compose: item[key] for key, compose in SAME.items() if key in item}
        svc.setdefault("restart", "unless-stopped")
        env = _environment(item.get("environment"))
        if env:
            svc["environment"] = env
        volumes = [_volume(v) for v in item.get("volumes") or [] if isinstance(v, dict)]
        if volumes:
            svc["volumes"] = volumes
        ports = [p for spec in item.get("addPorts") or [] for p in _ports(spec)]
        if ports:
            svc["ports"] = ports
        health = item.get("healthCheck")
        if isinstance(health, dict):
            svc["healthcheck"] = {HEALTH[k]: v for k, v in health.items() if k in HEALTH}
        deps = item.get("dependsOn")
        if isinstance(deps, list | dict) and deps:
            svc["depends_on"] = deps
        dropped.update(k for k in item if k not in SAME and k not in IGNORED)
        if item.get("isMain"):
            main = name
            port = str(item.get("internalPort") or "")
            internal = int(port) if port.isdigit() else 0
        out[name] = svc
    if dropped:
        notes.append(f"dropped: unknown dynamic-compose keys {', '.join(sorted(dropped))}")
    return {"services": out}, main or next(iter(out)), internal


def _environment(env: Any) -> dict[str, str]:
    if isinstance(env, dict):  # schema 1
        return {str(k): "" if v is None else str(v) for k, v in env.items()}
    out: dict[str, str] = {}
    for item in env if isinstance(env, list) else []:  # schema 2: [{key, value}]
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = "" if item.get("value") is None else str(item["value"])
    return out


def _volume(spec: dict[str, Any]) -> str:
    mount = f"{spec.get('hostPath', '')}:{spec.get('containerPath', '')}"
    return mount + (":ro" if spec.get("readOnly") else "")


def _ports(spec: Any) -> list[str]:
    if not isinstance(spec, dict) or "hostPort" not in spec:
        return []
    base = f"{spec['hostPort']}:{spec.get('containerPort', spec['hostPort'])}"
    udp, tcp = bool(spec.get("udp")), spec.get("tcp", True) is not False
    return ([base] if tcp or not udp else []) + ([f"{base}/udp"] if udp else [])
