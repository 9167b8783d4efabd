from django.conf import settings
from rest_framework import serializers

from accounts.models import AuthSession, User, UserPreferences
from accounts.validators import validate_time_zone, validate_username

PASSWORD_FIELD = {"write_only": True, "trim_whitespace": False, "max_length": settings.PASSWORD_MAX_LENGTH}


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.CharField(min_length=3, max_length=150, validators=[validate_username])
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(**PASSWORD_FIELD)


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="Username or e-mail address.")
    password = serializers.CharField(**PASSWORD_FIELD)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(**PASSWORD_FIELD)
    new_password = serializers.CharField(**PASSWORD_FIELD)


class UserOutputSerializer(serializers.ModelSerializer):
    pending_email = serializers.CharField(read_only=True, allow_blank=True,
                                          help_text="A new address waiting for its verification link, or empty.")

    class Meta:
        model = User
        fields = ["id", "username", "email", "email_verified_at", "pending_email", "first_name", "last_name", "is_staff",
                  "date_joined"]
        read_only_fields = fields


class UserUpdateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()
    session_id = serializers.UUIDField(source="session.pk")


class RegisterOutputSerializer(serializers.Serializer):
    user = UserOutputSerializer()
    tokens = TokenPairOutputSerializer()


class SessionOutputSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()
    device = serializers.CharField(source="user_agent")

    class Meta:
        model = AuthSession
        fields = ["id", "kind", "device", "client_ip", "created_at", "last_seen_at", "expires_at", "current"]
        read_only_fields = fields

    def get_current(self, obj) -> bool:
        return str(obj.pk) == str(self.context.get("current_session_id"))


class SessionsRevokedOutputSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class PreferencesSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserPreferences
        fields = ["theme", "turbo_default", "preferred_style", "daily_goal_minutes", "time_zone",
                  "weekly_progress_email"]
        extra_kwargs = {"time_zone": {"validators": [validate_time_zone]}}


class AccountDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


# The schema generator documents no body on a DELETE; ``DELETE auth/me/`` takes this one (the serializer's fields).
ACCOUNT_DELETE_BODY = {"type": "object", "additionalProperties": False, "required": ["password"],
                       "properties": {"password": {"type": "string", "writeOnly": True, "minLength": 1, "maxLength": 4096}}}


class AccountExportOutputSerializer(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    profile = serializers.DictField()
    preferences = serializers.DictField(allow_null=True)
    sessions = serializers.ListField(child=serializers.DictField())
    lesson_records = serializers.ListField(child=serializers.DictField())
    progress_markers = serializers.ListField(child=serializers.DictField())
    progress_history = serializers.ListField(child=serializers.DictField())
    streak = serializers.DictField(allow_null=True)
    badges = serializers.ListField(child=serializers.DictField())
    weekly_emails = serializers.ListField(child=serializers.DictField())
    search_history = serializers.ListField(child=serializers.DictField())
    saved_searches = serializers.ListField(child=serializers.DictField())
    activity_days = serializers.ListField(child=serializers.DictField())
