"""The "Delete my account" page: a confirmation with the password, then signed out on the landing page."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.deletion import account_delete
from accounts.forms import add_service_errors
from controlpanel.errors import ApplicationError


class AccountDeleteForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False, max_length=1024,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


@login_required
def account_delete_page(request):
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_delete(user=request.user, password=form.cleaned_data["password"])
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            logout(request)
            messages.success(request, "Your account and everything we held about you are deleted.")
            return redirect("landing")
    return render(request, "accounts/delete.html", {"form": form}, status=400 if form.errors else 200)
