"""Ends a browser's Django session at once when its AuthSession is revoked."""

from datetime import timedelta

from django.contrib.auth import logout
from django.utils import timezone

from accounts.models import AuthSession

BROWSER_SESSION_KEY = "auth_session_id"
LAST_SEEN_EVERY = timedelta(minutes=5)


class BrowserSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session_id = request.session.get(BROWSER_SESSION_KEY) if hasattr(request, "session") else None
        if session_id and request.user.is_authenticated:
            row = (
                AuthSession.objects.filter(pk=session_id, user_id=request.user.pk, revoked_at__isnull=True,
                                           expires_at__gt=timezone.now())
                .values_list("last_seen_at", flat=True)
                .first()
            )
            if row is None:
                logout(request)
            else:
                request.auth_session_id = session_id
                now = timezone.now()
                if now - row > LAST_SEEN_EVERY:
                    AuthSession.objects.filter(pk=session_id).update(last_seen_at=now)
        return self.get_response(request)
