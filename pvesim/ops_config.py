"""Change a container's configuration (`PUT .../config` and `pct set`), as PVE does: locked
CTs refuse, feature flags need root@pam, and some options wait for the next start."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pvesim.ctconfig import (
    normalize_description,
    normalize_features,
    normalize_net,
    normalize_tags,
)
from pvesim.errors import PveError
from pvesim.model import Guest
from pvesim.ops_base import OpsBase, check_feature_permission
from pvesim.params import verify
from pvesim.specs import CT_UPDATE

#: Options a running CT only picks up at its next start (they go to `pending`).
COLD_OPTIONS = {
    "features",
    "arch",
    "ostype",
    "cmode",
    "console",
    "tty",
    "timezone",
    "entrypoint",
    "env",
    "rootfs",
}
_READ_ONLY = {"unprivileged"}


class ConfigOps(OpsBase):
    async def set_ct_config(
        self,
        node: str,
        vmid: int,
        changes: Mapping[str, Any],
        user: str = "root@pam",
        *,
        delete: Iterable[str] = (),
    ) -> None:
        """Apply option changes (PVE parameter names, values as strings or numbers).

        `changes` may also hold `delete` (a list string), `digest` and `revert`, as the API
        passes them. Raises `PveError` (400 for bad parameters, 403 for feature flags, 500 when
        locked or the digest changed).
        """
        raw = {k: str(v) for k, v in changes.items()}
        raw.update(node=node, vmid=str(vmid))
        typed = verify(CT_UPDATE, raw)
        g = self.ct_on(node, int(vmid))
        to_delete = [d for d in re.split(r"[,;\s]+", typed.pop("delete", "")) if d]
        to_delete += list(delete)
        digest = typed.pop("digest", None)
        typed.pop("revert", None)
        typed.pop("node")
        typed.pop("vmid")
        await self.wait_config_lock(g)
        if digest is not None and digest != self.config_digest(g.config):
            raise PveError(
                500, "detected modified configuration - file changed by other user? Try again."
            )
        if "lock" not in typed:
            self.check_lock(g)
        for key in [k for k in typed if k in _READ_ONLY] + [
            k for k in to_delete if k in _READ_ONLY
        ]:
            raise PveError(500, f"unable to modify read-only option: '{key}'")
        if "features" in typed or "features" in to_delete:
            new = typed.get("features", "")
            check_feature_permission(
                user,
                new,
                self.effective_config(g).get("features"),
                unprivileged=bool(g.config.get("unprivileged")),
            )
        self._apply(g, typed, to_delete)
        self.changed()

    def effective_config(self, g: Guest) -> dict[str, Any]:
        """The config with pending changes applied (what `GET .../config` shows)."""
        conf = dict(g.config)
        for key, value in g.pending.items():
            if value is None:
                conf.pop(key, None)
            else:
                conf[key] = value
        return conf

    def _apply(self, g: Guest, typed: dict[str, Any], to_delete: list[str]) -> None:
        for key, value in typed.items():
            if re.fullmatch(r"net\d+", key):
                value = normalize_net(str(value), self.new_hwaddr)
            elif key == "features":
                value = normalize_features(str(value))
            elif key == "tags":
                value = normalize_tags(str(value))
            elif key == "description":
                value = normalize_description(str(value))
                if value is None:  # only comment lines hold it: none left, no key
                    g.config.pop(key, None)
                    continue
            if g.status == "running" and key in COLD_OPTIONS:
                g.pending[key] = value
            else:
                g.config[key] = value
                g.pending.pop(key, None)
        for key in to_delete:
            if g.status == "running" and key in COLD_OPTIONS:
                g.pending[key] = None
            else:
                g.config.pop(key, None)
