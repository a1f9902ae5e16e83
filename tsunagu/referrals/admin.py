"""Read-only admin: the office may look at referrals; status changes only through services.transition()."""

from django.contrib import admin

from tsunagu.audit.admin import AuditedAdminMixin
from tsunagu.referrals.models import Referral, ReferralEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    fields = ["at", "from_status", "to_status", "actor", "actor_facility", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ["case", "receiver", "unit", "direction", "status", "deadline", "created_at"]
    list_filter = ["status", "direction"]
    search_fields = ["case__ref", "receiver__name"]
    list_select_related = ["case", "receiver", "unit"]
    inlines = [EventInline]
