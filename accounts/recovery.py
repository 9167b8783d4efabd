"""Password reset by e-mail: the request (same answer whether or not the account exists) and the confirm."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User
from accounts.selectors import login_account_key, user_find_for_login
from accounts.services import _validate_password_field, user_set_password
from controlpanel.api import ratelimit
from controlpanel.errors import ApplicationError, RateLimitedError

RESET_REQUESTED_MESSAGE = ("If an account matches what you entered, we have sent it an e-mail "
                           "with a link to choose a new password.")
RESET_LIMITED_MESSAGE = "Too many password reset requests. Try again later."
DUMMY_PASSWORD = "password-reset-dummy-value"  # noqa: S105 (hashed only to equalise work)

token_generator = PasswordResetTokenGenerator()


class InvalidResetToken(ApplicationError):
    code = "invalid_token"
    message = "The password reset link is invalid, expired or already used."


def _limit(*, scope: str, key: str, rate_setting: str) -> None:
    usage = ratelimit.hit(scope=scope, key=key, rate=ratelimit.parse_rate(getattr(settings, rate_setting)),
                          fail_closed=True)
    if usage is not None and usage.should_limit:
        raise RateLimitedError(retry_after=max(usage.time_left, 1), message=RESET_LIMITED_MESSAGE)


def reset_link(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{settings.SITE_URL}/password/reset/{uidb64}/{token_generator.make_token(user)}/"


def password_reset_request(*, identifier: str, client_ip: str | None) -> None:
    """E-mail a reset link to the account named by ``identifier`` (e-mail or username), if any.

    Nothing tells the caller whether the account exists: the caller answers the same, and the
    work is the same (one hash of a throwaway value either way). Limited per address
    (``RATELIMIT_PASSWORD_RESET_ADDRESS_RATE``) and per account however it is named
    (``RATELIMIT_PASSWORD_RESET_ACCOUNT_RATE``; an unknown name counts under its text); both
    fail closed (503) when the limit store is down.
    """
    identifier = (identifier or "").strip()
    _limit(scope="password-reset-address", key=f"ip:{client_ip or '?'}",
           rate_setting="RATELIMIT_PASSWORD_RESET_ADDRESS_RATE")
    _limit(scope="password-reset-account", key=login_account_key(identifier=identifier),
           rate_setting="RATELIMIT_PASSWORD_RESET_ACCOUNT_RATE")
    user = user_find_for_login(identifier=identifier)
    make_password(DUMMY_PASSWORD)  # the same hashing work whether or not the account exists
    if user is None or not user.is_active or not user.email:
        return
    context = {"user": user, "link": reset_link(user),
               "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)}
    send_mail(
        subject="Reset your Control Panel password",
        message=render_to_string("accounts/email/password_reset.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def _user_from_token(uidb64: str, token: str) -> User:
    try:
        pk = force_str(urlsafe_base64_decode(uidb64 or ""))
        user = User.objects.filter(pk=int(pk), is_active=True).first() if pk.isdigit() else None
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        user = None
    if user is None or not token_generator.check_token(user, token or ""):
        raise InvalidResetToken()
    return user


def password_reset_check(*, uidb64: str, token: str) -> User:
    """The user a reset link is for, or ``InvalidResetToken`` (400 ``invalid_token``)."""
    return _user_from_token(uidb64, token)


@transaction.atomic
def password_reset_confirm(*, uidb64: str, token: str, new_password: str) -> int:
    """Set a new password from a reset link and end every session (API and browser).

    The token hashes the password and last login, so it works once; it expires after
    ``PASSWORD_RESET_TIMEOUT`` seconds. Returns how many sessions ended.
    """
    user = _user_from_token(uidb64, token)
    _validate_password_field("new_password", new_password, user)
    return user_set_password(user=user, password=new_password, reason="password_reset")
