"""Staff pages about one learner (after Kolibri's coach view): find a learner, then see their
category progress, lessons with scores and mastery, recent activity and active sessions, and
end a session. Staff only; every figure comes from the same selectors the learner's own pages use.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import User
from controlpanel.decorators import staff_member_required
from progress import selectors

RECENT_EVENTS = 20




@never_cache
@staff_member_required
def learner_search(request):
    q = request.GET.get("q", "").strip()[:150]
    users = User.objects.order_by("username")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(email__icontains=q))
    page = Paginator(users.only("id", "username", "email", "is_staff", "is_active", "last_login"), 25).get_page(
        request.GET.get("page"))
    return render(request, "staff/learners.html", {"q": q, "page_obj": page, "staff_tab": "learners",
                                                   "query_string": urlencode({"q": q}) if q else ""})


@never_cache
@staff_member_required
def learner_detail(request, user_id: int):
    learner = get_object_or_404(User, pk=user_id)
    context = {
        "learner": learner,
        "categories": selectors.category_progress_list(user=learner),
        "summary": selectors.progress_summary(user=learner),
        "lessons": selectors.lesson_records(user=learner),
        "events": list(selectors.progress_history(user=learner)[:RECENT_EVENTS]),
        "sessions": list(account_selectors.session_list_active(user=learner)),
        "staff_tab": "learners",
    }
    return render(request, "staff/learner_detail.html", context)


@require_POST
@staff_member_required
def learner_session_revoke(request, user_id: int, session_id):
    learner = get_object_or_404(User, pk=user_id)
    session = account_selectors.session_list_active(user=learner).filter(pk=session_id).first()
    if session is None:
        messages.error(request, "That session has already ended.")
    else:
        account_services.session_revoke(session=session, reason="staff_revoke")
        messages.success(request, "The session is ended.")
    return redirect("staff:learner", user_id=learner.pk)
