"""asyncssh, imported without the cryptography deprecation noise.

cryptography 47+ deprecates DSA, and asyncssh names the DSA key classes at import time, so a
fresh install prints five `CryptographyDeprecationWarning: DSA is deprecated` warnings on stderr
before any command's output. Only that warning, and only when asyncssh's own modules raise it,
is ignored; anything else from cryptography still shows.
"""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

warnings.filterwarnings(
    "ignore",
    message="DSA is deprecated",
    category=CryptographyDeprecationWarning,
    module=r"asyncssh(\..*)?$",
)

import asyncssh  # noqa: E402  (the filter must be in place first)

__all__ = ["asyncssh"]
