"""Writes var/local.env once: random keys for the embedded default, kept across restarts.

`make run` serves with DEBUG off, so Django and the JWT signer need real secrets; they are
generated on first run and stay in var/ (git-ignored) so sessions survive a restart.
"""

import secrets
from pathlib import Path

path = Path(__file__).resolve().parent.parent / "var" / "local.env"
path.parent.mkdir(parents=True, exist_ok=True)
if not path.exists():
    path.write_text(
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"JWT_SIGNING_KEY={secrets.token_urlsafe(50)}\n"
        "DEBUG=false\n"
    )
    path.chmod(0o600)
