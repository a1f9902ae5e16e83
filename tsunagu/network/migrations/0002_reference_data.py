from django.db import migrations

from tsunagu.network.reference import CARE_NEEDS, FACILITY_KINDS


def load(apps, schema_editor):
    FacilityKind = apps.get_model("network", "FacilityKind")
    CareNeed = apps.get_model("network", "CareNeed")
    for order, (code, name, short, group, has_beds, unit_kind) in enumerate(FACILITY_KINDS):
        FacilityKind.objects.update_or_create(
            code=code,
            defaults=dict(name=name, short_name=short, group=group, has_beds=has_beds,
                          is_unit_kind=unit_kind, sort_order=order * 10),
        )
    for bit, (code, label, group, night) in enumerate(CARE_NEEDS):
        CareNeed.objects.update_or_create(
            code=code,
            defaults=dict(label=label, group=group, bit=bit, at_night_matters=night, sort_order=bit * 10),
        )


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
