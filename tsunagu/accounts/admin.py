from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from tsunagu.accounts.models import Membership, User


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0


@admin.register(User)
class TsunaguUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username",
        "display_name",
        "is_office",
        "must_change_password",
        "last_login",
        "is_active",
    ]
    list_filter = ["is_office", "is_active", "must_change_password"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = UserAdmin.fieldsets + (
        (
            "つなぐ",
            {
                "fields": [
                    "display_name",
                    "is_office",
                    "wants_email",
                    "must_change_password",
                    "password_changed_at",
                ]
            },
        ),
    )
    readonly_fields = ["password_changed_at", "last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        # A password typed by an administrator is an initial password: the user replaces it.
        if not change or "password" in form.changed_data:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)
