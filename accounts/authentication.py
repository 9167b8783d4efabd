"""API authentication: a session-bound JWT checked against its live session in one query, which also
loads the user's preferences (read by most learner endpoints: time zone, daily goal, style)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from django.db import connections, router
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

from accounts.models import AuthSession, User, UserPreferences
from accounts.tokens import SESSION_CLAIM, decode_access
from controlpanel.sql import column, convert_row, converters_for


class TokenRejected(AuthenticationFailed):
    default_code = "token_not_valid"


@dataclass(frozen=True)
class _Statement:
    sql: str
    user_converters: list
    user_attnames: list[str]
    preference_converters: list
    preference_attnames: list[str]


@lru_cache(maxsize=4)
def _live_user_statement(alias: str) -> _Statement:
    """The "live session → active user" join as SQL, built once per database from the models.

    It is the statement ``User.objects.filter(pk=…, is_active=True, auth_sessions__pk=…,
    auth_sessions__revoked_at__isnull=True, auth_sessions__expires_at__gt=now).first()`` runs,
    with the user's preferences row (if any) joined in, as ``select_related("preferences")``
    would; the ORM spends ~20× longer compiling it than the database spends answering, on every
    API request (docs/performance.md, P1), so it is compiled here once. Values go through the same
    converters the ORM applies, so the ``User`` built from the row is the one the ORM returns.
    """
    connection = connections[alias]
    qn = connection.ops.quote_name
    fields = list(User._meta.concrete_fields)
    preference_fields = list(UserPreferences._meta.concrete_fields)

    def u(name: str) -> str:
        return column(connection, User, name)

    def s(name: str) -> str:
        return column(connection, AuthSession, name)

    columns = ", ".join([f"u.{qn(field.column)}" for field in fields]
                        + [f"p.{qn(field.column)}" for field in preference_fields])
    sql = (
        f"SELECT {columns} FROM {qn(User._meta.db_table)} u"
        f" INNER JOIN {qn(AuthSession._meta.db_table)} s ON s.{s('user')} = u.{u('id')}"
        f" LEFT JOIN {qn(UserPreferences._meta.db_table)} p"
        f" ON p.{column(connection, UserPreferences, 'user')} = u.{u('id')}"
        f" WHERE u.{u('id')} = %s AND u.{u('is_active')} = %s AND s.{s('id')} = %s"
        f" AND s.{s('revoked_at')} IS NULL AND s.{s('expires_at')} > %s"
    )
    return _Statement(
        sql=sql,
        user_converters=converters_for(connection, User, [field.name for field in fields]),
        user_attnames=[field.attname for field in fields],
        preference_converters=converters_for(connection, UserPreferences, [field.name for field in preference_fields]),
        preference_attnames=[field.attname for field in preference_fields],
    )


def live_session_user(user_id: int, session_id: str) -> User | None:
    """The active user whose session ``session_id`` is neither revoked nor expired, else ``None``.

    The user's saved preferences come with it (``user.preferences``, no further query); for a user
    who never saved any, ``user.preferences`` is the unsaved defaults ``preferences_of`` gives (saving
    preferences goes through ``get_or_create``, never through this instance).
    Raises ``ValueError`` for a session id that is not a UUID.
    """
    alias = router.db_for_read(User)
    connection = connections[alias]
    statement = _live_user_statement(alias)
    session_meta = AuthSession._meta
    params = [
        user_id,
        True,
        session_meta.pk.get_db_prep_value(uuid.UUID(str(session_id)), connection),
        session_meta.get_field("expires_at").get_db_prep_value(timezone.now(), connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(statement.user_attnames)
    user = User.from_db(alias, statement.user_attnames, convert_row(connection, row[:split], statement.user_converters))
    if row[split] is not None:  # the preferences row's id: the user has saved preferences
        user.preferences = UserPreferences.from_db(
            alias, statement.preference_attnames, convert_row(connection, row[split:], statement.preference_converters))
    else:  # none saved: the defaults, unsaved, as ``preferences_of`` gives them, so no request asks again
        user.preferences = UserPreferences(user=user)
    return user


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
        if not session_id or not user_id.isdigit() or not user_id.isascii():
            raise TokenRejected()
        try:
            user = live_session_user(int(user_id), session_id)
        except (ValueError, TypeError, OverflowError) as exc:  # a malformed session id, an id out of range
            raise TokenRejected() from exc
        if user is None:
            raise TokenRejected()
        request._request.auth_session_id = session_id
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
