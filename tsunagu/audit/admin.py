from django.contrib import admin

from tsunagu.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail can be searched here but never changed."""

    list_display = ["at", "username", "facility_name", "action", "object_type", "object_ref", "ip"]
    list_filter = ["action"]
    search_fields = ["username", "facility_name", "object_ref"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
