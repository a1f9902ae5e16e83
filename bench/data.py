"""The nationwide benchmark dataset, built reproducibly from a seed.

Real: every municipality of Japan (localgovjp), every 二次医療圏/構想区域 (area_geo_join), every
hospital with coordinates (医療情報ネット). Generated: care facilities and clinics, units,
capabilities, vacancies, cases.

Municipality → 二次医療圏 outside Kanagawa is BENCHMARK-DERIVED, not official: the municipalities
of a prefecture are grouped by k-means on their city-hall coordinates (seeded, 25 rounds) into as
many groups as the prefecture has areas, and the groups take the area codes in code order. Only
Kanagawa uses the official mapping (kanagawa_municipality_medical_area.csv).

Run inside Django (bench.build does that); needs an empty, migrated database.
"""

import csv
import math
import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

DATA_DIR = Path(settings.BASE_DIR) / "tsunagu" / "data"
MUNICIPALITIES_CSV = DATA_DIR / "municipalities" / "localgovjp_all.csv"
KANAGAWA_CSV = DATA_DIR / "municipalities" / "kanagawa_municipality_medical_area.csv"
AREAS_CSV = DATA_DIR / "medical_areas" / "area_geo_join.csv"
HOSPITALS_CSV = DATA_DIR / "hospitals" / "iryojoho_hospital_facility_20250601_all.csv"

# Full-scale sizes; --scale multiplies them (real hospitals are capped by the same factor).
FACILITIES = 120_000
UNITS = 160_000
CASES = 30_000
BATCH = 5000

HOSPITAL_WARDS = ["acute", "kaifukuki", "chiiki_houkatsu", "ryouyou", "kanwa"]
# Generated facility kinds and their weights (roughly the national proportions of beds).
GENERATED_KINDS = [
    ("tokuyo", 20),
    ("tokuyo_local", 5),
    ("roken", 10),
    ("kaigo_iryoin", 2),
    ("yuryo_kaigo", 10),
    ("yuryo_jutaku", 15),
    ("sakouju", 10),
    ("group_home", 15),
    ("shoukibo", 4),
    ("kantaki", 2),
    ("short_stay", 6),
    ("care_house", 3),
    ("bed_clinic", 3),
]
# How often a unit accepts a need: common needs often, specialist ones rarely.
COMMON_NEEDS = {
    "peg": 0.6,
    "dysphagia_diet": 0.7,
    "suction_day": 0.5,
    "suction_night": 0.35,
    "home_oxygen": 0.55,
    "urinary_catheter": 0.7,
    "insulin": 0.5,
    "glucose_check": 0.65,
    "pressure_ulcer": 0.5,
    "wound_care": 0.6,
    "opioid": 0.4,
    "end_of_life": 0.55,
    "mrsa": 0.5,
    "dementia_bpsd": 0.45,
    "wandering": 0.35,
    "rehab_pt_ot": 0.4,
    "welfare": 0.5,
    "no_guarantor": 0.3,
    "stoma": 0.5,
    "ng_tube": 0.35,
    "iv_drip": 0.4,
    "hbv_hcv": 0.5,
    "tb_history": 0.3,
    "scabies": 0.2,
}
OTHER_NEED = 0.12
CONDITIONAL_SHARE = 0.2
CONDITIONAL_NOTES = ["夜勤看護師がいる日のみ", "要相談", "主治医の往診が可能な場合", "1名まで", "日中のみ"]
# Needs the benchmark searches are drawn from: the ones a real case most often carries.
QUERY_NEEDS = [
    "peg",
    "suction_night",
    "end_of_life",
    "home_oxygen",
    "urinary_catheter",
    "insulin",
    "pressure_ulcer",
    "dementia_bpsd",
    "opioid",
    "mrsa",
]
BENCH_USERNAME = "bench"


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def kmeans(points, k, rng, rounds=25):
    """Group points (lat, lng) into k clusters; returns a cluster index per point."""
    if k <= 1 or len(points) <= k:
        return [min(i, k - 1) for i in range(len(points))] if k > 1 else [0] * len(points)
    centres = [points[i] for i in rng.sample(range(len(points)), k)]
    labels = [0] * len(points)
    for _ in range(rounds):
        for i, (lat, lng) in enumerate(points):
            labels[i] = min(range(k), key=lambda c: (lat - centres[c][0]) ** 2 + (lng - centres[c][1]) ** 2)
        for c in range(k):
            members = [points[i] for i in range(len(points)) if labels[i] == c]
            if members:
                centres[c] = (
                    sum(p[0] for p in members) / len(members),
                    sum(p[1] for p in members) / len(members),
                )
    # Order clusters north to south so area codes (north first, as the official codes) follow.
    order = sorted(range(k), key=lambda c: -centres[c][0])
    rank = {c: i for i, c in enumerate(order)}
    return [rank[label] for label in labels]


def load_geography(rng):
    """MedicalArea and Municipality rows for all of Japan; returns the municipalities."""
    from tsunagu.network.models import MedicalArea, Municipality

    areas_by_pref = {}
    for row in read_csv(AREAS_CSV):
        if row["area_code"]:
            areas_by_pref.setdefault(row["pref_code"], {})[row["area_code"]] = row
    existing = set(MedicalArea.objects.values_list("code", flat=True))
    MedicalArea.objects.bulk_create(
        [
            MedicalArea(code=code, name=row["area_name"], pref_code=pref, pref_name=row["pref_name"])
            for pref, rows in sorted(areas_by_pref.items())
            for code, row in sorted(rows.items())
            if code not in existing
        ]
    )
    areas = {area.code: area for area in MedicalArea.objects.all()}
    kanagawa = {row["lgcode"]: row["medical_area_code"] for row in read_csv(KANAGAWA_CSV)}

    rows_by_pref = {}
    for row in read_csv(MUNICIPALITIES_CSV):
        if row["lat"] and row["lng"]:
            rows_by_pref.setdefault(row["lgcode"][:2], []).append(row)
    municipalities = []
    for pref, rows in sorted(rows_by_pref.items()):
        codes = sorted(areas_by_pref.get(pref, {}))
        points = [(float(r["lat"]), float(r["lng"])) for r in rows]
        labels = kmeans(points, len(codes), random.Random(f"{rng.random()}-{pref}")) if codes else []
        for i, row in enumerate(rows):
            if pref == "14" and kanagawa.get(row["lgcode"]):
                area = areas[kanagawa[row["lgcode"]]]
            else:
                area = areas[codes[labels[i]]] if codes else None
            municipalities.append(
                Municipality(
                    code=row["lgcode"],
                    name=row["city"].replace(" ", ""),
                    kana=row["citykana"].replace(" ", ""),
                    pref_code=pref,
                    pref_name=row["pref"],
                    area=area,
                    lat=float(row["lat"]),
                    lng=float(row["lng"]),
                )
            )
    existing = set(Municipality.objects.values_list("code", flat=True))
    Municipality.objects.bulk_create([m for m in municipalities if m.code not in existing], batch_size=BATCH)
    # Wards of designated cities ("横浜市 鶴見区") point to their city.
    by_name = {(m.pref_code, m.name): m for m in Municipality.objects.all()}
    wards = []
    for pref, rows in rows_by_pref.items():
        for row in rows:
            if " " in row["city"]:
                ward = by_name[(pref, row["city"].replace(" ", ""))]
                ward.parent = by_name.get((pref, row["city"].split(" ")[0]))
                wards.append(ward)
    Municipality.objects.bulk_update(wards, ["parent"], batch_size=BATCH)
    return list(Municipality.objects.all())


def jitter(rng, lat, lng, km=3.0):
    return (lat + rng.gauss(0, km / 111.2), lng + rng.gauss(0, km / (111.2 * math.cos(math.radians(lat)))))


def random_capabilities(rng, needs):
    """(yes mask, conditional mask, rows) for one unit."""
    yes = conditional = 0
    rows = []
    for need in needs:
        if rng.random() < COMMON_NEEDS.get(need.code, OTHER_NEED):
            if rng.random() < CONDITIONAL_SHARE:
                conditional |= 1 << need.bit
                rows.append((need.pk, "conditional", rng.choice(CONDITIONAL_NOTES)))
            else:
                yes |= 1 << need.bit
                rows.append((need.pk, "yes", ""))
    return yes | conditional, conditional, rows


def random_care_levels(rng, kind_code):
    from tsunagu.network.models import care_level_mask

    if kind_code in ("tokuyo", "tokuyo_local"):
        return care_level_mask(["c3", "c4", "c5"])
    if kind_code in ("roken", "kaigo_iryoin", "yuryo_kaigo", "group_home"):
        return care_level_mask(["c1", "c2", "c3", "c4", "c5"])
    return 0


def build(scale=1.0, seed=42, log=print):
    """Fill an empty database; returns the row counts."""
    from tsunagu.accounts.models import Membership, User
    from tsunagu.facilities.models import Facility, Unit, UnitCapability, Vacancy
    from tsunagu.network.models import CareNeed, FacilityKind

    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        municipalities = load_geography(rng)
        log(f"  geography: {len(municipalities)} municipalities")
        kinds = {kind.code: kind for kind in FacilityKind.objects.all()}
        needs = list(CareNeed.objects.order_by("bit"))
        by_code5 = {m.code[:5]: m for m in municipalities}
        parents = {m.parent_id for m in municipalities if m.parent_id}
        placeable = [m for m in municipalities if m.area_id and m.pk not in parents]

        # Real hospitals (with coordinates), capped by the scale.
        hospitals = []
        for row in read_csv(HOSPITALS_CSV):
            lat, lng = float(row["所在地座標（緯度）"] or 0), float(row["所在地座標（経度）"] or 0)
            municipality = by_code5.get(row["都道府県コード"] + row["市区町村コード"])
            if lat and lng and municipality is not None:
                hospitals.append((row, municipality, lat, lng))
        hospitals = hospitals[: max(1, round(len(hospitals) * min(scale, 1.0)))]
        # Generated facilities go where the hospitals are: a municipality's weight is its hospitals + 1.
        weight = {}
        for _, municipality, _, _ in hospitals:
            weight[municipality.pk] = weight.get(municipality.pk, 0) + 1
        weights = [weight.get(m.pk, 0) + 1 for m in placeable]

        total_facilities = max(len(hospitals) + 10, round(FACILITIES * scale))
        facilities = []
        for row, municipality, lat, lng in hospitals:
            facilities.append(
                Facility(
                    name=row["正式名称"],
                    kana=row["正式名称（フリガナ）"],
                    kind=kinds["hospital"],
                    municipality=municipality,
                    address=row["所在地"],
                    lat=lat,
                    lng=lng,
                    source=Facility.Source.IRYOJOHO,
                    official_id=row["ID"],
                    beds_total=int(row["合計病床数"] or 0) or None,
                )
            )
        generated_kinds = [code for code, _ in GENERATED_KINDS]
        kind_weights = [w for _, w in GENERATED_KINDS]
        chosen = rng.choices(placeable, weights=weights, k=total_facilities - len(facilities))
        for n, municipality in enumerate(chosen, 1):
            code = rng.choices(generated_kinds, weights=kind_weights)[0]
            lat, lng = jitter(rng, municipality.lat, municipality.lng)
            facilities.append(
                Facility(
                    name=f"{municipality.name}{kinds[code].short_name}{n}",
                    kind=kinds[code],
                    municipality=municipality,
                    lat=lat,
                    lng=lng,
                    source=Facility.Source.GENERATED,
                )
            )
        Facility.objects.bulk_create(facilities, batch_size=BATCH)
        facilities = list(Facility.objects.select_related("municipality", "kind").order_by("pk"))
        log(f"  facilities: {len(facilities)}")

        # Units: one per facility (a hospital: a ward), then extra wards/services up to the target.
        total_units = max(len(facilities), round(UNITS * scale))
        owners = facilities + rng.choices(facilities, k=total_units - len(facilities))
        units, vacancies, capability_rows = [], [], []
        for facility in owners:
            code = rng.choice(HOSPITAL_WARDS) if facility.kind.code == "hospital" else facility.kind.code
            mask, conditional, rows = random_capabilities(rng, needs)
            cost_min = None if kinds[code].group == "hospital" else rng.randrange(70, 300) * 1000
            unit = Unit(
                facility=facility,
                kind=kinds[code],
                name=kinds[code].short_name,
                beds=rng.randint(10, 120),
                care_level_mask=random_care_levels(rng, code),
                cost_min=cost_min,
                cost_max=cost_min + rng.randrange(0, 80) * 1000 if cost_min else None,
                capability_mask=mask,
                conditional_mask=conditional,
            )
            roll = rng.random()
            free_now = rng.randint(1, 5) if roll < 0.4 else 0
            expected = rng.randint(1, 3) if 0.4 <= roll < 0.65 else 0
            if rng.random() < 0.7:
                age = timedelta(hours=rng.randint(0, 48))
            else:
                age = timedelta(days=rng.randint(3, 60))
            vacancy = Vacancy(free_now=free_now, expected_7d=expected, updated_at=now - age)
            unit.sync_search_fields(save=False, vacancy=vacancy)
            units.append(unit)
            vacancies.append(vacancy)
            capability_rows.append(rows)
        Unit.objects.bulk_create(units, batch_size=BATCH)
        for unit, vacancy in zip(units, vacancies):
            vacancy.unit_id = unit.pk
        Vacancy.objects.bulk_create(vacancies, batch_size=BATCH)
        table = UnitCapability._meta.db_table
        with connection.cursor() as cursor:
            flat = [
                (unit.pk, need_id, level, note)
                for unit, rows in zip(units, capability_rows)
                for need_id, level, note in rows
            ]
            for start in range(0, len(flat), BATCH * 4):
                cursor.executemany(
                    f"INSERT INTO {table} (unit_id, need_id, level, note) VALUES (%s, %s, %s, %s)",
                    flat[start : start + BATCH * 4],
                )
        log(f"  units: {len(units)}, capabilities: {len(flat)}")

        user = User.objects.create_user(username=BENCH_USERNAME, password=None)
        sender = facilities[0]
        Membership.objects.create(user=user, facility=sender, role=Membership.Role.STAFF)
        hospitals_built = [f for f in facilities if f.kind.code == "hospital"] or facilities
        case_count = build_cases(
            rng, round(CASES * scale), sender, user, placeable, needs, kinds, hospitals_built
        )
        log(f"  cases: {case_count}")
    return {
        "municipalities": len(municipalities),
        "facilities": len(facilities),
        "units": len(units),
        "capabilities": len(flat),
        "cases": case_count,
        "hospitals_real": len(hospitals),
    }


def build_cases(rng, count, sender, user, municipalities, needs, kinds, owners):
    """Open anonymous cases spread over the country, registered by hospitals.

    The bench user's facility owns every tenth case, so searches by case ref can be timed.
    """
    from tsunagu.cases.models import Case, CaseCounter, CaseNeed, ConditionCategory, Sex
    from tsunagu.network.models import CareLevel

    by_code = {need.code: need for need in needs}
    query_needs = [by_code[code] for code in QUERY_NEEDS]
    year = timezone.localdate().year
    cases, case_needs = [], []
    for n in range(1, count + 1):
        municipality = rng.choice(municipalities)
        required = rng.sample(query_needs, 3)
        cases.append(
            Case(
                ref=f"C-{year}-{n:05d}",
                owner=sender if n % 10 == 0 else rng.choice(owners),
                created_by=user if n % 10 == 0 else None,
                age_band=rng.randrange(60, 100, 5),
                sex=rng.choice(Sex.values),
                municipality=municipality,
                condition_category=rng.choice(ConditionCategory.values),
                care_level=rng.choice([CareLevel.CARE1, CareLevel.CARE3, CareLevel.CARE4, CareLevel.CARE5]),
                budget_monthly=rng.randrange(100, 300) * 1000,
                required_mask=sum(1 << need.bit for need in required),
            )
        )
        case_needs.append(required)
    Case.objects.bulk_create(cases, batch_size=BATCH)
    CaseNeed.objects.bulk_create(
        [
            CaseNeed(case_id=case.pk, need=need)
            for case, required in zip(cases, case_needs)
            for need in required
        ],
        batch_size=BATCH,
    )
    Area = Case.wished_areas.through
    Area.objects.bulk_create(
        [Area(case_id=case.pk, medicalarea_id=case.municipality.area_id) for case in cases],
        batch_size=BATCH,
    )
    CaseCounter.objects.update_or_create(year=year, defaults={"last": count})
    return count
