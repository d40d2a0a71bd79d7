"""The embedded Proxmox VE simulator: the real wire protocols on loopback."""
