"""The network office's view of facilities and imports in the Django admin."""

from django.contrib import admin
from django.db import models

from tsunagu.facilities.models import (
    CoordinationDesk,
    Facility,
    ImportRun,
    Unit,
    UnitCapability,
    Vacancy,
)
from tsunagu.lib.privacy import GuardedCharField, GuardedTextField


class GuardedTextMixin:
    """Free text the whole network reads passes the personal-data guard in the admin too."""

    guarded_fields = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.guarded_fields:
            kwargs["form_class"] = (
                GuardedTextField if isinstance(db_field, models.TextField) else GuardedCharField
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class UnitInline(GuardedTextMixin, admin.TabularInline):
    model = Unit
    guarded_fields = ("name",)
    fields = ["name", "kind", "beds", "active", "sort_order"]
    extra = 0
    show_change_link = True


class CoordinationDeskInline(GuardedTextMixin, admin.TabularInline):
    model = CoordinationDesk
    guarded_fields = ("hours", "note")
    fields = ["name", "role", "phone", "fax", "hours"]
    extra = 0


@admin.register(Facility)
class FacilityAdmin(GuardedTextMixin, admin.ModelAdmin):
    guarded_fields = ("note",)
    list_display = [
        "name",
        "kind",
        "municipality",
        "beds_total",
        "source",
        "official_id",
        "is_demo",
        "active",
    ]
    list_filter = ["kind", "source", "is_demo", "active", "municipality__area"]
    search_fields = ["name", "kana", "official_id", "address"]
    list_select_related = ["kind", "municipality"]
    autocomplete_fields = ["municipality"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    inlines = [UnitInline, CoordinationDeskInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Units copy the facility's place and state for the search.
        Unit.objects.filter(facility=form.instance).sync_search_fields()


class UnitCapabilityInline(GuardedTextMixin, admin.TabularInline):
    model = UnitCapability
    guarded_fields = ("note",)
    fields = ["need", "level", "note"]
    extra = 0


@admin.register(Unit)
class UnitAdmin(GuardedTextMixin, admin.ModelAdmin):
    guarded_fields = ("name",)
    list_display = ["name", "facility", "kind", "beds", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "facility__name"]
    list_select_related = ["facility", "kind"]
    autocomplete_fields = ["facility"]
    readonly_fields = ["public_id"]
    inlines = [UnitCapabilityInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        unit = form.instance
        unit.refresh_capability_masks()
        unit.sync_search_fields()


@admin.register(Vacancy)
class VacancyAdmin(admin.ModelAdmin):
    """Read-only: vacancies change through the facility's own update page, which keeps history."""

    list_display = ["unit", "free_now", "expected_7d", "updated_at", "updated_by"]
    list_select_related = ["unit__facility", "updated_by"]
    search_fields = ["unit__facility__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "filename",
        "format",
        "status",
        "dry_run",
        "created_count",
        "updated_count",
        "error_count",
        "created_at",
        "created_by",
    ]
    list_filter = ["status", "format"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
