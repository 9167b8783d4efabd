from django.conf import settings


def product(request):
    """Product facts every page template may show."""
    theme = "system"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        prefs = getattr(user, "preferences", None)
        if prefs is not None:
            theme = prefs.theme
    return {"product_name": "Control Panel", "product_version": settings.VERSION, "theme": theme}
