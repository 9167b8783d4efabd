"""Dashboard pages for signing in, registering and signing out."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import LoginForm, RegisterForm
from controlpanel.api import ratelimit
from controlpanel.api.exceptions import RateLimitedError, ServiceUnavailableError


def _address_limited(request, group: str, rate_setting: str) -> str | None:
    """A friendly message when this address is rate-limited, else None."""
    from django.conf import settings

    try:
        result = ratelimit.usage(request, group=group, rate=getattr(settings, rate_setting),
                                 key=f"ip:{request.client_ip}", increment=True, fail_closed=True)
    except ServiceUnavailableError:
        return "Signing in is briefly unavailable. Please try again in a moment."
    if result and result["should_limit"]:
        minutes = max(1, int(result["time_left"]) // 60)
        return f"Too many attempts from your network. Please wait about {minutes} minute(s) and try again."
    return None


class PageLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        problem = _address_limited(request, "login-address", "RATELIMIT_LOGIN_ADDRESS_RATE")
        identifier = request.POST.get("username", "")
        if problem is None and identifier:
            try:
                ratelimit.login_account_check(request, identifier)
            except RateLimitedError:
                problem = "Too many failed sign-ins for this account. Please try again later."
            except ServiceUnavailableError:
                problem = "Signing in is briefly unavailable. Please try again in a moment."
        if problem:
            messages.error(request, problem)
            form = self.get_form()
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        identifier = self.request.POST.get("username", "")
        if identifier and form.errors.get("__all__"):
            try:
                ratelimit.login_account_failed(self.request, identifier)
            except ServiceUnavailableError:
                pass
        return super().form_invalid(form)


def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        problem = _address_limited(request, "register-address", "RATELIMIT_REGISTER_ADDRESS_RATE")
        if problem:
            messages.error(request, problem)
            return render(request, "accounts/register.html", {"form": form}, status=429)
        if form.is_valid():
            user = services.user_register(**form.cleaned_data)
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
