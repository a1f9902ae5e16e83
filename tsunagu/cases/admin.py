from django.contrib import admin

from tsunagu.audit.admin import AuditedAdminMixin
from tsunagu.cases.models import Case, CaseNeed


class CaseNeedInline(admin.TabularInline):
    model = CaseNeed
    extra = 0
    readonly_fields = ["need", "at_night"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-mostly: cases are written through the product's forms, which keep the needs in step."""

    list_display = [
        "ref",
        "owner",
        "age_band",
        "sex",
        "municipality",
        "condition_category",
        "status",
        "created_at",
    ]
    list_filter = ["status", "condition_category", "published_for_offers"]
    search_fields = ["ref", "owner__name"]
    list_select_related = ["owner", "municipality"]
    readonly_fields = [
        "ref",
        "public_id",
        "owner",
        "created_by",
        "created_at",
        "updated_at",
        "status",
        "outcome",
        "closed_at",
        "closed_by",
        "required_mask",
    ]
    raw_id_fields = ["municipality"]
    inlines = [CaseNeedInline]

    def has_add_permission(self, request):
        return False
