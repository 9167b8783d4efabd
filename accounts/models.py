import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.validators import username_key, username_normalize, validate_time_zone, validate_username
from controlpanel.styles import style_members


class CaseInsensitiveUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username_key=username_key(username))

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """``createsuperuser``'s staff: the address an operator typed counts as verified, so reports reach it."""
        if email:
            extra_fields.setdefault("email_verified_at", timezone.now())
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A learner or staff member; username and e-mail are unique whatever their case."""

    username = models.CharField(
        "username", max_length=150, unique=True, validators=[validate_username],
        help_text="Required. 150 characters or fewer. Letters, digits and ./+/-/_ only (no @).",
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField("email address", unique=False)
    username_key = models.CharField(
        max_length=600, unique=True, editable=False,
        help_text="The username folded for comparison (NFKC, case folding, look-alike letters): one account per key.",
    )
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When ``email`` was verified through its link; e-mail goes only to verified addresses."
    )
    pending_email = models.EmailField(
        "pending e-mail address", blank=True,
        help_text="A new address waiting for its verification link; ``email`` changes once it is verified.",
    )

    objects = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"),
        ]

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip().lower()

    def save(self, *args, **kwargs):
        """The username is stored NFKC-normalised and its ``username_key`` always follows it."""
        self.username = username_normalize(self.username)
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)


class AuthSessionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def for_user(self, user):
        return self.filter(user=user)


class AuthSession(models.Model):
    """One login: an API client's token family or a browser's session.

    Tokens carry this row's id; the API's authentication checks it is active in the same
    query that loads the user, so revoking the row ends the session on every app server at
    once. No raw token is stored: only the id (jti) of the one refresh token still valid.
    Each refresh moves ``expires_at`` on, but never past ``absolute_expires_at``, set at login.
    """

    class Kind(models.TextChoices):
        API = "api", "API client"
        BROWSER = "browser", "Browser"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auth_sessions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.API)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    absolute_expires_at = models.DateTimeField(
        help_text="The session's hard end (login + SESSION_ABSOLUTE_DAYS); refreshing never goes beyond it."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    refresh_jti = models.CharField(max_length=64, blank=True)

    objects = AuthSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="authsession_user_active")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} session of {self.user_id} from {self.client_ip or '?'}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class UserPreferences(models.Model):
    """How a user likes the product to behave; one row per user."""

    class Theme(models.TextChoices):
        SYSTEM = "system", "Follow the system"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    Style = models.TextChoices("Style", style_members())  # the lesson styles (controlpanel.styles)

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    theme = models.CharField(max_length=10, choices=Theme.choices, default=Theme.SYSTEM)
    turbo_default = models.BooleanField(default=True)
    preferred_style = models.CharField(max_length=12, choices=Style.choices, blank=True)
    daily_goal_minutes = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    weekly_progress_email = models.BooleanField(
        default=False, help_text="E-mail the learner a summary of their own progress every Monday."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "user preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"
