"""Adopting containers from the dashboard: the plan, a confirmation, then the operation.

Started by `A` on an orphan row (that CT) or the palette's "Adopt containers" (every tagged CT
this database does not know), or by the start-up offer (`offer_flow`, a modal with Adopt / Not
now / Never for this cluster; a viewer is only told, by a notice). Nothing changes before the
user confirms the list (`AppService.plan_adoption` only reads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proximity_tui.app import ProximityApp
    from proximity_tui.services.operations.adopt import AdoptionPlan


def plan_lines(plan: AdoptionPlan) -> list[str]:
    lines = []
    for f in plan.adopt:
        unknown = f"; environment unknown: {', '.join(f.unknown_env)}" if f.unknown_env else ""
        lines.append(f"adopt CT {f.vmid} on {f.node} as {f.hostname} ({f.catalog_id}){unknown}")
    lines += [f"conflict: CT {c.vmid} ({c.hostname}): {c.reason}" for c in plan.conflicts]
    lines += [f"skipped: CT {s.vmid} ({s.hostname or '?'}): {s.reason}" for s in plan.skipped]
    return lines


async def adopt_flow(app: ProximityApp, vmids: tuple[int, ...]) -> None:
    from proximity_tui.screens.actions import describe_error
    from proximity_tui.screens.confirm import ConfirmScreen

    services = app.ready_services
    what = f"CT {vmids[0]}" if len(vmids) == 1 else "containers"
    try:
        plan = await services.run(services.apps.plan_adoption(vmids=vmids))
    except Exception as exc:
        app.notify(f"Adopting {what}: {describe_error(exc)}", severity="error", markup=False)
        return
    if not plan.adopt:
        reasons = "; ".join(plan_lines(plan)) or "no tagged container this database does not know"
        app.notify(f"Nothing to adopt: {reasons}", severity="warning", timeout=15, markup=False)
        return
    count = len(plan.adopt)
    confirmed = await app.push_screen_wait(
        ConfirmScreen(
            f"Adopt {count} container{'s' if count != 1 else ''}?",
            plan_lines(plan),
            confirm_label="Adopt",
            note="Their app rows are rebuilt from the identity in each CT's description; "
            "environment values only the old database held stay unknown.",
        )
    )
    if confirmed:
        await record(app, plan, what)


async def record(app: ProximityApp, plan: AdoptionPlan, what: str) -> None:
    """Adopt a plan the user agreed to, and say what came of it."""
    from proximity_tui.screens.actions import describe_error

    services = app.ready_services
    try:
        result = await services.run(services.apps.adopt(plan))
    except Exception as exc:
        app.notify(f"Adopting {what} failed: {describe_error(exc)}", severity="error", markup=False)
        return
    adopted, refused = result.get("adopted", []), result.get("refused", {})
    text = f"Adopted {len(adopted)} app{'s' if len(adopted) != 1 else ''}"
    if refused:
        text += "; refused: " + "; ".join(f"{k}: {v}" for k, v in refused.items())
    app.notify(text, severity="warning" if refused else "information", markup=False)
    app.refresh_status()


async def offer_flow(app: ProximityApp) -> bool:
    """At start: plan the adoption of every tagged CT no row knows and ask, in a modal, Adopt /
    Not now / Never for this cluster (remembered). False when there was nothing to ask (the
    caller then only notifies): nothing adoptable, or "never" was answered before."""
    from proximity_tui.screens.adoption_offer import AdoptionOfferScreen

    services = app.ready_services
    info = services.cluster
    cluster = info.name if info else "this cluster"
    key = f"{info.name}@{info.host}" if info else cluster  # the answer is this cluster's
    try:
        if await services.run(services.apps.adoption_declined(key)):
            return True  # asked before: "never"; the orphan rows still offer A
        plan = await services.run(services.apps.plan_adoption())
    except Exception:  # noqa: BLE001 - the notice below still points at A and the palette
        return False
    if not plan.adopt:
        return False
    n = len(plan.adopt)
    answer = await app.push_screen_wait(
        AdoptionOfferScreen(
            f"{n} tagged container{'s' if n != 1 else ''} unknown to this database: adopt "
            f"{'it' if n == 1 else 'them'}?",
            plan_lines(plan),
            cluster,
        )
    )
    if answer == "adopt":
        await record(app, plan, "containers")
    elif answer == "never":
        await services.run(services.apps.decline_adoption(key))
        app.notify(
            f"Not asking again for {cluster}: A on an orphan row, or ctrl+p → Adopt containers, "
            "still adopts.",
            markup=False,
        )
    return True
