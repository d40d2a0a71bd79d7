"""What every store converter shares: skipping with a reason, clean text, walking a compose
project's strings, literal passwords turned into generated secrets, undeclared variables declared.

Converters are pure: files in, one `CatalogEntry` out (with `notes` saying what was dropped or
changed), or `Skipped` with the reason. Notes never hold a secret's value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from proximity_tui.services.catalog.lint import (
    NOT_A_SECRET,
    SECRET_KEY,
    URL_CREDENTIALS,
    is_secret_key,
)
from proximity_tui.services.catalog.model import ENV_NAME, RUNTIME_VARIABLES
from proximity_tui.text import unsafe_char

#: `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`, `$NAME` (`$$` is literal).
VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
_HEX = re.compile(r"[0-9a-fA-F]+\Z")


class Skipped(Exception):  # noqa: N818 - a verdict, not a failure
    """The store entry cannot become a catalog entry; the message says why."""


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Store text without control characters (tabs become spaces; one line unless asked)."""
    if value is None:
        return ""
    text = str(value).replace("\t", "    ").replace("\r\n", "\n")
    if not multiline:
        text = " ".join(text.split())
    while (bad := unsafe_char(text, newlines=multiline)) is not None:
        text = text.replace(bad, "")
    return text.strip()


def slug(value: str) -> str:
    """A catalog id or volume name from a store's folder or path (`My App` -> `my-app`)."""
    return re.sub(r"[^a-z0-9._-]+", "-", value.strip().lower()).strip("-._")[:64].strip("-._")


def map_strings(obj: Any, fn: Callable[[str], str]) -> Any:
    """`obj` with `fn` applied to every string value (keys kept)."""
    if isinstance(obj, str):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: map_strings(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [map_strings(v, fn) for v in obj]
    return obj


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace `$NAME` / `${NAME...}` for the names in `values` (other variables untouched)."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4)
        return values.get(name, m.group(0))

    parts = text.split("$$")
    return "$$".join(VARIABLE.sub(repl, p) for p in parts)


def memory_mb(value: Any) -> int | None:
    """`256M`, `1g`, `512m`, `1073741824` -> MB (None if unreadable)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(value), re.IGNORECASE)
    if not m:
        return None
    factor = {"": 1 / (1024 * 1024), "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    return max(1, int(float(m.group(1)) * factor[m.group(2).lower()]))


def env_items(svc: dict[str, Any]) -> list[tuple[str, str]]:
    env = svc.get("environment")
    if isinstance(env, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in env.items()]
    if isinstance(env, list):
        return [(str(i).partition("=")[0], str(i).partition("=")[2]) for i in env]
    return []


@dataclass
class Declared:
    """The variables an entry will declare, in our `env` layout, plus the notes on the way."""

    env: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def names(self) -> set[str]:
        return {str(v["name"]) for v in self.env}

    def add(self, item: dict[str, Any]) -> None:
        if item["name"] not in self.names() and item["name"] not in RUNTIME_VARIABLES:
            self.env.append(item)


# --- literal passwords -> generated secrets -------------------------------------------------------


def _secret_spec(name: str, literal: str) -> tuple[dict[str, Any], str]:
    """Our env item for a secret replacing `literal`, and the prefix kept before `${NAME}`."""
    item: dict[str, Any] = {"name": name, "secret": True, "description": "generated per deploy"}
    if literal.startswith("base64:"):  # Laravel's APP_KEY: 32 random bytes, base64
        item.update(generator="base64", secret_length=32)
        return item, "base64:"
    if _HEX.match(literal) and 16 <= len(literal) <= 128:
        item.update(generator="hex", secret_length=len(literal))
    elif 16 <= len(literal) <= 128:
        item["secret_length"] = len(literal)
    return item, ""


def _strip_quotes(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    return v


def replace_literal_secrets(compose: dict[str, Any], declared: Declared) -> dict[str, str]:
    """Each literal password in the services' environment (a secret-looking key with a fixed
    value, or the password of a `scheme://user:password@host` URL) becomes a generated secret,
    replaced everywhere that literal appears in the project. Returns literal -> variable name
    (so tips mentioning a default password can drop it)."""
    services: dict[str, Any] = compose.get("services") or {}
    candidates: list[tuple[int, str, str]] = []  # (URL first?, literal, variable name)
    for svc in services.values():
        for key, raw in env_items(svc):
            value = _strip_quotes(raw)
            if "$" in value or not value or value.lower() in NOT_A_SECRET or value.isdigit():
                continue
            if not ENV_NAME.match(key):
                continue
            if is_secret_key(key):
                candidates.append((0, value, key))
            elif m := URL_CREDENTIALS.match(value):
                candidates.append((1, m.group(1), f"{key}_PASSWORD"))
    found: dict[str, str] = {}  # literal -> variable; a key's own name before a URL's
    for _, literal, name in sorted(candidates, key=lambda c: c[0]):
        if literal in found:
            continue
        while name in declared.names() or name in found.values():
            name = re.sub(r"(?:_(\d+))?$", lambda m: f"_{int(m.group(1) or 1) + 1}", name, count=1)
        if _placeholder(literal, name):  # the user's own key for another service
            declared.add({"name": name, "required": True, "description": PLACEHOLDER})
        else:
            declared.add(_secret_spec(name, literal)[0])
        found[literal] = name
    if not found:
        return {}
    names = _project_names(services)
    # Longest first: a literal inside another (`casaos` in `casaospassword`) must not split it.
    order = sorted(found, key=len, reverse=True)
    counts = dict.fromkeys(found, 0)

    def rewrite(text: str, *, whole_key: str | None = None) -> str:
        if whole_key is not None and is_secret_key(whole_key):
            literal = _strip_quotes(text)
            if literal in found:
                counts[literal] += 1
                return _target(found[literal], literal)
        for literal in order:
            # A literal that is also a name (`postgres`) is replaced only where it is a password.
            pattern = _url_password(literal) if literal.lower() in names else _occurrence(literal)
            target = _target(found[literal], literal)
            text, n = pattern.subn(_keep_prefix(target), text)
            counts[literal] += n
        return text

    for svc in services.values():
        for key in list(svc):
            if key == "image":
                continue
            if key == "environment" and isinstance(svc[key], dict):
                svc[key] = {
                    k: rewrite(str(v), whole_key=str(k)) if isinstance(v, str) else v
                    for k, v in svc[key].items()
                }
            elif key == "environment" and isinstance(svc[key], list):
                svc[key] = [_rewrite_item(str(i), rewrite) for i in svc[key]]
            else:
                svc[key] = map_strings(svc[key], rewrite)
    for literal, name in found.items():
        if _placeholder(literal, name):
            declared.notes.append(f"variable-declared: {name} replaces a placeholder (prompted)")
            continue
        declared.notes.append(
            f"secret-generated: {name} replaces a fixed password "
            f"({counts[literal]} place{'s' if counts[literal] != 1 else ''} in the compose file)"
        )
    return found


PLACEHOLDER = "your own value (the store had a placeholder)"


def _placeholder(literal: str, name: str) -> bool:
    low = literal.lower()
    return low == name.lower() or low.startswith(("your", "<", "[", "insert", "put_", "enter"))


def _keep_prefix(target: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group(1) + target


def _rewrite_item(item: str, rewrite: Callable[..., str]) -> str:
    key, eq, value = item.partition("=")
    return key + eq + rewrite(value, whole_key=key) if eq else rewrite(item)


def _target(name: str, literal: str) -> str:
    return _secret_spec(name, literal)[1] + "${" + name + "}"


def _project_names(services: dict[str, Any]) -> set[str]:
    """Service, container and host names and image name parts: never rewritten as passwords."""
    out: set[str] = set()
    for name, svc in services.items():
        out.add(str(name).lower())
        for key in ("container_name", "hostname"):
            if isinstance(svc.get(key), str):
                out.add(svc[key].lower())
        image = str(svc.get("image", "")).split("@")[0].lower()
        out.update(x for x in re.split(r"[/:]", image) if x)
    return out


def _occurrence(literal: str) -> re.Pattern[str]:
    """Where a literal password is used: as a whole word (not inside a longer word or host name),
    e.g. a whole value, `-p<password>` in a command, `:<password>@` in a URL."""
    return re.compile(r"((?<=-p)|(?<![A-Za-z0-9_.-]))" + re.escape(literal) + r"(?![A-Za-z0-9_.-])")


def _url_password(literal: str) -> re.Pattern[str]:
    return re.compile(r"(://[^/:@\s]+:)" + re.escape(literal) + r"(?=@)")


def declare_variables(compose: dict[str, Any], declared: Declared) -> None:
    """Variables the project uses but nobody sets become declared: `${X:-d}` a default,
    `${X:?msg}` required, secret-looking names generated, the rest optional and empty (what
    compose itself does with an unset variable)."""
    seen: dict[str, tuple[str | None, str]] = {}

    def visit(text: str) -> str:
        for part in text.split("$$"):
            for m in VARIABLE.finditer(part):
                name = m.group(1) or m.group(4)
                seen.setdefault(name, (m.group(2), m.group(3) or ""))
        return text

    map_strings(compose, visit)
    for name, (op, arg) in sorted(seen.items()):
        if name in declared.names() or name in RUNTIME_VARIABLES:
            continue
        if SECRET_KEY.search(name) and op in (None, ":?", "?"):
            declared.add({"name": name, "secret": True, "description": "generated per deploy"})
            declared.notes.append(f"variable-declared: {name} is generated per deploy")
        elif op in (":?", "?"):
            declared.add({"name": name, "required": True, "description": clean_text(arg)})
            declared.notes.append(f"variable-declared: {name} must be given at deploy")
        else:
            declared.add({"name": name, "default": clean_text(arg) if op else ""})
            declared.notes.append(f"variable-declared: {name} (default {clean_text(arg)!r})")


#: Service keys where a container name is not a host name (a volume may share the app's name).
KEEP_NAMES = {"image", "volumes", "ports", "networks", "configs", "secrets"}


def rename_hosts(services: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """Services with every use of an old container name as a host name (`renames`: container
    name -> service name) replaced by the service's name, which compose resolves."""
    pattern = re.compile(
        r"(?<![A-Za-z0-9_.-])(" + "|".join(map(re.escape, sorted(renames, key=len, reverse=True)))
        + r")(?![A-Za-z0-9_-])"
    )  # fmt: skip

    def fix(text: str) -> str:
        return pattern.sub(lambda m: renames[m.group(1)], text)

    out: dict[str, Any] = {}
    for name, svc in services.items():
        out[name] = {k: (v if k in KEEP_NAMES else map_strings(v, fix)) for k, v in svc.items()}
        if "depends_on" in out[name] and isinstance(out[name]["depends_on"], dict):
            out[name]["depends_on"] = {fix(k): v for k, v in out[name]["depends_on"].items()}
    return out
