"""Pages for e-mail changes and verification links."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect, render

from accounts import verification
from accounts.forms import add_service_errors
from controlpanel.errors import ApplicationError


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New e-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    current_password = forms.CharField(label="Current password", strip=False, max_length=settings.PASSWORD_MAX_LENGTH,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


@login_required
def email_change(request):
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.email_change_request(user=request.user, **form.cleaned_data)
        except (ApplicationError, DjangoValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "We sent a verification link to the new address; it takes effect once you use it.")
            return redirect("accounts:email")
    return render(request, "accounts/email_change.html", {"form": form}, status=400 if form.errors else 200)


def email_verify(request, token):
    try:
        verification.email_verify(token=token)
    except ApplicationError:
        return render(request, "accounts/email_verify_invalid.html", status=400)
    messages.success(request, "Your e-mail address is verified.")
    return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")
