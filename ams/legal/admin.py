from django.contrib import admin

from ams.legal.models import PolicyNotice


@admin.register(PolicyNotice)
class PolicyNoticeAdmin(admin.ModelAdmin[PolicyNotice]):
    """Who was told of which policy version, and when they acknowledged it: a record, read-only."""

    list_display = ["user", "document", "version", "emailed_at", "acknowledged_at"]
    list_filter = ["document", "version"]
    readonly_fields = ["user", "document", "version", "emailed_at", "acknowledged_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
