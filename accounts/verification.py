"""E-mail verification: a signed, expiring link sent at registration and on every e-mail change.

A new address takes effect only once its link is used: until then the old one stays current and
the new one is ``pending_email``. Report and progress e-mails go only to verified addresses.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from accounts.services import EMAIL_TAKEN, WrongPassword
from controlpanel.errors import ApplicationError

SALT = "accounts.verification.email"


class InvalidEmailToken(ApplicationError):
    code = "invalid_token"
    message = "The verification link is invalid, expired or already used."


def verification_token(*, user: User, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email.strip().lower()}, salt=SALT, compress=True)


def verification_link(*, user: User, email: str) -> str:
    return f"{settings.SITE_URL}/account/email/verify/{verification_token(user=user, email=email)}/"


def send_verification(*, user: User, email: str | None = None) -> None:
    """E-mail ``email`` (default: the user's current one) a link that verifies it for ``user``."""
    email = (email or user.email or "").strip().lower()
    if not email:
        return
    context = {"user": user, "link": verification_link(user=user, email=email),
               "days": max(1, settings.EMAIL_VERIFY_MAX_AGE // 86400)}
    send_mail(subject="Verify your e-mail address for Control Panel",
              message=render_to_string("accounts/email/verify_email.txt", context),
              from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email])


def _taken(email: str, user: User) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()


@transaction.atomic
def email_change_request(*, user: User, email: str, current_password: str) -> User:
    """Ask to change the e-mail: needs the current password; the new address becomes pending and
    gets a verification link; the old one stays current until the link is used."""
    if not user.check_password(current_password):
        raise WrongPassword(details={"current_password": ["The current password is not correct."]})
    email = email.strip().lower()
    if _taken(email, user):
        raise ApplicationError(EMAIL_TAKEN, code="email_taken", details={"email": [EMAIL_TAKEN]})
    if email == user.email.lower():
        user.pending_email = ""
        user.save(update_fields=["pending_email"])
        if user.email_verified_at is None:
            send_verification(user=user, email=email)
        return user
    user.pending_email = email
    user.save(update_fields=["pending_email"])
    send_verification(user=user, email=email)
    return user


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Verify the address a link names: the pending one becomes current, or the current one is
    marked verified. A forged, expired (``EMAIL_VERIFY_MAX_AGE``) or used link is refused."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=settings.EMAIL_VERIFY_MAX_AGE)
        user_id, email = int(data["u"]), str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidEmailToken() from exc
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidEmailToken()
    if user.pending_email and email == user.pending_email.lower():
        if _taken(email, user):
            raise ApplicationError(EMAIL_TAKEN, code="email_taken", details={"email": [EMAIL_TAKEN]})
        user.email, user.pending_email, user.email_verified_at = email, "", timezone.now()
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "pending_email", "email_verified_at"])
        except IntegrityError as exc:
            raise ApplicationError(EMAIL_TAKEN, code="email_taken", details={"email": [EMAIL_TAKEN]}) from exc
        return user
    if email == user.email.lower() and user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        return user
    raise InvalidEmailToken()
