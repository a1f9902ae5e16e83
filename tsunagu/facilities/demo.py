"""The Kanagawa demo network: real facilities, generated profiles, five demo logins.

The facilities (names, addresses, coordinates, beds, phone numbers) are the real rows of the
government open data shipped in tsunagu/data/. What a facility can accept, its accepted care
levels, costs, vacancies and desk hours are generated here with a fixed seed, plausibly for the
facility's kind and beds, and every such facility is marked `is_demo`.

`load_demo()` runs the steps of settings.DEMO_STEPS in order; each step is a small idempotent
function taking the shared DemoContext, so running the demo loader twice changes nothing the second
time. Other apps add their demo data by listing a step there (e.g. demo cases and referrals), so this
module needs no import of the apps built on top of it.
"""

import csv
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tsunagu.accounts.models import Membership, User
from tsunagu.facilities.importers import ImportFailed, import_facilities
from tsunagu.facilities.models import (
    CoordinationDesk,
    Facility,
    Unit,
    UnitCapability,
    Vacancy,
    VacancyEvent,
)
from tsunagu.network.loaders import DATA_DIR, load_reference
from tsunagu.network.models import CareNeed, FacilityKind, Municipality, care_level_mask

SEED = 20261121
DEMO_PASSWORD = "tsunagu-demo-2026"

DEMO_FILES = [
    ("iryojoho", DATA_DIR / "hospitals" / "iryojoho_hospital_facility_20250601_kanagawa.csv"),
    ("kaigo", DATA_DIR / "care_facilities" / "kaigo_kouhyou_510_tokuyo_4areas.csv"),
    ("kaigo", DATA_DIR / "care_facilities" / "kaigo_kouhyou_520_roken_4areas.csv"),
    ("kaigo", DATA_DIR / "care_facilities" / "kaigo_kouhyou_334_tokutei_sakouju_kanagawa.csv"),
]
R7_FILE = DATA_DIR / "hospitals" / "mhlw_r7_kousou_facilities_kanagawa.csv"
HIRATSUKA, HADANO = "142034", "142115"


@dataclass
class DemoContext:
    out: callable = print
    logins: list = field(default_factory=list)


# --- generated profiles --------------------------------------------------------------------------

Y, C, N = UnitCapability.Level.YES, UnitCapability.Level.CONDITIONAL, UnitCapability.Level.NO
# "maybe": a coin toss between yes, conditional and no, so that facilities of a kind differ.
MAYBE = "maybe"

CAPABILITY_PROFILES = {
    "acute": {
        "ng_tube": Y,
        "peg": Y,
        "tpn": Y,
        "iv_drip": Y,
        "suction_day": Y,
        "suction_night": Y,
        "home_oxygen": Y,
        "tracheostomy": Y,
        "ventilator_nppv": Y,
        "ventilator_tppv": MAYBE,
        "hemodialysis": MAYBE,
        "urinary_catheter": Y,
        "stoma": Y,
        "drainage": Y,
        "insulin": Y,
        "glucose_check": Y,
        "pressure_ulcer": Y,
        "wound_care": Y,
        "opioid": Y,
        "pca": Y,
        "terminal_cancer": Y,
        "mrsa": C,
        "monitor": Y,
        "frequent_care": Y,
        "expensive_drugs": Y,
        "dementia_bpsd": MAYBE,
        "psychiatric": MAYBE,
    },
    "kaifukuki": {
        "ng_tube": Y,
        "peg": Y,
        "iv_drip": Y,
        "dysphagia_diet": Y,
        "suction_day": Y,
        "suction_night": C,
        "home_oxygen": Y,
        "tracheostomy": MAYBE,
        "urinary_catheter": Y,
        "stoma": Y,
        "insulin": Y,
        "glucose_check": Y,
        "pressure_ulcer": MAYBE,
        "wound_care": Y,
        "mrsa": C,
        "dementia_bpsd": MAYBE,
        "rehab_pt_ot": Y,
        "rehab_st": Y,
        "expensive_drugs": MAYBE,
        "welfare": Y,
    },
    "chiiki_houkatsu": {
        "ng_tube": Y,
        "peg": Y,
        "tpn": MAYBE,
        "iv_drip": Y,
        "dysphagia_diet": Y,
        "suction_day": Y,
        "suction_night": Y,
        "home_oxygen": Y,
        "tracheostomy": MAYBE,
        "urinary_catheter": Y,
        "stoma": Y,
        "insulin": Y,
        "glucose_check": Y,
        "pressure_ulcer": Y,
        "wound_care": Y,
        "opioid": Y,
        "terminal_cancer": MAYBE,
        "end_of_life": MAYBE,
        "mrsa": C,
        "rehab_pt_ot": Y,
        "rehab_st": MAYBE,
        "dementia_bpsd": MAYBE,
        "welfare": Y,
        "no_guarantor": MAYBE,
    },
    "ryouyou": {
        "ng_tube": Y,
        "peg": Y,
        "tpn": Y,
        "iv_drip": Y,
        "suction_day": Y,
        "suction_night": Y,
        "home_oxygen": Y,
        "tracheostomy": Y,
        "ventilator_nppv": MAYBE,
        "ventilator_tppv": MAYBE,
        "urinary_catheter": Y,
        "nephrostomy": Y,
        "stoma": Y,
        "insulin": Y,
        "glucose_check": Y,
        "pressure_ulcer": Y,
        "wound_care": Y,
        "opioid": Y,
        "terminal_cancer": Y,
        "end_of_life": Y,
        "mrsa": Y,
        "hbv_hcv": Y,
        "dementia_bpsd": MAYBE,
        "frequent_care": Y,
        "welfare": Y,
        "no_guarantor": MAYBE,
        "guardianship": Y,
    },
    "seishin": {
        "psychiatric": Y,
        "dementia_bpsd": Y,
        "wandering": Y,
        "aggression": C,
        "iv_drip": MAYBE,
        "insulin": Y,
        "glucose_check": Y,
        "welfare": Y,
        "no_guarantor": C,
        "guardianship": Y,
    },
    "tokuyo": {
        "peg": Y,
        "ng_tube": MAYBE,
        "dysphagia_diet": Y,
        "suction_day": C,
        "suction_night": MAYBE,
        "home_oxygen": MAYBE,
        "ventilator_nppv": N,
        "ventilator_tppv": N,
        "tpn": N,
        "urinary_catheter": Y,
        "stoma": Y,
        "insulin": C,
        "glucose_check": Y,
        "pressure_ulcer": Y,
        "wound_care": Y,
        "opioid": MAYBE,
        "end_of_life": Y,
        "mrsa": C,
        "hbv_hcv": Y,
        "dementia_bpsd": C,
        "wandering": Y,
        "hemodialysis": MAYBE,
        "expensive_drugs": C,
        "welfare": Y,
        "no_guarantor": C,
        "guardianship": Y,
    },
    "roken": {
        "peg": Y,
        "ng_tube": MAYBE,
        "dysphagia_diet": Y,
        "suction_day": Y,
        "suction_night": C,
        "home_oxygen": Y,
        "iv_drip": C,
        "tpn": N,
        "ventilator_nppv": N,
        "ventilator_tppv": N,
        "urinary_catheter": Y,
        "stoma": Y,
        "insulin": Y,
        "glucose_check": Y,
        "pressure_ulcer": Y,
        "wound_care": Y,
        "end_of_life": MAYBE,
        "mrsa": C,
        "dementia_bpsd": C,
        "wandering": MAYBE,
        "rehab_pt_ot": Y,
        "rehab_st": MAYBE,
        "hemodialysis": N,
        "expensive_drugs": N,
        "welfare": Y,
        "no_guarantor": MAYBE,
    },
    "sakouju": {
        "peg": C,
        "dysphagia_diet": MAYBE,
        "suction_day": C,
        "suction_night": N,
        "home_oxygen": C,
        "urinary_catheter": C,
        "stoma": C,
        "insulin": C,
        "glucose_check": C,
        "pressure_ulcer": MAYBE,
        "wound_care": C,
        "opioid": C,
        "terminal_cancer": MAYBE,
        "end_of_life": C,
        "mrsa": C,
        "dementia_bpsd": C,
        "wandering": MAYBE,
        "hemodialysis": C,
        "expensive_drugs": C,
        "welfare": MAYBE,
        "no_guarantor": C,
        "guardianship": Y,
    },
}
CONDITIONAL_NOTES = {
    "suction_day": "日中(9〜17時)のみ。夜間は看護職員不在",
    "suction_night": "夜間は1〜2回程度まで",
    "insulin": "自己注射できる方、または1日1回まで",
    "iv_drip": "短期間(1週間程度)に限る",
    "mrsa": "保菌のみ。個室の空き次第",
    "dementia_bpsd": "事前面談で判断します",
    "aggression": "程度により要相談",
    "expensive_drugs": "薬剤名と月額を事前にご相談ください",
    "no_guarantor": "成年後見・身元保証サービス利用で可",
    "hemodialysis": "送迎をご家族・事業所で手配できる場合",
}
DEFAULT_NOTE = "訪問看護・協力医療機関との調整が必要です"

CARE_LEVELS = {
    "tokuyo": ["c3", "c4", "c5"],
    "tokuyo_local": ["c3", "c4", "c5"],
    "roken": ["c1", "c2", "c3", "c4", "c5"],
    "kaigo_iryoin": ["c1", "c2", "c3", "c4", "c5"],
    "yuryo_kaigo": ["c1", "c2", "c3", "c4", "c5"],
    "sakouju": ["s1", "s2", "c1", "c2", "c3", "c4", "c5"],
    "group_home": ["s2", "c1", "c2", "c3", "c4", "c5"],
}
# Monthly cost ranges (円) the demo draws from: (lowest floor, highest ceiling).
COSTS = {
    "tokuyo": (70_000, 160_000),
    "tokuyo_local": (80_000, 160_000),
    "roken": (80_000, 180_000),
    "yuryo_kaigo": (180_000, 380_000),
    "sakouju": (140_000, 300_000),
    "group_home": (130_000, 200_000),
}
UNIT_NAMES = {
    "acute": "急性期病棟",
    "kaifukuki": "回復期リハビリテーション病棟",
    "chiiki_houkatsu": "地域包括ケア病棟",
    "ryouyou": "療養病棟",
    "seishin": "精神病棟",
    "tokuyo": "特養 本体",
    "roken": "老健 入所",
    "sakouju": "サ高住(特定施設)",
    "yuryo_kaigo": "介護付き有料老人ホーム",
    "group_home": "グループホーム",
    "tokuyo_local": "地域密着型特養",
    "kaigo_iryoin": "介護医療院",
    "care_house": "ケアハウス",
    "yougo": "養護老人ホーム",
}


def _normalise(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).replace(" ", "").replace("　", "")
    return re.sub(
        r"^(医療法人|社会医療法人|一般財団法人|公益財団法人|社会福祉法人|独立行政法人|地方独立行政法人)"
        r"(社団|財団)?[^病]*?会",
        "",
        name,
    )


def _int(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def hospital_wards(hospital_rows: dict, r7_index: dict, rng: random.Random) -> dict[str, dict]:
    """Ward units (kind → beds) per 医療情報ネット ID.

    Beds by function come from the MHLW R7 bed-function file where the hospital can be matched
    by name and municipality; otherwise 一般 / 療養 / 精神 beds of 医療情報ネット are split.
    """
    wards = {}
    for official_id, row in hospital_rows.items():
        general, longterm, psych = _int(row["一般病床"]), _int(row["療養病床"]), _int(row["精神病床"])
        units = {}
        r7 = r7_index.get((row["_municipality"], _normalise(row["正式名称"])))
        if r7:
            acute = _int(r7["病床_高度急性期"]) + _int(r7["病床_急性期"])
            recovery, chronic = _int(r7["病床_回復期"]), _int(r7["病床_慢性期"])
            units["acute"] = acute
            units["chiiki_houkatsu" if acute > recovery else "kaifukuki"] = recovery
            units["ryouyou"] = chronic
        else:
            if "リハ" in row["正式名称"]:
                units["kaifukuki"] = general
            elif general >= 200:
                units["acute"] = round(general * 0.8)
                units["chiiki_houkatsu"] = general - units["acute"]
            elif general:
                units[rng.choice(["acute", "acute", "chiiki_houkatsu", "kaifukuki"])] = general
            units["ryouyou"] = longterm
        units["seishin"] = psych
        wards[official_id] = {kind: beds for kind, beds in units.items() if beds > 0}
    return wards


def _r7_index() -> dict:
    index = {}
    with open(R7_FILE, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            index[(row["所在地"], _normalise(row["医療機関名"]))] = row
    return index


def _hospital_rows() -> dict:
    names = dict(Municipality.objects.values_list("code", "name"))
    codes5 = {code[:5]: name for code, name in names.items()}
    with open(DEMO_FILES[0][1], encoding="utf-8-sig", newline="") as f:
        rows = {}
        for row in csv.DictReader(f):
            row["_municipality"] = codes5.get("14" + row["市区町村コード"].zfill(3), "")
            rows[row["ID"]] = row
    return rows


# --- steps ---------------------------------------------------------------------------------------


def step_reference(ctx: DemoContext):
    for label, result in load_reference().items():
        ctx.out(f"{label}: {result}")


def step_real_facilities(ctx: DemoContext):
    for fmt, path in DEMO_FILES:
        try:
            report = import_facilities(path.read_bytes(), fmt)
        except ImportFailed as exc:
            raise RuntimeError(f"{path.name}: {exc.report.summary()} {exc.report.errors[:3]}") from None
        ctx.out(f"{path.name}: {report.summary()}")


def step_demo_clinic(ctx: DemoContext):
    """There is no open clinic file: one clearly generated 在宅療養支援診療所 in 平塚市."""
    Facility.objects.update_or_create(
        source=Facility.Source.GENERATED,
        official_id="DEMO-CLINIC-1",
        defaults=dict(
            name="【デモ】ひらつか在宅クリニック",
            kana="デモヒラツカザイタククリニック",
            kind=FacilityKind.objects.get(code="home_care_clinic"),
            municipality=Municipality.objects.get(code=HIRATSUKA),
            address="神奈川県平塚市(デモ用の架空の診療所)",
            lat=35.3272,
            lng=139.3497,
            is_demo=True,
            note="デモ用に作った架空の診療所です。",
        ),
    )


@transaction.atomic
def step_units(ctx: DemoContext):
    """Units with capabilities, care levels and costs for every facility that has none yet."""
    rng = random.Random(SEED)
    needs = {need.code: need for need in CareNeed.objects.all()}
    kinds = {kind.code: kind for kind in FacilityKind.objects.all()}
    facilities = list(
        Facility.objects.filter(units__isnull=True).select_related("kind").order_by("source", "official_id")
    )
    if not facilities:
        ctx.out("病棟・サービス単位: 作成済み")
        return
    wards = hospital_wards(_hospital_rows(), _r7_index(), rng)
    plans = []  # (facility, kind code, beds)
    for facility in facilities:
        kind = facility.kind.code
        if kind == "hospital":
            for unit_kind, beds in wards.get(facility.official_id, {}).items():
                plans.append((facility, unit_kind, beds))
        elif kind in UNIT_NAMES:
            beds = facility.beds_total or rng.choice([29, 50, 60, 80, 100, 120])
            plans.append((facility, kind, beds))
    units, capabilities = [], []
    for order, (facility, kind, beds) in enumerate(plans):
        unit = Unit(
            facility=facility,
            kind=kinds[kind],
            name=UNIT_NAMES[kind],
            beds=beds,
            sort_order=order % 10,
            care_level_mask=care_level_mask(CARE_LEVELS.get(kind, [])),
        )
        if kind in COSTS:
            low, high = COSTS[kind]
            cost_min = rng.randrange(low, (low + high) // 2, 5_000)
            unit.cost_min, unit.cost_max = cost_min, rng.randrange(cost_min + 20_000, high + 5_000, 5_000)
        unit.sex_matters = kind in ("acute", "chiiki_houkatsu", "ryouyou", "roken") and rng.random() < 0.4
        yes = conditional = 0
        for code, level in CAPABILITY_PROFILES.get(
            kind, CAPABILITY_PROFILES.get(_profile_of(kind), {})
        ).items():
            if level == MAYBE:
                level = rng.choices([Y, C, N], weights=[5, 3, 2])[0]
            note = CONDITIONAL_NOTES.get(code, DEFAULT_NOTE) if level == C else ""
            capabilities.append(UnitCapability(unit=unit, need=needs[code], level=level, note=note))
            if level in (Y, C):
                yes |= needs[code].mask
            if level == C:
                conditional |= needs[code].mask
        unit.capability_mask, unit.conditional_mask = yes, conditional
        units.append(unit)
    if not units:
        ctx.out("病棟・サービス単位: 作成済み")
        return
    Unit.objects.bulk_create(units, batch_size=500)
    UnitCapability.objects.bulk_create(capabilities, batch_size=1000)
    Facility.objects.filter(pk__in=[facility.pk for facility in facilities]).update(is_demo=True)
    ctx.out(f"病棟・サービス単位: {len(units)} 件 (受入れ可否 {len(capabilities)} 件) を生成")


def _profile_of(kind: str) -> str:
    return {
        "tokuyo_local": "tokuyo",
        "kaigo_iryoin": "ryouyou",
        "yuryo_kaigo": "sakouju",
        "group_home": "sakouju",
        "care_house": "sakouju",
        "yougo": "tokuyo",
    }.get(kind, "")


@transaction.atomic
def step_vacancies(ctx: DemoContext):
    """Today's vacancies: most fresh, some stale (over 3 days old), some full."""
    rng = random.Random(SEED + 1)
    now = timezone.now()
    units = list(Unit.objects.filter(vacancy__isnull=True).order_by("pk"))
    vacancies, events = [], []
    for unit in units:
        roll = rng.random()
        if roll < 0.25:
            free, expected = 0, 0  # full
        else:
            free = rng.randint(1, max(1, unit.beds // 15))
            expected = rng.randint(0, 2)
        if roll > 0.8:
            at = now - timedelta(days=rng.randint(4, 12), hours=rng.randint(0, 8))  # stale
        else:
            at = now - timedelta(hours=rng.randint(0, 47), minutes=rng.randint(0, 59))
        vacancies.append(
            Vacancy(
                unit=unit, free_now=free, expected_7d=expected, updated_at=at, note="デモ用の空き状況です"
            )
        )
        events.append(
            VacancyEvent(unit=unit, free_now=free, expected_7d=expected, at=at, note="デモ用の空き状況です")
        )
    Vacancy.objects.bulk_create(vacancies, batch_size=1000)
    VacancyEvent.objects.bulk_create(events, batch_size=1000)
    Unit.objects.filter(pk__in=[unit.pk for unit in units]).sync_search_fields()
    ctx.out(f"空き状況: {len(vacancies)} 件を生成" if vacancies else "空き状況: 作成済み")


@transaction.atomic
def step_desks(ctx: DemoContext):
    """A coordination desk per facility, with the real phone and fax where published."""
    desks = []
    for facility in Facility.objects.filter(desks__isnull=True).select_related("kind"):
        if facility.kind.group == "hospital":
            name, role, hours = "地域医療連携室", "MSW・退院調整看護師", "平日 8:30〜17:00 / 土 8:30〜12:30"
        elif facility.kind.group == "care_home":
            name, role, hours = "生活相談室", "生活相談員", "平日 9:00〜17:30"
        else:
            name, role, hours = "外来・在宅窓口", "看護師", "平日 9:00〜18:00 (往診は24時間対応)"
        desks.append(
            CoordinationDesk(
                facility=facility,
                name=name,
                role=role,
                phone=facility.phone,
                fax=facility.fax,
                hours=hours,
                note="受付時間はデモ用です",
            )
        )
    CoordinationDesk.objects.bulk_create(desks, batch_size=1000)
    ctx.out(f"入退院調整窓口: {len(desks)} 件を生成" if desks else "入退院調整窓口: 作成済み")


def _biggest(queryset):
    return queryset.order_by("-beds_total", "official_id").first()


@transaction.atomic
def step_users(ctx: DemoContext):
    """The five demo logins, all with the documented demo password."""
    hiratsuka = Municipality.objects.get(code=HIRATSUKA)
    hospital = _biggest(
        Facility.objects.filter(
            municipality=hiratsuka, kind__code="hospital", units__kind__code="acute"
        ).distinct()
    )
    care_home = (
        Facility.objects.filter(municipality=hiratsuka, kind__code="tokuyo").order_by("official_id").first()
        or Facility.objects.filter(municipality__code=HADANO, kind__code="tokuyo")
        .order_by("official_id")
        .first()
    )
    clinic = Facility.objects.get(source=Facility.Source.GENERATED, official_id="DEMO-CLINIC-1")
    people = [
        ("msw", "MSW 湘南 花子 (デモ)", hospital, Membership.Role.STAFF, "急性期病院の MSW"),
        ("carehome", "介護職 秦野 太郎 (デモ)", care_home, Membership.Role.STAFF, "特養の職員"),
        (
            "clinic",
            "訪問看護師 平塚 みどり (デモ)",
            clinic,
            Membership.Role.STAFF,
            "在宅療養支援診療所の看護師",
        ),
        (
            "carehome_admin",
            "施設長 大磯 一郎 (デモ)",
            care_home,
            Membership.Role.FACILITY_ADMIN,
            "特養の施設管理者",
        ),
        ("office", "事務局 伊勢原 さくら (デモ)", None, None, "ネットワーク事務局"),
    ]
    ctx.logins = []
    # One hash for all five: a slow password hash per user would dominate the loader's run time.
    password = make_password(DEMO_PASSWORD)
    for username, display_name, facility, role, what in people:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@demo.tsunagu.example"}
        )
        user.display_name = display_name
        user.password = password
        if hasattr(user, "must_change_password"):
            user.must_change_password = False
        if facility is None:
            user.is_office = user.is_staff = True  # the office maintains the catalogue in the admin
        user.save()
        if facility is None:
            user.user_permissions.set(
                Permission.objects.filter(content_type__app_label__in=["network", "facilities"])
            )
        else:
            Membership.objects.update_or_create(user=user, defaults=dict(facility=facility, role=role))
        ctx.logins.append((username, what, facility.name if facility else "事務局"))


def step_summary(ctx: DemoContext):
    counts = {
        "病院": Facility.objects.filter(kind__code="hospital").count(),
        "特養": Facility.objects.filter(kind__code="tokuyo").count(),
        "老健": Facility.objects.filter(kind__code="roken").count(),
        "サ高住": Facility.objects.filter(kind__code="sakouju").count(),
        "病棟・単位": Unit.objects.count(),
    }
    ctx.out("デモネットワーク: " + "、".join(f"{label} {count}" for label, count in counts.items()))


def load_demo(out=print) -> DemoContext:
    """Load (or refresh) the demo network; safe to run again."""
    ctx = DemoContext(out=out)
    for path in settings.DEMO_STEPS:
        import_string(path)(ctx)
    return ctx


def login_lines(logins=None) -> list[str]:
    """The demo logins as printed by load_demo and run_demo."""
    if logins is None:
        logins = demo_logins()
    lines = [f"デモ用ログイン (パスワードはすべて {DEMO_PASSWORD}):"]
    lines += [f"  {username:<15} {what} ・ {place}" for username, what, place in logins]
    return lines


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo users that exist, for printing again when the server starts."""
    what = {
        "msw": "急性期病院の MSW",
        "carehome": "特養の職員",
        "clinic": "在宅療養支援診療所の看護師",
        "carehome_admin": "特養の施設管理者",
        "office": "ネットワーク事務局",
    }
    users = User.objects.filter(username__in=what).select_related("membership__facility")
    found = {user.username: user for user in users}
    return [
        (name, label, found[name].facility.name if found[name].facility else "事務局")
        for name, label in what.items()
        if name in found
    ]
