"""Loading the reference data shipped in tsunagu/data/: medical areas and municipalities.

Every loader is idempotent: rows are matched on their official code and updated in place,
so running a loader twice changes nothing the second time.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tsunagu.network.models import MedicalArea, Municipality

DATA_DIR = Path(settings.BASE_DIR) / "tsunagu" / "data"
KANAGAWA_MAPPING = DATA_DIR / "municipalities" / "kanagawa_municipality_medical_area.csv"
ALL_MUNICIPALITIES = DATA_DIR / "municipalities" / "localgovjp_all.csv"
AREA_GEO_JOIN = DATA_DIR / "medical_areas" / "area_geo_join.csv"
KANAGAWA = "14"


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Keys of the rows that existed and were changed.
    changed_keys: list = field(default_factory=list, repr=False)

    def __str__(self):
        return f"新規 {self.created} 件、更新 {self.updated} 件、変更なし {self.unchanged} 件"


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _upsert(model, key: str, rows: dict[str, dict], result: LoadResult) -> dict:
    """Create or update `model` rows keyed on `key`; returns {key value: instance}."""
    existing = model.objects.in_bulk(list(rows), field_name=key)
    to_create, to_update, fields = [], [], set()
    for code, values in rows.items():
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(**{key: code}, **values))
            continue
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            fields.update(changed)
            to_update.append(obj)
            result.changed_keys.append(code)
        else:
            result.unchanged += 1
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, sorted(fields), batch_size=500)
    result.created += len(to_create)
    result.updated += len(to_update)
    return model.objects.in_bulk(list(rows), field_name=key)


def _float(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number or None


@transaction.atomic
def load_medical_areas(all_japan: bool = False) -> LoadResult:
    """二次医療圏: Kanagawa's nine, or with all_japan every area of area_geo_join.csv."""
    rows = {}
    for row in read_csv(AREA_GEO_JOIN):
        if not row["area_code"] or (not all_japan and row["pref_code"] != KANAGAWA):
            continue
        rows[row["area_code"]] = dict(
            name=row["area_name"], pref_code=row["pref_code"], pref_name=row["pref_name"]
        )
    result = LoadResult()
    _upsert(MedicalArea, "code", rows, result)
    return result


@transaction.atomic
def load_municipalities(all_japan: bool = False) -> LoadResult:
    """Municipalities with parent cities and office positions.

    Kanagawa's rows come from the 二次医療圏 mapping file (with their area); with all_japan the
    rest of Japan comes from localgovjp_all.csv with no area, since no official mapping ships.
    """
    areas = dict(MedicalArea.objects.filter(pref_code=KANAGAWA).values_list("code", "pk"))
    rows, parents = {}, {}
    if all_japan:
        national = read_csv(ALL_MUNICIPALITIES)
        city_codes = {(r["pid"], r["city"]): r["lgcode"] for r in national if " " not in r["city"]}
        for row in national:
            if row["pid"].zfill(2) == KANAGAWA:
                continue
            city, _, ward = row["city"].partition(" ")
            rows[row["lgcode"]] = dict(
                name=city + ward,
                kana=row["citykana"].replace(" ", ""),
                pref_code=row["pid"].zfill(2),
                pref_name=row["pref"],
                area_id=None,
                lat=_float(row["lat"]),
                lng=_float(row["lng"]),
            )
            if ward:
                parents[row["lgcode"]] = city_codes.get((row["pid"], city))
    for row in read_csv(KANAGAWA_MAPPING):
        rows[row["lgcode"]] = dict(
            name=row["name"],
            kana=row["kana"],
            pref_code=row["lgcode"][:2],
            pref_name=row["pref"],
            area_id=areas.get(row["medical_area_code"]),
            lat=_float(row["lat_cityhall"]),
            lng=_float(row["lng_cityhall"]),
        )
        if row["parent_lgcode"]:
            parents[row["lgcode"]] = row["parent_lgcode"]
    result = LoadResult()
    # Two passes: parents must exist before wards can point at them.
    saved = _upsert(Municipality, "code", rows, result)
    wards = []
    for code, parent_code in parents.items():
        ward, parent = saved[code], saved.get(parent_code)
        if parent is not None and ward.parent_id != parent.pk:
            ward.parent = parent
            wards.append(ward)
    Municipality.objects.bulk_update(wards, ["parent"], batch_size=500)
    # A changed area or position must reach the search copies of the units there.
    Municipality.objects.filter(code__in=result.changed_keys).sync_unit_search_fields()
    return result


def load_reference(all_japan: bool = False) -> dict[str, LoadResult]:
    """Areas, then municipalities."""
    return {
        "二次医療圏": load_medical_areas(all_japan),
        "市区町村": load_municipalities(all_japan),
    }
