"""`proximity-tui doctor`: checks a Proxmox host for everything the product needs (no Textual)."""

from proximity_tui.services.doctor.model import FAIL, OK, WARN, Check, Report
from proximity_tui.services.doctor.runner import check_settings, run_doctor, summary

__all__ = ["FAIL", "OK", "WARN", "Check", "Report", "check_settings", "run_doctor", "summary"]
