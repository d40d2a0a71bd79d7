"""`pct` on a simulated node: exec, push, pull, set, status, list, config and the power commands.

Faithful to pve-container's CLI: a CT must be on this node (`Configuration file
'nodes/<node>/lxc/<vmid>.conf' does not exist`), errors pct raises itself exit 255, `exec` passes
the command's own status through, task commands stream the task log and exit 0 or 255, and
`push` runs as a task whose failure is printed but still exits 0 (pct's behaviour: verify).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from pvesim.errors import PveError
from pvesim.inside.shell import Ctx
from pvesim.ops_base import parse_features

USAGE = {
    "exec": "pct exec <vmid> [<extra-args>] [OPTIONS]",
    "push": "pct push <vmid> <file> <destination> [OPTIONS]",
    "pull": "pct pull <vmid> <path> <destination> [OPTIONS]",
    "set": "pct set <vmid> [OPTIONS]",
    "status": "pct status <vmid> [OPTIONS]",
    "config": "pct config <vmid> [OPTIONS]",
    "list": "pct list",
}
TASK_COMMANDS = {"start", "stop", "shutdown", "reboot", "destroy"}
_BOOLEANS = {"force", "purge", "skiplock", "verbose", "current", "keep-env", "forceStop",
             "destroy-unreferenced-disks", "overrule-shutdown"}  # fmt: skip
_VALUE_OPTS = {"timeout", "snapshot", "perms", "user", "group", "debug"}


class PctError(Exception):
    """An error pct prints itself (one or more lines) before exiting 255."""


def _vmid(text: str | None, sub: str) -> int:
    if text is None:
        raise _param_error({"vmid": "property is missing and it is not optional"}, sub)
    if not re.fullmatch(r"-?\d+", text):
        raise _param_error({"vmid": f"type check ('integer') failed - got '{text}'"}, sub)
    vmid = int(text)
    if vmid < 100:
        raise _param_error({"vmid": "value must have a minimum value of 100"}, sub)
    if vmid > 999999999:
        raise _param_error({"vmid": "value must have a maximum value of 999999999"}, sub)
    return vmid


def _param_error(errors: dict[str, str], sub: str) -> PctError:
    lines = ["400 Parameter verification failed."]
    lines += [f"{k}: {v}" for k, v in sorted(errors.items())]
    lines.append(USAGE.get(sub, f"pct {sub} <vmid> [OPTIONS]"))
    return PctError("\n".join(lines))


def _options(
    args: list[str], sub: str, *, free_values: bool = False
) -> tuple[list[str], dict[str, str], list[str]]:  # noqa: E501
    """(positionals, options, extra args after `--`), as PVE's CLI parses them."""
    positionals: list[str] = []
    opts: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            return positionals, opts, args[i:]
        if not arg.startswith("-") or len(arg) == 1 or re.fullmatch(r"-\d+", arg):
            positionals.append(arg)
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if not eq:
            if name in _BOOLEANS:
                value = "1"
                if i < len(args) and args[i] in ("0", "1"):
                    value = args[i]
                    i += 1
            elif free_values or name in _VALUE_OPTS:
                if i >= len(args):
                    raise PctError(
                        f"Option {name} requires an argument\n400 unable to parse option\n"
                        + USAGE.get(sub, "")
                    )
                value = args[i]
                i += 1
            else:
                raise PctError(
                    f"Unknown option: {name}\n400 unable to parse option\n" + USAGE.get(sub, "")
                )
        opts[name] = value
    return positionals, opts, []


async def pct(ctx: Ctx, argv: list[str]) -> int:
    args = argv[1:]
    if not args:
        ctx.err("ERROR: no command specified\nUSAGE: pct <COMMAND> [ARGS] [OPTIONS]\n")
        return 255
    sub, rest = args[0], args[1:]
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        known = sub in ("create", "restore", "clone", "snapshot", "rollback", "enter", "console")
        if known:
            ctx.err(f"pct {sub}: not modelled by the simulator (use the API)\n")
        else:
            ctx.err(f"ERROR: unknown command 'pct {sub}'\nUSAGE: pct <COMMAND> [ARGS] [OPTIONS]\n")
        return 255
    try:
        return await handler(ctx, sub, rest)
    except PctError as exc:
        ctx.err(str(exc).rstrip("\n") + "\n")
        return 255
    except PveError as exc:
        text = str(_param_error(exc.errors, sub)) if exc.errors else exc.message
        ctx.err(text + "\n")
        return 255


def _state(ctx: Ctx) -> tuple[Any, str]:
    return ctx.system.state, ctx.system.node


#: lxc `src/lxc/attach.c` lxc_attach_set_environment: with --clear-env only this PATH (and
#: `container=lxc`, set in both cases) reaches the command.
ATTACH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def attach_environment(caller: dict[str, str], keep_env: bool) -> dict[str, str]:
    """The environment `pct exec` gives the command inside (pve-container `src/PVE/CLI/pct.pm`
    sub exec: `keep-env` defaults to 1 -> `lxc-attach --keep-env`, the caller's whole environment
    minus SSL_CERT_FILE/SSL_CERT_DIR (clean_environment); `--keep-env 0` -> `--clear-env`)."""
    if keep_env:
        env = {k: v for k, v in caller.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    else:
        env = {"PATH": ATTACH_PATH}
    env["container"] = "lxc"
    return env


async def _exec(ctx: Ctx, sub: str, args: list[str]) -> int:
    positionals, opts, extra = _options(args, sub)
    state, node = _state(ctx)
    vmid = _vmid(positionals[0] if positionals else None, sub)
    command = positionals[1:] + extra
    g = state.ct_on(node, vmid)
    if g.status != "running":
        raise PctError(f"container '{vmid}' not running!")
    if not command:
        raise PctError("missing command at /usr/share/perl5/PVE/CLI/pct.pm line 262.")
    inside = g.inside
    inside.broken_runc = state.profile.runc_broken
    return await inside.exec(
        command,
        stdin=ctx.io.stdin.read,
        features=parse_features(g.config.get("features")),
        ip=g.ip,
        out=ctx.io.out,
        err=ctx.io.err,
        env=attach_environment(ctx.env, opts.get("keep-env", "1") != "0"),
    )


def _mode(perms: str | None) -> int | None:
    if perms is None:
        return None
    text = perms if perms.startswith("0") else "0" + perms
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text, 8)
    except ValueError:
        raise PctError(f"invalid mode: '{perms}'") from None


async def _push(ctx: Ctx, sub: str, args: list[str]) -> int:
    positionals, opts, _ = _options(args, sub)
    state, node = _state(ctx)
    if len(positionals) < 3:
        missing = ["vmid", "file", "destination"][len(positionals)]
        raise _param_error({missing: "property is missing and it is not optional"}, sub)
    vmid = _vmid(positionals[0], sub)
    src, dest = positionals[1], positionals[2]
    g = state.find_ct(vmid)
    if g is not None and g.node == node:
        await state.wait_config_lock(g)
    if g is None or g.node != node or g.status != "running":
        raise PctError("can only push files to a running CT")
    mode = _mode(opts.get("perms"))
    # From here on pct runs a worker task: its failure is printed, yet pct exits 0.
    try:
        data = ctx.fs.read(ctx.path(src))
    except OSError:
        ctx.err(f"failed to open {src} for reading\n")
        return 0
    target = dest if dest.startswith("/") else "/" + dest
    inside = g.inside
    try:
        keep = inside.fs.mode(target) if inside.exists(target) else 0o644
        inside.write_file(target, data, mode=keep if mode is None else mode)
    except OSError as exc:
        ctx.err(f"failed to create file: {dest}: {exc.strerror}\n")
    return 0


async def _pull(ctx: Ctx, sub: str, args: list[str]) -> int:
    positionals, opts, _ = _options(args, sub)
    state, node = _state(ctx)
    if len(positionals) < 3:
        missing = ["vmid", "path", "destination"][len(positionals)]
        raise _param_error({missing: "property is missing and it is not optional"}, sub)
    vmid = _vmid(positionals[0], sub)
    g = state.find_ct(vmid)
    if g is None or g.node != node or g.status != "running":
        raise PctError(
            "can only pull files from a running VM at /usr/share/perl5/PVE/CLI/pct.pm line 557."
        )  # noqa: E501
    mode = _mode(opts.get("perms"))
    try:
        data = g.inside.read_file(positionals[1])
        ctx.fs.write(ctx.path(positionals[2]), data, mode=0o644 if mode is None else mode)
    except OSError as exc:
        ctx.err(f"failed to open {positionals[1]}: {exc.strerror}\n")
    return 0


async def _set(ctx: Ctx, sub: str, args: list[str]) -> int:
    positionals, opts, _ = _options(args, sub, free_values=True)
    state, node = _state(ctx)
    vmid = _vmid(positionals[0] if positionals else None, sub)
    await state.set_ct_config(node, vmid, opts, "root@pam")
    return 0


async def _status(ctx: Ctx, sub: str, args: list[str]) -> int:
    from pvesim import views

    positionals, opts, _ = _options(args, sub)
    state, node = _state(ctx)
    vmid = _vmid(positionals[0] if positionals else None, sub)
    g = state.ct_on(node, vmid)
    if opts.get("verbose") == "1":
        data = views.ct_status(g, state.now(), state.node(node))
        ctx.out("".join(f"{k}: {v}\n" for k, v in sorted(data.items()) if v is not None))
    else:
        ctx.out(f"status: {g.status or 'unknown'}\n")
    return 0


async def _list(ctx: Ctx, sub: str, args: list[str]) -> int:
    state, node = _state(ctx)
    cts = sorted(state.cts_on(node), key=lambda g: g.vmid)
    if not cts:
        return 0
    row = "{:<10} {:<10} {:<12} {:<20}\n"
    lines = [row.format("VMID", "Status", "Lock", "Name")]
    lines += [row.format(g.vmid, g.status, g.config.get("lock") or "", g.name) for g in cts]
    ctx.out("".join(lines))
    return 0


def _encode_text(text: str) -> str:
    """PVE::Tools::encode_text (pve-common `src/PVE/ParseUtils.pm`): control and hi-bit
    characters, ':' and '%' as %XX."""
    out = []
    for ch in text:
        if 0x20 <= ord(ch) <= 0x7E and ch not in ":%":
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode())
    return "".join(out)


async def _config(ctx: Ctx, sub: str, args: list[str]) -> int:
    positionals, opts, _ = _options(args, sub)
    state, node = _state(ctx)
    vmid = _vmid(positionals[0] if positionals else None, sub)
    g = state.ct_on(node, vmid)
    if "snapshot" in opts:
        snap = g.snapshots.get(opts["snapshot"])
        if snap is None:
            raise PctError(f"snapshot '{opts['snapshot']}' does not exist")
        conf = dict(snap.config)
    else:
        conf = dict(g.config) if opts.get("current") == "1" else state.effective_config(g)
    lines = []
    for key in sorted(conf):
        if key in ("digest", "lxc") or conf[key] is None:
            continue
        value = conf[key]
        lines.append(f"{key}: {_encode_text(value) if key == 'description' else value}\n")
    ctx.out("".join(lines))
    return 0


async def _task(ctx: Ctx, sub: str, args: list[str]) -> int:
    positionals, opts, _ = _options(args, sub)
    state, node = _state(ctx)
    vmid = _vmid(positionals[0] if positionals else None, sub)
    params = {k.replace("-", "_"): int(v) if v.isdigit() else v for k, v in opts.items()}
    task = await state.ct_action(node, vmid, sub, "root@pam", **params)
    shown = 0
    while True:
        finished = task.done.is_set()
        lines = task.lines if not finished else task.lines[:-1]  # the last is TASK OK/ERROR
        for line in lines[shown:]:
            ctx.out(line + "\n")
        shown = max(shown, len(lines))
        if finished:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task.done.wait()), 0.05)
    status = task.exitstatus or ""
    if status == "OK":
        return 0
    if status.startswith("WARNINGS"):
        ctx.err(f"Task finished with {task.warnings} warning(s)!\n")
        return 0
    ctx.err(status + "\n")
    return 255


_SUBCOMMANDS = {
    "exec": _exec, "push": _push, "pull": _pull, "set": _set, "status": _status,
    "list": _list, "config": _config, **{name: _task for name in TASK_COMMANDS},
}  # fmt: skip
