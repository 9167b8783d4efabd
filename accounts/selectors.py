"""Account reads."""

import math
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import AuthSession, User, UserPreferences
from accounts.validators import username_key


def login_identifier_lookup(identifier: str) -> Q:
    """Which user a login identifier names, unambiguously: one with ``@`` is an e-mail address
    (usernames cannot contain ``@``), one without is a username, compared by its
    ``username_key`` (NFKC, case folding, look-alike letters); either in any case."""
    if "@" in identifier:
        return Q(email__iexact=identifier)
    return Q(username_key=username_key(identifier))


def user_find_for_login(*, identifier: str) -> User | None:
    """The user named by username or e-mail (:func:`login_identifier_lookup`); ``None`` when unknown."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return User.objects.filter(login_identifier_lookup(identifier)).first()


def session_list_active(*, user: User) -> QuerySet[AuthSession]:
    return AuthSession.objects.for_user(user).active().order_by("-last_seen_at")


def login_account_key(*, identifier: str) -> str:
    """What login failures are counted against: the account, however it was named.

    Username and e-mail in any case share one budget, so naming an account two ways does not
    double its failure allowance. An unknown name is counted under its normalised text, and
    answers exactly as a known account does.
    """
    identifier = (identifier or "").strip().lower()
    user_id = (
        User.objects.filter(login_identifier_lookup(identifier))
        .values_list("pk", flat=True)
        .first()
        if identifier
        else None
    )
    return f"user:{user_id}" if user_id is not None else f"name:{identifier}"


def preferences_of(*, user: User) -> UserPreferences:
    """The user's preferences, or the defaults when they never saved any (nothing is written).

    The one way every app reads a preference (time zone, daily goal, preferred style, turbo):
    it reuses the row already loaded with the user (the API's authentication joins it in;
    elsewhere ``select_related("preferences")``).
    """
    try:
        return user.preferences
    except UserPreferences.DoesNotExist:
        return UserPreferences(user=user)


def session_lengths(*, start: datetime, end: datetime) -> dict:
    """Sessions started in ``[start, end)``: how many, and how long they lasted (seconds).

    A session's length runs from its start to its last recorded activity: a page visit (recorded
    at most every ``LAST_SEEN_EVERY``) or an API token refresh. The median and the 90th
    percentile are nearest-rank; both are ``None`` when no session started.
    """
    rows = AuthSession.objects.filter(created_at__gte=start, created_at__lt=end).values_list("created_at", "last_seen_at")
    lengths = sorted(max(0.0, (seen - started).total_seconds()) for started, seen in rows)

    def rank(q: float) -> float | None:
        return round(lengths[max(0, math.ceil(q * len(lengths)) - 1)], 1) if lengths else None

    return {"sessions": len(lengths), "median_seconds": rank(0.5), "p90_seconds": rank(0.9)}
