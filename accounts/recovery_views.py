"""Pages for password reset by e-mail: request, "check your e-mail", and the confirm page from the link."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect, render

from accounts import recovery
from accounts.forms import add_service_errors
from accounts.views import UNAVAILABLE
from controlpanel.errors import ApplicationError, RateLimitedError, ServiceUnavailableError


class PasswordResetRequestForm(forms.Form):
    identifier = forms.CharField(label="E-mail or username", max_length=254)


class PasswordResetConfirmForm(forms.Form):
    new_password = forms.CharField(label="New password", strip=False, max_length=settings.PASSWORD_MAX_LENGTH,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password_again = forms.CharField(label="New password again", strip=False,
                                         max_length=settings.PASSWORD_MAX_LENGTH,
                                         widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two passwords do not match.")
        return data


def password_reset_request(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recovery.password_reset_request(identifier=form.cleaned_data["identifier"],
                                            client_ip=getattr(request, "client_ip", None))
        except RateLimitedError:
            messages.error(request, "Too many password reset requests. Please try again later.")
            return render(request, "accounts/password_reset_request.html", {"form": form}, status=429)
        except ServiceUnavailableError:
            messages.error(request, UNAVAILABLE)
            return render(request, "accounts/password_reset_request.html", {"form": form}, status=503)
        return redirect("accounts:password-reset-sent")
    return render(request, "accounts/password_reset_request.html", {"form": form}, status=400 if form.errors else 200)


def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html", {"message": recovery.RESET_REQUESTED_MESSAGE})


def password_reset_confirm(request, uidb64, token):
    try:
        recovery.password_reset_check(uidb64=uidb64, token=token)
    except ApplicationError:
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = PasswordResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recovery.password_reset_confirm(uidb64=uidb64, token=token,
                                            new_password=form.cleaned_data["new_password"])
        except (ApplicationError, DjangoValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your password is set. Log in with it.")
            return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form}, status=400 if form.errors else 200)
