from django.contrib import admin
from django.contrib.admin.utils import unquote

from tsunagu.audit.models import AuditEvent
from tsunagu.audit.services import Action, object_reference, record


class AuditedAdminMixin:
    """Looking at or changing these records in the admin leaves audit rows, as the product's pages do.

    For the office's view of cases, referrals and two-factor devices: the list (with its search),
    each record opened, and each save or deletion. Rows say `"via": "admin"` in their detail.
    """

    def audit_detail(self, obj):
        """Extra non-personal facts for the row of `obj` (e.g. whose device it is)."""
        return {}

    def _audit(self, request, action, obj=None, **detail):
        object_type, object_ref = object_reference(obj) if obj is not None else ("", "")
        if obj is not None:
            detail.update(self.audit_detail(obj))
        record(
            request,
            action,
            object_type=object_type or self.model._meta.model_name,
            # Records without a public id (two-factor devices) are named by their admin id.
            object_ref=object_ref or (str(obj.pk) if obj is not None else ""),
            detail={"via": "admin", **detail},
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self._audit(request, Action.VIEW, page="list", query=request.GET.urlencode()[:300])
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = (getattr(response, "context_data", None) or {}).get("original")
            if obj is None:
                obj = self.get_object(request, unquote(object_id))
            self._audit(request, Action.VIEW, obj, page="change")
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._audit(request, Action.UPDATE if change else Action.CREATE, obj, fields=form.changed_data)

    def delete_model(self, request, obj):
        self._audit(request, Action.DELETE, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit(request, Action.DELETE, obj)
        super().delete_queryset(request, queryset)


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
