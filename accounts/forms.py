from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password

from accounts.models import User, UserPreferences
from accounts.validators import time_zone_choices, username_normalize, validate_time_zone, validate_username
from controlpanel.errors import ApplicationError


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="Username or e-mail", max_length=254,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))

    def clean(self):
        """The login protocol of ``accounts.services.login_with_password``; an account over its
        failure budget or a rate-limit store that is down raise out of ``is_valid`` (the view
        answers them)."""
        from accounts.services import InvalidCredentials, login_with_password

        identifier = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if identifier and password:
            try:
                self.user_cache = login_with_password(identifier=identifier, password=password,
                                                      client_ip=getattr(self.request, "client_ip", None))
            except InvalidCredentials:
                raise forms.ValidationError("Unable to log in with that username/e-mail and password.",
                                            code="invalid_login") from None
        return self.cleaned_data


class AdminLoginForm(LoginForm):
    """The Django admin's sign-in: the same login protocol, then the admin's own rule (staff only)."""

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": "Please enter the correct %(username)s and password for a staff account. "
                         "Note that both fields may be case-sensitive.",
    }
    required_css_class = "required"

    def clean(self):
        data = super().clean()
        if self.user_cache is not None:
            self.confirm_login_allowed(self.user_cache)
        return data

    def confirm_login_allowed(self, user):
        """As Django's ``AdminAuthenticationForm``: active staff only."""
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                        params={"username": self.username_field.verbose_name})


def _check_available(*, username: str | None = None, email: str | None = None) -> None:
    """The service's availability rule, as a field error."""
    from accounts.services import registration_check_available

    try:
        registration_check_available(username=username, email=email)
    except ApplicationError as exc:
        raise forms.ValidationError(exc.message) from None


class RegisterForm(forms.Form):
    username = forms.CharField(max_length=150, min_length=3, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(max_length=1024, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="At least 10 characters, not a common or all-numeric password.")

    def clean_username(self):
        value = username_normalize(self.cleaned_data["username"])
        validate_username(value)
        _check_available(username=value)
        return value

    def clean_email(self):
        value = self.cleaned_data["email"].strip().lower()
        _check_available(email=value)
        return value

    def clean(self):
        data = super().clean()
        if data.get("password") and (self.has_error("username") or self.has_error("email")):
            # A taken name costs the same hashing work as a registration that goes through.
            make_password(data["password"])
        if data.get("password"):
            # Checked even when the username or e-mail field failed, so every problem shows at once.
            username = data.get("username") or self.data.get("username", "")
            email = data.get("email") or self.data.get("email", "")
            try:
                validate_password(data["password"], user=User(username=username, email=email))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ProfileForm(forms.Form):
    """Account details a learner may change; saved through ``accounts.services.user_update``."""

    first_name = forms.CharField(label="First name", max_length=150, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label="Last name", max_length=150, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))


class PreferencesForm(forms.Form):
    """How the product behaves for this learner; saved through ``accounts.services.preferences_update``."""

    theme = forms.ChoiceField(label="Theme", choices=UserPreferences.Theme.choices,
                              widget=forms.Select(attrs={"data-theme-preview": "true"}))
    turbo_default = forms.BooleanField(label="Use turbo search by default", required=False,
                                       help_text="Turbo uses the full-text index; you can switch it per search.")
    preferred_style = forms.ChoiceField(label="Preferred lesson style", required=False,
                                        choices=[("", "No preference"), *UserPreferences.Style.choices],
                                        help_text="Recommendations favour lessons in this style.")
    daily_goal_minutes = forms.IntegerField(label="Daily goal (minutes)", min_value=5, max_value=240)
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices, validators=[validate_time_zone],
                                  help_text="Streaks and activity charts count days in this time zone.")
    weekly_progress_email = forms.BooleanField(
        label="E-mail me my weekly progress summary", required=False,
        help_text="Every Monday: the lessons you completed last week, your minutes, streak and daily goal, "
                  "your overall progress and what to do next. Only your own progress; unsubscribe from any e-mail.")


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(label="Current password", strip=False, max_length=1024,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label="New password", strip=False, max_length=1024,
                                   help_text="At least 10 characters, not a common or all-numeric password.",
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password_again = forms.CharField(label="New password, again", strip=False, max_length=1024,
                                         widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password_again") and data["new_password"] != data["new_password_again"]:
            self.add_error("new_password_again", "The two new passwords differ.")
        if data.get("new_password"):  # shown with the other problems; the service checks again
            try:
                validate_password(data["new_password"], user=self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return data


def add_service_errors(form: forms.Form, exc: Exception) -> None:
    """Show a service's ValidationError or ApplicationError details next to the form's fields."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict"):
        errors = {name: [message for e in items for message in e.messages] for name, items in exc.error_dict.items()}
    elif isinstance(exc, DjangoValidationError):
        errors = {None: exc.messages}
    else:
        details = getattr(exc, "details", None) or {}
        errors = {name: list(value) if isinstance(value, list | tuple) else [str(value)] for name, value in details.items()}
        if not errors:
            errors = {None: [str(getattr(exc, "message", exc))]}
    for name, messages in errors.items():
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, message)
