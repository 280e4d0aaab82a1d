from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ams.support.models import Status, SupportRequest
from ams.support.services import support_request_update


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin[SupportRequest]):
    """Operators read a request, answer it and set its status; the requester is emailed."""

    list_display = ["reference", "topic", "status", "email", "created_at"]
    list_filter = ["status", "topic"]
    search_fields = ["reference", "email"]
    fields = ["reference", "topic", "email", "name", "user", "message", "status", "reply"]
    readonly_fields = ["reference", "topic", "email", "name", "user", "message", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: SupportRequest, form: Any, change: bool
    ) -> None:
        support_request_update(request=obj, status=Status(obj.status), reply=obj.reply)
