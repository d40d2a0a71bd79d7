"""Environment repair: values adoption left unknown, re-entered or re-generated (`env APP`).

An adopted app's row does not hold the environment values only the old database held
(`adopt.py` lists their names in `config["environment_unknown"]`); the `.env` in the CT still
has them, so the app runs. `values` lists the app's declared variables and which are unknown;
`set_values` is one journaled operation (role, app lock) that writes the given values into the
CT's `.env` (over stdin, mode 0600, as the deploy does; every other line kept as it is) and then
into the row, where they stop being unknown. A failure writing the row puts the old `.env` back.

Nothing is invented: only a variable the catalog entry declares (or the row lists as unknown)
may be set, and only a `secret: true` one may be generated, by the entry's own generator and
length. Values never reach the journal: only their names (the values are masked secrets).
The new values are in the `.env` for the next `docker compose up` (an update); running services
keep the environment they were started with. A process that dies between the two writes leaves
the names unknown (recovery re-reads the app's status only): set them again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from proximity_tui.errors import ExecError, NotFoundError, ValidationError
from proximity_tui.services.catalog.model import check_env_value, dotenv_text
from proximity_tui.services.containers import app_compose_file
from proximity_tui.services.operations.shape import OperationDeps, OperationSpec, StepDef, bind

if TYPE_CHECKING:
    from proximity_tui.services.catalog.model import CatalogEntry
    from proximity_tui.services.catalog.service import CatalogService
    from proximity_tui.services.operations.context import OperationContext
    from proximity_tui.views import AppView


@dataclass(frozen=True)
class EnvValue:
    """One declared variable of an app: never its value."""

    name: str
    secret: bool
    #: False when only the old database knew it (after adopt).
    known: bool
    #: True for a catalog `secret: true` variable: `--generate` may make a new one.
    generated: bool
    description: str = ""


def unknown_names(app: AppView) -> list[str]:
    return [str(n) for n in app.config.get("environment_unknown") or ()]


def _entry(catalog: CatalogService, app: AppView) -> CatalogEntry | None:
    source = str(app.config.get("catalog_source") or "")
    for ref in (f"{source}/{app.catalog_id}", app.catalog_id) if source else (app.catalog_id,):
        try:
            return catalog.get(ref)
        except NotFoundError:
            continue
    return None


def values(catalog: CatalogService, app: AppView) -> list[EnvValue]:
    """The app's declared variables (the entry's, and any the row lists as unknown)."""
    unknown = set(unknown_names(app))
    secret_names = set(app.config.get("secret_names") or ())
    entry = _entry(catalog, app)
    out = [
        EnvValue(v.name, v.secret or v.name in secret_names, v.name not in unknown, v.secret,
                 v.description or "")
        for v in (entry.env if entry else ())
    ]  # fmt: skip
    listed = {v.name for v in out}
    out += [EnvValue(n, n in secret_names, False, False) for n in sorted(unknown - listed)]
    return out


def resolve(
    catalog: CatalogService,
    app: AppView,
    given: dict[str, str],
    generate: tuple[str, ...] = (),
) -> tuple[dict[str, str], list[str]]:
    """The values to write (`given`, plus a fresh one for each name in `generate`) and the names
    generated. Raises `ValidationError` naming the first bad name or value, before anything."""
    declared = {v.name: v for v in values(catalog, app)}
    if not given and not generate:
        raise ValidationError("nothing to set: give --set NAME=VALUE or --generate NAME")
    for name in [*given, *generate]:
        if name not in declared:
            names = ", ".join(declared) or "none"
            raise ValidationError(
                f"{app.hostname} declares no variable {name!r} (declared: {names})", field=name
            )
    if both := sorted(set(given) & set(generate)):
        raise ValidationError(f"{both[0]}: both set and generated", field=both[0])
    entry = _entry(catalog, app)
    specs = {v.name: v for v in entry.env} if entry else {}
    out = {}
    for name in generate:
        if not declared[name].generated or name not in specs:
            raise ValidationError(
                f"{name} is not a generated secret in the catalog: set its value instead",
                field=name,
            )
        out[name] = specs[name].generate()
    for name, value in given.items():
        check_env_value(name, value)
        if value == "":
            raise ValidationError(f"{name}: the value is empty", field=name)
        out[name] = value
    dotenv_text(out)  # refuses what a .env cannot hold (a trailing backslash), before anything
    return out, list(generate)


def merged_dotenv(text: str, new: dict[str, str]) -> str:
    """`text` with each line `NAME=...` of a name in `new` replaced, other lines kept, and the
    names it did not have appended."""
    lines, seen = [], set()
    for line in text.splitlines():
        found = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=", line)
        if found and found.group(1) in new:
            name = found.group(1)
            if name not in seen:
                lines.append(dotenv_text({name: new[name]}).rstrip("\n"))
            seen.add(name)
            continue
        lines.append(line)
    rest = {k: v for k, v in new.items() if k not in seen}
    if rest:
        lines.append(dotenv_text(rest).rstrip("\n"))
    return "\n".join(lines) + "\n"


@dataclass
class EnvJob:
    app: AppView
    values: dict[str, str]
    #: The `.env` as it was, to put back (kept here, never in the journal's state).
    before: bytes | None = None

    @property
    def path(self) -> str:
        return app_compose_file(self.app).rsplit("/", 1)[0] + "/.env"


async def _write(deps: OperationDeps, job: EnvJob, ctx: OperationContext) -> None:
    app = job.app
    result = await deps.exec.run(app.node, app.vmid, ["cat", job.path], check=False)
    if result.exit_status != 0:
        raise ExecError(
            f"CT {app.vmid} has no readable {job.path}: {result.stderr.strip() or 'no answer'}",
            exit_status=result.exit_status,
            stderr=result.stderr,
            vmid=app.vmid,
        )
    job.before = result.stdout.encode()
    text = merged_dotenv(result.stdout, job.values)
    directory, _, name = job.path.rpartition("/")
    await deps.containers.write_files(
        ctx, app.node, app.vmid, directory, {name: (text.encode(), 0o600)}
    )


async def _put_back(deps: OperationDeps, job: EnvJob, ctx: OperationContext) -> str | None:
    if job.before is None:
        return None
    directory, _, name = job.path.rpartition("/")
    await deps.containers.write_files(
        ctx, job.app.node, job.app.vmid, directory, {name: (job.before, 0o600)}
    )
    return f"put the previous {job.path} back"


async def _record(deps: OperationDeps, job: EnvJob, ctx: OperationContext) -> None:
    await deps.records.set_environment(job.app.id, job.values)
    ctx.log(f"recorded {', '.join(job.values)} for {job.app.hostname}")


STEPS: tuple[StepDef[EnvJob], ...] = (
    StepDef("write", "Write the values into the CT's .env", _write, _put_back),
    StepDef("record", "Record the values", _record),
)


def set_values(
    deps: OperationDeps, app: AppView, new: dict[str, str], generated: list[str]
) -> OperationSpec:
    """The operation writing `new` (already `resolve`d) into the app's `.env` and row."""
    if app.status != "running":
        raise ValidationError(
            f"{app.hostname} is {app.status}: its .env is written inside the running CT, "
            "start it first",
            field="status",
        )
    count = len(new)
    return OperationSpec(
        "env",
        app.id,
        app.hostname,
        bind(STEPS, deps, EnvJob(app, dict(new))),
        success_message=f"{count} value{'s' if count != 1 else ''} set for {app.hostname}",
        parameters={"names": sorted(new), "generated": sorted(generated)},
        lock=[app.id],
        secrets=list(new.values()),
    )
