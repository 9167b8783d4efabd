from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AdminPasswordChangeForm as DjangoAdminPasswordChangeForm
from django.contrib.auth.forms import AdminUserCreationForm as DjangoAdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.views.decorators.cache import never_cache

from accounts.forms import AdminLoginForm
from accounts.models import AuthSession, User, UserPreferences
from accounts.services import session_revoke, sessions_revoke_all, user_deactivate, user_set_password
from accounts.views import login_guarded

_django_admin_login = admin.site.login


@never_cache
@login_not_required
def admin_login(request, extra_context=None):
    """The admin's sign-in under the same per-address and per-account limits as the API and the
    dashboard (``accounts.views.login_guarded`` around ``services.login_with_password``)."""
    if request.method != "POST":
        return _django_admin_login(request, extra_context)
    response, problem = login_guarded(request, lambda: _django_admin_login(request, extra_context))
    if response is not None:
        return response
    request.method = "GET"  # the page again, unbound: a bound form would run the login protocol again
    response = _django_admin_login(request, extra_context)
    response.status_code = problem[1]
    return response


admin.site.login_form = AdminLoginForm
admin.site.login = admin_login


class AdminPasswordChangeForm(DjangoAdminPasswordChangeForm):
    """Django's admin "set password" form, saved through ``accounts.services.user_set_password``:
    a password set by an admin ends every API and browser session of the user."""

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        usable = self.cleaned_data.get("set_usable_password", True)
        user_set_password(user=self.user, password=self.cleaned_data["password1"] if usable else None,
                          reason="admin_password_reset")
        return self.user


class AuthSessionInline(admin.TabularInline):
    model = AuthSession
    extra = 0
    can_delete = False
    fields = ["kind", "client_ip", "user_agent", "created_at", "last_seen_at", "expires_at", "revoked_at", "revoked_reason"]
    readonly_fields = fields
    ordering = ["-last_seen_at"]

    def has_add_permission(self, request, obj=None):
        return False


class PreferencesInline(admin.StackedInline):
    model = UserPreferences
    can_delete = False


class AdminUserCreationForm(DjangoAdminUserCreationForm):
    """Django's admin "add user" form on this project's ``User``, so its username rules apply."""

    class Meta(DjangoAdminUserCreationForm.Meta):
        model = User


class AdminUserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [PreferencesInline, AuthSessionInline]
    actions = ["revoke_all_sessions"]
    list_display = ["username", "email", "is_staff", "is_active", "date_joined", "last_login"]
    change_password_form = AdminPasswordChangeForm
    add_form = AdminUserCreationForm
    form = AdminUserChangeForm

    def view_on_site(self, obj):
        """The change page's "View on site" button opens the staff view of this learner."""
        from django.urls import reverse

        return reverse("staff:learner", args=[obj.pk])

    def save_model(self, request, obj, form, change):
        """Saved as Django does; deactivating goes through ``accounts.services.user_deactivate``,
        which ends every session, so re-activating later revives none."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_deactivate(user=obj, reason="admin_deactivate")

    @admin.action(description="Revoke all sessions (log out everywhere)")
    def revoke_all_sessions(self, request, queryset):
        total = sum(sessions_revoke_all(user=user, reason="admin_revoke") for user in queryset)
        self.message_user(request, f"Revoked {total} session(s).", messages.SUCCESS)


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "client_ip", "created_at", "last_seen_at", "expires_at", "revoked_at", "revoked_reason"]
    list_filter = ["kind", "revoked_reason"]
    search_fields = ["user__username", "user__email", "client_ip"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in AuthSession._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected sessions")
    def revoke(self, request, queryset):
        count = sum(session_revoke(session=s, reason="admin_revoke") for s in queryset)
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)
