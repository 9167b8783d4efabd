"""Dashboard pages: sign in, register, sign out, profile and preferences, password, sessions."""

import re

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PreferencesForm,
    ProfileForm,
    RegisterForm,
    add_service_errors,
)
from controlpanel.api import ratelimit
from controlpanel.errors import ApplicationError, RateLimitedError, ServiceUnavailableError

UNAVAILABLE = "Signing in is briefly unavailable. Please try again in a moment."


def _address_limited(request, scope: str, rate_setting: str) -> tuple[str, int] | None:
    """A friendly message and status when this address is rate-limited (429) or the limit
    store is down (503: logins and registrations fail closed), else None."""
    try:
        usage = ratelimit.page_limited(request, scope=scope, rate_setting=rate_setting,
                                       key=ratelimit.address_key(request), fail_closed=True)
    except ServiceUnavailableError:
        return UNAVAILABLE, 503
    if usage is not None:
        minutes = max(1, usage.time_left // 60)
        return f"Too many attempts from your network. Please wait about {minutes} minute(s) and try again.", 429
    return None


def login_guarded(request, attempt):
    """A sign-in form's POST under the login limits, for the dashboard and the Django admin alike.

    The per-address limit is counted first; then ``attempt()`` runs the form, whose ``clean``
    calls ``services.login_with_password`` (the per-account rule, shared with the API). Returns
    ``(response, None)`` when the attempt ran, or ``(None, (message, status))`` when a limit
    refused it (429) or the limit store is down (503); the message is queued for the page.
    """
    problem = _address_limited(request, "login-address", "RATELIMIT_LOGIN_ADDRESS_RATE")
    if problem is None:
        try:
            return attempt(), None
        except RateLimitedError:  # the account's failure budget is spent
            problem = "Too many failed sign-ins for this account. Please try again later.", 429
        except ServiceUnavailableError:
            problem = UNAVAILABLE, 503
    messages.error(request, problem[0])
    return None, problem


class PageLoginView(LoginView):
    """Sign-in through ``services.login_with_password`` (the form calls it), as the API does."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        response, problem = login_guarded(request, lambda: super(PageLoginView, self).post(request, *args, **kwargs))
        if response is not None:
            return response
        # Unbound (the name kept): a bound form would run the login protocol again as it renders.
        form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
        return self.render_to_response(self.get_context_data(form=form), status=problem[1])


def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        problem = _address_limited(request, "register-address", "RATELIMIT_REGISTER_ADDRESS_RATE")
        if problem:
            messages.error(request, problem[0])
            return render(request, "accounts/register.html", {"form": form}, status=problem[1])
        if form.is_valid():
            try:
                user = services.user_register(**form.cleaned_data)
            except (ApplicationError, DjangoValidationError) as exc:  # e.g. a concurrent sign-up took the name
                add_service_errors(form, exc)
            else:
                from accounts.verification import send_verification

                send_verification(user=user)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to Control Panel, {user.username}!")
                return redirect("home")
    return render(request, "accounts/register.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("landing")


def landing(request):
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "landing.html")


def _preferences_initial(prefs) -> dict:
    return {name: getattr(prefs, name) for name in PreferencesForm.base_fields}


@login_required
def profile(request):
    """Account details and preferences; each form posts back here with its own ``action``."""
    user = request.user
    prefs = services.preferences_get(user=user)
    action = request.POST.get("action") if request.method == "POST" else None
    profile_form = ProfileForm(request.POST if action == "profile" else None,
                               initial={"email": user.email, "first_name": user.first_name, "last_name": user.last_name},
                               prefix="profile")
    preferences_form = PreferencesForm(request.POST if action == "preferences" else None,
                                       initial=_preferences_initial(prefs), prefix="prefs")
    status = 200
    if action == "profile":
        if _save_form(request, profile_form, lambda data: services.user_update(user=user, **data),
                      "Your account details are saved."):
            return redirect("accounts:profile")
        status = 400
    elif action == "preferences":
        if _save_form(request, preferences_form, lambda data: services.preferences_update(user=user, **data),
                      "Your preferences are saved."):
            return redirect("accounts:profile")
        status = 400
    elif request.method == "POST":
        messages.error(request, "That form was not recognised.")
        status = 400
    context = {"profile_form": profile_form, "preferences_form": preferences_form,
               "weekly_email": prefs.weekly_progress_email}
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def password(request):
    """Change the password (needs the current one); every other session of the user ends."""
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = services.password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                keep_session_id=getattr(request, "auth_session_id", None),
            )
        except (ApplicationError, DjangoValidationError) as exc:
            add_service_errors(form, exc)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)
            ended = f" {revoked} other session{'s' if revoked != 1 else ''} ended." if revoked else ""
            messages.success(request, f"Your password is changed.{ended}")
            return redirect("accounts:profile")
    return render(request, "accounts/password.html", {"form": form}, status=400 if form.errors else 200)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"), ("python-requests", "Python requests"),
             ("python-httpx", "Python httpx"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_label(user_agent: str) -> str:
    """A short, human name for a User-Agent string ("Firefox on Linux")."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for needle, name in _BROWSERS if needle in user_agent), None)
    system = next((name for needle, name in _SYSTEMS if needle in user_agent), None)
    if "HeadlessChrome" in user_agent:
        browser = "Headless Chrome"
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    return re.split(r"[\s/;(]", user_agent, maxsplit=1)[0][:40] or "Unknown device"


@login_required
def sessions(request):
    """The user's active sessions: browsers and API clients, the current one marked."""
    current = str(getattr(request, "auth_session_id", "") or "")
    rows = [
        {"session": row, "device": device_label(row.user_agent), "current": str(row.pk) == current}
        for row in selectors.session_list_active(user=request.user)
    ]
    rows.sort(key=lambda r: not r["current"])
    return render(request, "accounts/sessions.html", {"rows": rows, "others": sum(not r["current"] for r in rows)})


@login_required
@require_POST
def session_revoke(request, session_id):
    session = selectors.session_list_active(user=request.user).filter(pk=session_id).first()
    if session is None:
        messages.error(request, "That session has already ended.")
    elif str(session.pk) == str(getattr(request, "auth_session_id", "") or ""):
        messages.error(request, "This is the session you are using; log out to end it.")
    else:
        services.session_revoke(session=session, reason="revoked_by_user")
        messages.success(request, "The session is ended; its tokens no longer work.")
    return redirect("accounts:sessions")


@login_required
@require_POST
def sessions_revoke_others(request):
    revoked = services.sessions_revoke_all(user=request.user, reason="revoked_by_user",
                                           keep_session_id=getattr(request, "auth_session_id", None))
    messages.success(request, f"{revoked} other session{'s' if revoked != 1 else ''} ended." if revoked
                     else "There were no other sessions to end.")
    return redirect("accounts:sessions")


def _save_form(request, form, save, success: str) -> bool:
    """Validate ``form`` and hand its data to the service ``save``; service errors land on the form."""
    if not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except (ApplicationError, DjangoValidationError) as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, success)
    return True
