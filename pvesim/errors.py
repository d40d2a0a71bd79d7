"""Errors the simulated Proxmox raises, shaped like PVE's own (`PVE::Exception`).

`PveError` is a synchronous API failure: the HTTP layer turns it into the status, the reason phrase
(the first line of the message) and the `{"data": null, "message": ...}` body. `TaskError` ends a
running task with `TASK ERROR: <message>`. The SSH side (`pct`) uses both too.
"""

from __future__ import annotations


class PveError(Exception):
    """A synchronous error: HTTP `status`, PVE's message, and per-parameter `errors` on 400."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message.rstrip("\n")
        self.errors = dict(errors) if errors else None

    @property
    def reason(self) -> str:
        """The HTTP reason phrase: PVE sends the first line of the message."""
        return self.message.split("\n", 1)[0]

    def __str__(self) -> str:
        return self.message


def param_error(errors: dict[str, str]) -> PveError:
    return PveError(400, "Parameter verification failed.", errors)


def perm_error(detail: str | None = None) -> PveError:
    return PveError(
        403, f"Permission check failed ({detail})" if detail else "Permission check failed"
    )


def not_found_config(node: str, vmid: int, kind: str = "lxc") -> PveError:
    return PveError(500, f"Configuration file 'nodes/{node}/{kind}/{vmid}.conf' does not exist")


class TaskError(Exception):
    """Ends a task: its log gets `TASK ERROR: <message>` and `exitstatus` is the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message.rstrip("\n")
