from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from csi.accounts.models import ApiToken, User


@admin.register(User)
class CsiUserAdmin(UserAdmin):
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["digest", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "user__username", "prefix"]
