from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from csi.core.models import AuditEvent, Notification, ScheduledRun


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "verb", "object_type", "object_repr", "request_id"]
    list_filter = ["verb", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id", "request_id"]

    # The trail is append-only, in the admin too.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ["job", "slot_at", "enqueued_at", "task_result_id"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "title", "verb", "scope", "read_at"]
    list_filter = ["verb"]
    search_fields = ["title", "recipient__username", "scope"]
    list_select_related = ["recipient"]

    # Notifications are written by the services (notify) and read by their recipients; the admin only
    # looks, so nobody's inbox is changed behind their back.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
