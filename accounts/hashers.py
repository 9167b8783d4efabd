from django.conf import settings
from django.contrib.auth import hashers


class BCryptSHA256PasswordHasher(hashers.BCryptSHA256PasswordHasher):
    """Django's bcrypt-over-SHA256 hasher with the cost taken from ``BCRYPT_ROUNDS``.

    SHA-256 first means passwords longer than bcrypt's 72 bytes neither crash (bcrypt 5
    raises on them) nor get truncated. Production keeps the default cost of 12; the test
    suite lowers it for speed. The cost is stored in each hash, so both verify everywhere.
    """

    @property
    def rounds(self) -> int:  # type: ignore[override]
        return settings.BCRYPT_ROUNDS
