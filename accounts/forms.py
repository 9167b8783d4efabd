from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password

from accounts.models import User


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="Username or e-mail", max_length=254,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))

    def clean(self):
        from accounts.services import InvalidCredentials, user_authenticate

        identifier = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if identifier and password:
            try:
                self.user_cache = user_authenticate(identifier=identifier, password=password)
            except InvalidCredentials:
                raise forms.ValidationError("Unable to log in with that username/e-mail and password.", code="invalid_login")
        return self.cleaned_data


class RegisterForm(forms.Form):
    username = forms.CharField(max_length=150, min_length=3, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(max_length=1024, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_username(self):
        from django.contrib.auth.validators import UnicodeUsernameValidator

        value = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(value)
        if User.objects.filter(username__iexact=value).exists():
            raise forms.ValidationError("That username is taken.")
        return value

    def clean_email(self):
        value = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=value).exists():
            raise forms.ValidationError("That e-mail is already registered.")
        return value

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("username"):
            try:
                validate_password(data["password"], user=User(username=data["username"], email=data.get("email", "")))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data
