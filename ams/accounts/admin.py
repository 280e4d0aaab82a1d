from django.contrib import admin

from ams.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ["email", "name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "name"]
    list_filter = ["is_active", "is_staff"]
    fields = ["email", "name", "is_active", "is_staff", "date_joined", "last_login"]
    readonly_fields = ["date_joined", "last_login"]
