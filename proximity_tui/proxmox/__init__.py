"""Talking to Proxmox VE: the HTTPS API (proxmoxer) and `pct` (local or over SSH)."""
