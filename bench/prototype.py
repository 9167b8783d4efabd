"""A measuring prototype of the per-request fixes, loaded by gunicorn instead of controlpanel.wsgi.

    .venv/bin/python bench/ablate.py --shape postgres --variants baseline,prototype

Not product code: it patches the running product in memory, so a benchmark can say what the
recommended fixes would buy before their owners write them properly. Each patch keeps the
behaviour the tests promise, except where noted:

* authentication: the session check (is this token's session live, is its user active) is read
  from the cache under ``bench:sess:<sid>`` instead of a joined query on every request. A real
  fix must delete that key wherever a session is revoked or a user deactivated (logout,
  password change, session revoke, admin) — the prototype caches for 30 s and does not.
* rate limit: one pipelined Redis round trip per request (INCR + EXPIRE NX) made together with
  the session read, instead of django-ratelimit's ``add`` + ``incr`` (two round trips) after it.
* response cache (``BENCH_PROTOTYPE_RESPONSE_CACHE=1``): ``GET progress/`` answers from a per-user
  cached body read in the same pipeline; a real fix deletes the key on the learner's own writes
  (progress_set, lesson completion) and bounds catalog staleness with a short TTL (10 s here).
* catalog: the category rows and published-lesson counts of ``category_progress_list`` are kept
  in process for 30 s; a real fix invalidates them on ``lessons_changed`` (a version key read in
  the same pipeline).
"""

from __future__ import annotations

import json
import os
import time

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_ratelimit.core import _split_rate  # noqa: E402
from rest_framework.authentication import get_authorization_header  # noqa: E402
from rest_framework_simplejwt.exceptions import TokenError  # noqa: E402

from accounts import authentication  # noqa: E402
from accounts.models import User  # noqa: E402
from accounts.tokens import SESSION_CLAIM, decode_access  # noqa: E402
from controlpanel.api import ratelimit  # noqa: E402
from controlpanel.wsgi import application  # noqa: F401  (sets Django up first)
from lessons.models import Category  # noqa: E402
from progress import selectors  # noqa: E402
from progress.models import UserProgress  # noqa: E402

USER_FIELDS = ("id", "username", "email", "first_name", "last_name", "is_staff", "is_superuser", "is_active")
SESSION_TTL = 30
RESPONSE_CACHE = os.environ.get("BENCH_PROTOTYPE_RESPONSE_CACHE") == "1"
RESPONSE_TTL = 10
CACHED_PATHS = {"/api/v1/progress/"}
REDIS = None
if settings.REDIS_URL:
    from django_redis import get_redis_connection

    REDIS = get_redis_connection("default")


def _rate_key(user_id: int) -> tuple[str, int, int]:
    limit, period = _split_rate(settings.RATELIMIT_API_RATE)
    window = int(time.time()) // period
    return f"bench:rl:api:user:{user_id}:{window}", limit, period


def _authenticate(self, request):
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != self.keyword:
        return None
    if len(header) != 2:
        raise authentication.TokenRejected()
    try:
        token = decode_access(header[1].decode("ascii"))
    except (TokenError, UnicodeDecodeError) as exc:
        raise authentication.TokenRejected() from exc
    session_id, user_id = token.get(SESSION_CLAIM), str(token.get("user_id", ""))
    if not session_id or not user_id.isdigit():
        raise authentication.TokenRejected()
    key = f"bench:sess:{session_id}"
    rate_key, limit, period = _rate_key(int(user_id))
    django_request = request._request
    response_key = None
    if RESPONSE_CACHE and django_request.method == "GET" and django_request.path in CACHED_PATHS:
        response_key = f"bench:resp:{user_id}:{django_request.get_full_path()}"
    body = None
    if REDIS is not None:  # one round trip: the session, the rate counter (and a cached body) together
        pipe = REDIS.pipeline(transaction=False)
        pipe.get(key)
        pipe.incr(rate_key)
        pipe.expire(rate_key, period + 1, nx=True)
        if response_key:
            pipe.get(response_key)
        cached, count, _, *rest = pipe.execute()
        body = rest[0] if rest else None
    else:
        cached = cache.get(key)
        if not cache.add(rate_key, 1, period + 1):
            count = cache.incr(rate_key)
        else:
            count = 1
        if response_key:
            body = cache.get(response_key)
    django_request.bench_response = (response_key, body)
    if cached is None:
        user = (
            User.objects.filter(pk=user_id, is_active=True, auth_sessions__pk=session_id,
                                auth_sessions__revoked_at__isnull=True, auth_sessions__expires_at__gt=timezone.now())
            .values(*USER_FIELDS).first()
        )
        if user is None:
            raise authentication.TokenRejected()
        if REDIS is not None:
            REDIS.set(key, json.dumps(user), ex=SESSION_TTL)
        else:
            cache.set(key, user, SESSION_TTL)
        fields = user
    else:
        fields = json.loads(cached) if isinstance(cached, bytes) else cached
    user = User(**fields)
    user._state.adding = False
    user._state.db = "default"
    request._request.auth_session_id = session_id
    request._request.bench_rate = {"count": count, "limit": limit, "time_left": period - int(time.time()) % period,
                                   "should_limit": count > limit}
    return user, token


_original_allow = ratelimit.ApiRateLimit.allow_request


def _allow_request(self, request, view):
    result = getattr(request._request, "bench_rate", None)
    if result is None or not settings.RATELIMIT_ENABLE:
        return _original_allow(self, request, view)
    self.result = result
    ratelimit._publish_headers(request, result)
    return not result["should_limit"]


_catalog: dict = {"at": 0.0, "rows": None}


def _category_progress_list(user):
    if _catalog["rows"] is None or time.monotonic() - _catalog["at"] > 30:
        _catalog["rows"] = list(Category.objects.annotate(
            published=Count("lessons", filter=Q(lessons__is_published=True))
        ).values_list("pk", "slug", "name", "order", "published"))
        _catalog["at"] = time.monotonic()
    mine = {
        row["category_id"]: row
        for row in UserProgress.objects.filter(user=user).values("category_id", "progress", "total_lessons", "last_updated")
    }
    result = []
    for pk, slug, name, order, published in _catalog["rows"]:
        row = mine.get(pk)
        result.append(selectors.CategoryProgress(
            slug=slug, name=name, order=order, progress=row["progress"] if row else 0,
            total_lessons=row["total_lessons"] if row else published, last_updated=row["last_updated"] if row else None,
        ))
    return result


from rest_framework.response import Response  # noqa: E402

from progress.api.views import ProgressViewSet  # noqa: E402

_original_list = ProgressViewSet.list


def _list(self, request):
    response_key, body = getattr(request._request, "bench_response", (None, None))
    if body is not None:
        return Response(json.loads(body) if isinstance(body, bytes) else body)
    response = _original_list(self, request)
    if response_key and response.status_code == 200:
        data = json.dumps(response.data, default=str)
        if REDIS is not None:
            REDIS.set(response_key, data, ex=RESPONSE_TTL)
        else:
            cache.set(response_key, data, RESPONSE_TTL)
    return response


ProgressViewSet.list = _list
authentication.SessionJWTAuthentication.authenticate = _authenticate
ratelimit.ApiRateLimit.allow_request = _allow_request
selectors.category_progress_list = _category_progress_list
