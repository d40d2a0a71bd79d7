"""One error hierarchy for the whole product.

Every error carries a message a user can act on (`str(err)`); the CLI prints it on one line and the
UI shows it in a notification. Messages never contain secrets: callers pass redacted values only.
"""

from __future__ import annotations

from typing import Any


class ProximityError(Exception):
    """Base of every error the product raises on purpose."""

    #: Exit code the CLI uses for this kind of error (1: the operation failed, 2: bad input).
    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- input, state and permission -------------------------------------------------------------


class ValidationError(ProximityError):
    """Input refused before anything changed. `field` names what was wrong, when known."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(ProximityError):
    exit_code = 2

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} not found: {key}")
        self.kind = kind
        self.key = key


class ConflictError(ProximityError):
    """The request clashes with existing state (hostname taken, vmid in use, ...)."""


class BusyError(ProximityError):
    """Another operation holds the app's lock."""


class PermissionDenied(ProximityError):
    """The acting user's role (or read-only mode) forbids this change."""


class HostNotReady(ProximityError):
    """A node cannot do what the operation needs (the doctor's named cause), found before the
    operation changed anything. `fix` says what to do on the host."""

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(f"{message}. Fix: {fix}" if fix else message)
        self.cause = message
        self.fix = fix


class StoreError(ProximityError):
    """The database cannot be opened, upgraded or written (bad path, locked, newer schema).

    Carries SQLite's own message only, never the SQL or its parameters (they may hold secrets).
    """

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class OperationCancelled(ProximityError):
    def __init__(self, reason: str = "cancelled") -> None:
        super().__init__(reason)


# --- trust --------------------------------------------------------------------------------------


class TrustError(ProximityError):
    """A TLS certificate or SSH host key is unknown or differs from the pinned fingerprint."""

    def __init__(self, message: str, *, seen: str | None = None, expected: str | None = None):
        super().__init__(message)
        self.seen = seen
        self.expected = expected


# --- Proxmox API --------------------------------------------------------------------------------


class ProxmoxError(ProximityError):
    """An API call failed. Keeps PVE's own message, the parameter errors and which call it was."""

    def __init__(
        self,
        message: str,
        *,
        call: str | None = None,
        status: int | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        self.pve_message = message
        self.call = call
        self.status = status
        self.errors = dict(errors or {})
        text = message
        if self.errors:
            text += " (" + "; ".join(f"{k}: {v}" for k, v in sorted(self.errors.items())) + ")"
        if call:
            text = f"{call}: {text}"
        super().__init__(text)


class ProxmoxConnectionError(ProxmoxError):
    """Proxmox could not be reached (refused, reset, DNS, TLS handshake)."""


class ProxmoxTimeout(ProxmoxError):
    """A call or a task did not finish in time."""


class ProxmoxAuthError(ProxmoxError):
    """401: bad credentials, expired ticket, invalid CSRF token."""


class ProxmoxPermissionError(ProxmoxError):
    """403: authenticated but not allowed."""


class ProxmoxParameterError(ProxmoxError):
    """400: parameter verification failed; `errors` maps each parameter to its message."""

    exit_code = 2


class TaskFailed(ProxmoxError):
    """A task ended with an error; the message is the task's own last error line."""

    def __init__(self, message: str, *, upid: str, exitstatus: str, call: str | None = None):
        super().__init__(message, call=call)
        self.upid = upid
        self.exitstatus = exitstatus


# --- commands inside containers -----------------------------------------------------------------


class ExecError(ProximityError):
    """A command inside a container exited non-zero. Keeps its stderr (the real cause)."""

    def __init__(
        self, message: str, *, exit_status: int, stderr: str = "", vmid: int | None = None
    ):
        super().__init__(message)
        self.exit_status = exit_status
        self.stderr = stderr
        self.vmid = vmid


class ExecConnectionError(ProximityError):
    """The SSH connection to a node failed or dropped mid-command."""


class ExecTimeout(ProximityError):
    """A command inside a container ran longer than its timeout."""
