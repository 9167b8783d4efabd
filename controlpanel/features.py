"""Public, non-secret facts about this deployment (``config/system``)."""

from django.conf import settings


def system_facts() -> dict:
    return {
        "version": settings.VERSION,
        "features": {
            "turbo_search": True,
            "recommendations": True,
            "reports": True,
            "lesson_generation": True,
        },
        "limits": {
            "api": settings.RATELIMIT_API_RATE,
            "search": settings.RATELIMIT_SEARCH_RATE,
            "login_failures_per_account": settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES,
            "login_per_address": settings.RATELIMIT_LOGIN_ADDRESS_RATE,
            "register_per_address": settings.RATELIMIT_REGISTER_ADDRESS_RATE,
            "page_size_max": 100,
        },
        "tokens": {
            "access_lifetime_seconds": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
            "refresh_lifetime_seconds": int(settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
            "refresh_rotates": True,
        },
    }
