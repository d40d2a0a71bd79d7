"""Carry out a `SetupPlan` through the API, undoing what was made if a step fails."""

from __future__ import annotations

import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proximity_tui.errors import ProximityError

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.services.setup.plan import SetupNames, SetupPlan

Report = Callable[[str], None]


class SetupFailed(ProximityError):
    """A step failed; what had been made was removed again (the message says what)."""


@dataclass
class SetupResult:
    token_id: str
    #: The token's secret: goes into the 0600 config file, never printed or logged.
    token_value: str
    done: list[str]


async def apply_setup(
    client: ProxmoxClient, plan: SetupPlan, report: Report = lambda _line: None
) -> SetupResult:
    n = plan.names
    undo: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
    done: list[str] = []

    async def step(text: str, do: Callable[[], Awaitable[Any]], undo_text: str | None,
                   undo_call: Callable[[], Awaitable[Any]] | None) -> Any:  # fmt: skip
        result = await do()
        done.append(text)
        report(text)
        if undo_text and undo_call:
            undo.append((undo_text, undo_call))
        return result

    req = client.request
    try:
        await step(
            f"created role {n.role}: {', '.join(plan.privileges)}",
            lambda: req("POST", "access", "roles", roleid=n.role, privs=",".join(plan.privileges)),
            f"removed role {n.role}",
            lambda: req("DELETE", "access", "roles", n.role),
        )
        await step(
            f"created user {n.user}",
            lambda: req("POST", "access", "users", userid=n.user, comment="Proximity TUI"),
            f"removed user {n.user}",
            lambda: req("DELETE", "access", "users", n.user),
        )
        await step(
            f"created pool {n.pool}",
            lambda: req("POST", "pools", poolid=n.pool, comment="apps deployed by Proximity TUI"),
            f"removed pool {n.pool}",
            lambda: req("DELETE", "pools", n.pool),
        )
        made = await step(
            f"created API token {plan.token_id} (privilege separation on)",
            lambda: req(
                "POST",
                "access",
                "users",
                n.user,
                "token",
                n.token,
                privsep=1,
                comment="Proximity TUI",
            ),  # fmt: skip
            None,
            None,  # removed with its user
        )
        value = str((made or {}).get("value") or "")
        if not value:
            raise SetupFailed("the token was created but Proxmox returned no secret")
        for path in plan.paths:
            grant: dict[str, Any] = {
                "path": path,
                "roles": n.role,
                "users": n.user,
                "tokens": plan.token_id,
            }
            await step(
                f"granted role {n.role} on {path} to {n.user} and {plan.token_id}",
                partial(req, "PUT", "access", "acl", **grant),
                f"removed the grant on {path}",
                partial(req, "PUT", "access", "acl", **grant, delete=1),
            )
    except BaseException as exc:
        undone = []
        for text, call in reversed(undo):
            try:
                await call()
                undone.append(text)
            except Exception as undo_exc:  # noqa: BLE001 - keep undoing, then say what is left
                undone.append(f"could not undo ({text}): {undo_exc}")
        raise SetupFailed(
            f"setup failed: {exc}" + (f"; undone: {'; '.join(undone)}" if undone else "")
        ) from exc
    return SetupResult(token_id=plan.token_id, token_value=value, done=done)


async def run_setup(
    settings: Settings, names: SetupNames, report: Report = lambda _line: None
) -> tuple[SetupPlan, SetupResult]:
    """Plan and apply with a client of its own (the connect screen's button)."""
    from proximity_tui.proxmox.client import ProxmoxClient
    from proximity_tui.services.setup.plan import plan_setup

    client = ProxmoxClient.from_settings(settings.proxmox)
    try:
        plan = await plan_setup(client, settings, names)
        return plan, await apply_setup(client, plan, report)
    finally:
        client.close()


def write_setup_config(path: Path, plan: SetupPlan, result: SetupResult) -> Path:
    """Point the config at the new token (mode 0600) and the pool; drop the root credentials."""
    from proximity_tui.config import write_config

    data: dict[str, dict[str, Any]] = {}
    if path.exists():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    px = data.setdefault("proxmox", {})
    for key in ("password", "password_file", "token_value_file"):
        px.pop(key, None)
    px.update(user=plan.names.user, token_name=plan.names.token, token_value=result.token_value)
    data.setdefault("deploy", {})["pool"] = plan.names.pool
    return write_config(path, data)
