"""Session-bound JWTs: every access and refresh token names the AuthSession it belongs to."""

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User

SESSION_CLAIM = "sid"


def issue_token_pair(*, user: User, session) -> tuple[str, str, RefreshToken]:
    """A fresh refresh token and its access token, both carrying the session id."""
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = str(session.pk)
    access = refresh.access_token  # copies sid and user_id, gets its own jti and lifetime
    return str(access), str(refresh), refresh


def decode_refresh(raw: str) -> RefreshToken:
    """Verify signature, algorithm, expiry (with leeway) and token type; raises TokenError."""
    return RefreshToken(raw)


def decode_access(raw: str) -> AccessToken:
    return AccessToken(raw)
