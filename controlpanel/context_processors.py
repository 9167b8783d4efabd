from django.conf import settings

# Which main-navigation entry a page belongs to, from its URL namespace or name.
_NAV_SECTIONS = {
    "home": "home",
    "lessons": "lessons",
    "progress": "progress",
    "search": "search",
    "staff": "staff",
    "login": "login",
    "register": "register",
}


def _nav_section(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.namespace == "staff" and (match.url_name or "").startswith("report"):
        return "reports"
    if match.namespace == "accounts":
        return _NAV_SECTIONS.get(match.url_name or "", "account")
    if match.namespace in _NAV_SECTIONS:
        return _NAV_SECTIONS[match.namespace]
    return _NAV_SECTIONS.get(match.url_name or "", "")


def product(request):
    """Product facts every page template may show, the user's theme and the active nav entry."""
    theme = "system"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        prefs = getattr(user, "preferences", None)
        if prefs is not None:
            theme = prefs.theme
    return {
        "product_name": "Control Panel",
        "product_version": settings.VERSION,
        "theme": theme,
        "nav_section": _nav_section(request),
    }
