"""The weekly progress e-mail's unsubscribe page: no sign-in, the signed link is the authority.

GET asks for confirmation (link scanners and previews must not unsubscribe anyone); POST
unsubscribes, which is also what a mail client's one-click unsubscribe sends (RFC 8058:
``List-Unsubscribe=One-Click`` in the body, no cookies, so no CSRF token either). A forged or
damaged token is a 400 page that changes nothing.
"""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from progress import weekly_email

TEMPLATE = "progress/unsubscribe.html"


@csrf_exempt  # a one-click POST comes from the mail provider; the unguessable signed token authorises it
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    if request.method == "POST":
        try:
            weekly_email.weekly_email_unsubscribe(token=token)
        except weekly_email.InvalidUnsubscribeLink:
            return render(request, TEMPLATE, {"invalid": True}, status=400)
        return render(request, TEMPLATE, {"done": True})
    if weekly_email.unsubscribe_user(token=token) is None:
        return render(request, TEMPLATE, {"invalid": True}, status=400)
    return render(request, TEMPLATE, {})
