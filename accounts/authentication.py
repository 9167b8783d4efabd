"""API authentication: a session-bound JWT checked against its live session in one query."""

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

from accounts.models import User
from accounts.tokens import SESSION_CLAIM, decode_access


class TokenRejected(AuthenticationFailed):
    default_code = "token_not_valid"


class SessionJWTAuthentication(BaseAuthentication):
    """``Authorization: Bearer <access token>``.

    The token's signature, algorithm (allow-listed HS256), type and expiry are verified by
    SimpleJWT; then the user is loaded in the same query that checks the token's session is
    neither revoked nor expired and the user is active. Logout, password change and admin
    revocation therefore take effect on the very next request, on every app server.
    """

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise TokenRejected()
        try:
            token = decode_access(header[1].decode("ascii"))
        except (TokenError, UnicodeDecodeError) as exc:
            raise TokenRejected() from exc
        session_id, user_id = token.get(SESSION_CLAIM), str(token.get("user_id", ""))
        if not session_id or not user_id.isdigit():
            raise TokenRejected()
        try:
            user = (
                User.objects.filter(
                    pk=user_id,
                    is_active=True,
                    auth_sessions__pk=session_id,
                    auth_sessions__revoked_at__isnull=True,
                    auth_sessions__expires_at__gt=timezone.now(),
                )
                .first()
            )
        except Exception as exc:  # a malformed session id (not a UUID)
            from django.core.exceptions import ValidationError

            if isinstance(exc, (ValidationError, ValueError)):
                raise TokenRejected() from exc
            raise
        if user is None:
            raise TokenRejected()
        request._request.auth_session_id = session_id
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
