"""The network office extends the reference data here: areas, municipalities, kinds, care needs."""

from django.contrib import admin

from tsunagu.network.models import CareNeed, FacilityKind, MedicalArea, Municipality


@admin.register(MedicalArea)
class MedicalAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "pref_name"]
    list_filter = ["pref_name"]
    search_fields = ["code", "name"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "pref_name", "area", "parent"]
    list_filter = ["area", "pref_name"]
    search_fields = ["code", "name", "kana"]
    list_select_related = ["area", "parent"]
    autocomplete_fields = ["area", "parent"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # The units of its facilities copy its area, prefecture and position for the search.
            Municipality.objects.filter(pk=obj.pk).sync_unit_search_fields()


@admin.register(FacilityKind)
class FacilityKindAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "group", "has_beds", "is_unit_kind", "sort_order"]
    list_filter = ["group", "has_beds", "is_unit_kind"]
    search_fields = ["code", "name", "short_name"]

    def get_readonly_fields(self, request, obj=None):
        # Codes are referenced by importers and saved searches; they never change once used.
        return ["code"] if obj else []


@admin.register(CareNeed)
class CareNeedAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "group", "bit", "at_night_matters", "active", "sort_order"]
    list_filter = ["group", "active"]
    search_fields = ["code", "label"]
    readonly_fields = ["bit"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "bit"] if obj else ["bit"]

    def save_model(self, request, obj, form, change):
        if not change:
            # The bit is the need's place in the search masks: the next free one, never reused by hand.
            obj.bit = CareNeed.next_free_bit()
        super().save_model(request, obj, form, change)
