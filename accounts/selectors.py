"""Account reads."""

from django.db.models import Q, QuerySet

from accounts.models import AuthSession, User


def user_find_for_login(*, identifier: str) -> User | None:
    """The user named by username or e-mail, whatever the case; ``None`` when unknown."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier)).first()


def session_list_active(*, user: User) -> QuerySet[AuthSession]:
    return AuthSession.objects.for_user(user).active().order_by("-last_seen_at")
