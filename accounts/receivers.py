"""React to Django's own login/logout signals for dashboard (browser) sessions."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.middleware import BROWSER_SESSION_KEY


@receiver(user_logged_in)
def record_browser_session(sender, request, user, **kwargs):
    from accounts.services import browser_session_start

    if request is None or not hasattr(request, "session"):
        return
    session = browser_session_start(request=request, user=user)
    request.session[BROWSER_SESSION_KEY] = str(session.pk)


@receiver(user_logged_out)
def end_browser_session(sender, request, user, **kwargs):
    from accounts.models import AuthSession
    from accounts.services import session_revoke

    session_id = request.session.get(BROWSER_SESSION_KEY) if request is not None and hasattr(request, "session") else None
    if session_id:
        session_revoke(session=AuthSession(pk=session_id), reason="logout")
