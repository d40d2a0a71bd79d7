"""`proximity-tui setup`: a least-privilege user, role, pool and token, made once as root@pam."""

from proximity_tui.services.setup.apply import apply_setup, run_setup, write_setup_config
from proximity_tui.services.setup.plan import SetupNames, SetupPlan, plan_setup

__all__ = [
    "SetupNames",
    "SetupPlan",
    "apply_setup",
    "plan_setup",
    "run_setup",
    "write_setup_config",
]
