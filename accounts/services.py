"""Account writes: registration, login, token rotation, logout, sessions and passwords."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError

from accounts.models import AuthSession, User, UserPreferences
from accounts.selectors import login_account_key, user_find_for_login
from accounts.tokens import SESSION_CLAIM, decode_refresh, issue_token_pair
from accounts.validators import username_key, username_normalize
from controlpanel.api import ratelimit
from controlpanel.errors import ApplicationError, AuthenticationError, RateLimitedError

ACCOUNT_LOCKED_MESSAGE = "Too many failed logins for this account. Try again later."
USERNAME_TAKEN = "That username is taken."
EMAIL_TAKEN = "That e-mail is already registered."


class InvalidCredentials(AuthenticationError):
    code = "invalid_credentials"
    message = "Unable to log in with the provided credentials."


class RefreshRejected(AuthenticationError):
    code = "token_invalid"
    message = "The token is invalid, expired or revoked."


class WrongPassword(ApplicationError):
    code = "wrong_password"
    message = "The current password is not correct."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    session: AuthSession
    access_expires_at: datetime
    refresh_expires_at: datetime


def _exp(token) -> datetime:
    return datetime.fromtimestamp(token["exp"], tz=UTC)


def _clip(value: str | None, size: int) -> str:
    return (value or "")[:size]


def _validate_password_field(field: str, password: str, user: User) -> None:
    """Django's password validators, reported against the form field that carried it."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise DjangoValidationError({field: exc.messages}) from exc


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create a learner with default preferences; Django's password validators apply."""
    username = username_normalize(username)
    email = email.strip().lower()
    user = User(username=username, email=email)
    _validate_password_field("password", password, user)
    # Hash before the availability checks so a taken and a free name cost the same work.
    user.set_password(password)
    registration_check_available(username=username, email=email)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration took the name first
        raise ApplicationError("That username or e-mail is taken.", code="username_taken") from exc
    UserPreferences.objects.create(user=user)
    return user


def registration_check_available(*, username: str | None = None, email: str | None = None) -> None:
    """Registration's availability rule: a username or e-mail anyone already has, in any case,
    is taken (``ApplicationError`` ``username_taken`` / ``email_taken``, with field details).
    Usernames compare by ``username_key``: NFKC, Unicode case folding and look-alike letters,
    so ``ｄｅｍｏ``, ``𝐝𝐞𝐦𝐨`` and Cyrillic ``dеmo`` are all taken once ``demo`` exists."""
    if username is not None and User.objects.filter(username_key=username_key(username)).exists():
        raise ApplicationError(USERNAME_TAKEN, code="username_taken", details={"username": [USERNAME_TAKEN]})
    if email is not None and User.objects.filter(email__iexact=email.strip().lower()).exists():
        raise ApplicationError(EMAIL_TAKEN, code="email_taken", details={"email": [EMAIL_TAKEN]})


def login_with_password(*, identifier: str, password: str, client_ip: str | None = None) -> User:
    """The login protocol, for the API, the sign-in page and the Django admin alike: the user, or why not.

    Failures are counted in two fixed windows of ``RATELIMIT_LOGIN_ACCOUNT_FAILURES`` (100 an
    hour), against the account however it was named (unknown names under their normalised
    text, answering exactly as a known account does):

    * **the lock, per (account, address)**: an address that spent the budget on an account is
      refused (429) for that account until the window ends, even with the right password;
    * **the ceiling, per account** (failures from all addresses together): past it, an address with a failure
      on the account in this window is refused, and an address with none still gets its
      password checked, once: a wrong guess from it marks it too. A stranger's failures from
      other addresses therefore never lock the owner out of a clean address, while a guesser
      spread over many addresses gets one guess per address per window past the ceiling;
    * the per-address limit on every login attempt (``RATELIMIT_LOGIN_ADDRESS_RATE``) is the
      caller's throttle and applies on top.

    The address's attempt is reserved atomically before the password is checked (and given back
    on success), so racing attempts from one address on any number of app servers get exactly
    the budget's worth of password checks; the ceiling counts failed checks (atomically, after
    them), so an address's own attempts in flight never trip it. A rate-limit store that is
    down refuses with ``ServiceUnavailableError`` (503: this limit fails closed). Then
    :func:`user_authenticate` (one hash for unknown users too, one ``InvalidCredentials`` for
    every failure). The caller then opens the session: :func:`user_login` for the API,
    Django's ``login`` (which records :func:`browser_session_start`) for the dashboard and the
    admin.
    """
    budget = ratelimit.parse_rate(settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES)
    account = login_account_key(identifier=identifier)
    pair = ratelimit.hit(scope="login-account-address", key=f"{account}|ip:{client_ip or '?'}", rate=budget,
                         fail_closed=True)
    if pair is not None:
        ceiling = ratelimit.hit(scope="login-account", key=account, rate=budget, increment=False, fail_closed=True)
        if pair.should_limit or (ceiling is not None and ceiling.count >= ceiling.limit and pair.count > 1):
            raise RateLimitedError(retry_after=max(pair.time_left, 1), message=ACCOUNT_LOCKED_MESSAGE)
    try:
        user = user_authenticate(identifier=identifier, password=password)
    except InvalidCredentials:
        ratelimit.hit(scope="login-account", key=account, rate=budget, fail_closed=True)
        raise
    ratelimit.give_back(pair)
    return user


def user_authenticate(*, identifier: str, password: str) -> User:
    """The user whose username or e-mail is ``identifier`` and whose password matches.

    Unknown users cost one hash too (of a throwaway value), and inactive users are refused
    only after their password is checked, so the answer and its cost are the same for every
    failure: nobody can tell which accounts exist.
    """
    user = user_find_for_login(identifier=identifier)
    if user is None:
        make_password(password)
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
    return user


def session_start(*, user: User, kind: str = AuthSession.Kind.API, user_agent: str = "", client_ip: str | None = None,
                  lifetime=None) -> AuthSession:
    """Open a session; it ends at ``expires_at`` (moved on by each refresh) and at the latest at
    ``absolute_expires_at`` (login + ``SESSION_ABSOLUTE_DAYS``), which nothing moves."""
    now = timezone.now()
    absolute = now + timedelta(days=settings.SESSION_ABSOLUTE_DAYS)
    return AuthSession.objects.create(
        user=user,
        kind=kind,
        created_at=now,
        last_seen_at=now,
        expires_at=min(now + (lifetime or settings.REFRESH_TOKEN_LIFETIME), absolute),
        absolute_expires_at=absolute,
        user_agent=_clip(user_agent, 300),
        client_ip=client_ip if _is_ip(client_ip) else None,
    )


def _is_ip(value: str | None) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value or "")
    except ValueError:
        return False
    return True


@transaction.atomic
def user_login(*, user: User, user_agent: str = "", client_ip: str | None = None) -> TokenPair:
    """Open an API session for an authenticated user and issue its first token pair."""
    session = session_start(user=user, user_agent=user_agent, client_ip=client_ip)
    return _issue(user=user, session=session)


def _issue(*, user: User, session: AuthSession) -> TokenPair:
    access, refresh, refresh_token = issue_token_pair(user=user, session=session)
    refresh_exp = min(_exp(refresh_token), session.absolute_expires_at)
    session.refresh_jti = refresh_token["jti"]
    session.expires_at = refresh_exp
    session.last_seen_at = timezone.now()
    session.save(update_fields=["refresh_jti", "expires_at", "last_seen_at"])
    return TokenPair(access=access, refresh=refresh, session=session,
                     access_expires_at=timezone.now() + settings.ACCESS_TOKEN_LIFETIME,
                     refresh_expires_at=refresh_exp)


def token_refresh(*, raw_refresh: str) -> TokenPair:
    """Rotate a refresh token: a new pair, the old refresh dead.

    The session row is locked, so of N parallel refreshes of one token exactly one wins.
    Presenting a refresh token that was already rotated means it leaked or was replayed:
    the whole session is revoked (and that revocation is committed), ending the thief's and
    the owner's tokens alike. Past the session's ``absolute_expires_at`` (login +
    ``SESSION_ABSOLUTE_DAYS``) refresh is refused however fresh the refresh token is: the
    client has to log in again.
    """
    try:
        token = decode_refresh(raw_refresh)
    except TokenError as exc:
        raise RefreshRejected() from exc
    session_id = token.get(SESSION_CLAIM)
    user_id = str(token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"], ""))
    if not session_id or not user_id.isdigit():
        raise RefreshRejected()
    with transaction.atomic():
        try:
            session = AuthSession.objects.select_for_update().select_related("user").get(pk=session_id, user_id=user_id)
        except (AuthSession.DoesNotExist, DjangoValidationError, ValueError, TypeError):
            session = None
        if (session is None or not session.is_active or not session.user.is_active
                or session.absolute_expires_at <= timezone.now()):
            pair = None
        elif session.refresh_jti != token.get("jti"):
            session.revoked_at = timezone.now()
            session.revoked_reason = "refresh_reuse"
            session.save(update_fields=["revoked_at", "revoked_reason"])
            pair = None
        else:
            pair = _issue(user=session.user, session=session)
    if pair is None:
        raise RefreshRejected()
    return pair


def session_revoke(*, session: AuthSession, reason: str) -> bool:
    """End one session at once; returns whether it was still active."""
    updated = AuthSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:40]
    )
    return bool(updated)


def sessions_revoke_all(*, user: User, reason: str, keep_session_id=None) -> int:
    """End every active session of ``user`` except ``keep_session_id``; returns how many."""
    qs = AuthSession.objects.filter(user=user, revoked_at__isnull=True)
    if keep_session_id:
        qs = qs.exclude(pk=keep_session_id)
    return qs.update(revoked_at=timezone.now(), revoked_reason=reason[:40])


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str, keep_session_id=None) -> int:
    """Set a new password after checking the current one; every other session ends."""
    if not user.check_password(current_password):
        raise WrongPassword(details={"current_password": ["The current password is not correct."]})
    _validate_password_field("new_password", new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return sessions_revoke_all(user=user, reason="password_change", keep_session_id=keep_session_id)


@transaction.atomic
def user_set_password(*, user: User, password: str | None, reason: str = "password_reset") -> int:
    """Set ``password`` (``None``: no usable password) without the current one, as an admin
    does, and end every session of the user: API tokens and browsers alike, since whoever held
    them may be why the password is being reset. Returns how many sessions ended."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    return sessions_revoke_all(user=user, reason=reason)


@transaction.atomic
def user_deactivate(*, user: User, reason: str = "deactivated") -> int:
    """Deactivate ``user`` and end every session, so re-activating the account later revives
    no old token or browser session: the user has to log in again. Returns how many ended."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    return sessions_revoke_all(user=user, reason=reason)


def user_update(*, user: User, email: str | None = None, first_name: str | None = None,
                last_name: str | None = None) -> User:
    """Update the profile fields given (None leaves a field as it is)."""
    changes = {name: value for name, value in (("email", email), ("first_name", first_name), ("last_name", last_name))
               if value is not None}
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
        if User.objects.filter(email__iexact=changes["email"]).exclude(pk=user.pk).exists():
            raise ApplicationError("That e-mail is already registered.", code="email_taken",
                                   details={"email": ["That e-mail is already registered."]})
    for name, value in changes.items():
        setattr(user, name, value)
    if changes:
        user.save(update_fields=list(changes))
    return user


def preferences_get(*, user: User) -> UserPreferences:
    prefs, _ = UserPreferences.objects.get_or_create(user=user)
    return prefs


def preferences_update(*, user: User, theme: str | None = None, turbo_default: bool | None = None,
                       preferred_style: str | None = None, daily_goal_minutes: int | None = None,
                       time_zone: str | None = None, weekly_progress_email: bool | None = None) -> UserPreferences:
    """Validate and store the preferences given (None leaves a preference as it is)."""
    prefs = preferences_get(user=user)
    changes = {"theme": theme, "turbo_default": turbo_default, "preferred_style": preferred_style,
               "daily_goal_minutes": daily_goal_minutes, "time_zone": time_zone,
               "weekly_progress_email": weekly_progress_email}
    for name, value in changes.items():
        if value is not None:
            setattr(prefs, name, value)
    prefs.full_clean(exclude=["user"])
    prefs.save()
    user.preferences = prefs  # what the rest of this request reads (preferences_of), not the row it started with
    return prefs


def browser_session_start(*, request, user: User) -> AuthSession:
    """Record a dashboard login as an AuthSession so "my sessions" lists browsers too."""
    return session_start(
        user=user,
        kind=AuthSession.Kind.BROWSER,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        client_ip=getattr(request, "client_ip", None),
        lifetime=timedelta(seconds=settings.SESSION_COOKIE_AGE),
    )
