from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from csi.accounts.models import ApiToken, User


@admin.register(User)
class CsiUserAdmin(UserAdmin):
    """Roles, superuser status and permissions are not edited here: they change through the accounts
    services (the users page, the API, `csi`), which refuse an administrator's self-grant and audit it."""

    readonly_fields = ["groups", "user_permissions", "is_superuser", "last_login", "date_joined"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "digest", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "user__username", "prefix"]
