"""Demo cases and referrals, so the demo shows the referral loop from the first login.

A step of the demo loader (settings.DEMO_STEPS): idempotent, it adds its cases
only when the demo hospital has none of them yet.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tsunagu.accounts.models import Membership, User
from tsunagu.cases.models import Case
from tsunagu.cases.search import search_candidates
from tsunagu.network.models import CareNeed, FacilityKind
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral

DEMO_MARK = "(デモ用の患者登録です)"
S = Referral.Status


def _case(owner, by, needs, kinds, summary, **fields):
    case = Case.objects.create(owner=owner, created_by=by, summary=f"{summary}\n{DEMO_MARK}", **fields)
    case.wished_kinds.set(FacilityKind.objects.filter(code__in=kinds))
    if owner.municipality.area_id:
        case.wished_areas.set([owner.municipality.area])
    case.set_needs(list(CareNeed.objects.filter(code__in=needs)))
    return case


def _units(case, count, must_include=None):
    units = [
        c.unit
        for c in search_candidates(case, limit=count * 3).candidates
        if c.unit.facility_id != case.owner_id
    ]
    if must_include is not None:
        units = [u for u in units if u.facility_id == must_include.pk][:1] + [
            u for u in units if u.facility_id != must_include.pk
        ]
    seen, chosen = set(), []
    for unit in units:
        if unit.facility_id not in seen:
            seen.add(unit.facility_id)
            chosen.append(unit)
    return chosen[:count]


def _someone_of(facility):
    """A member who answers for the facility; real facilities of the open data get a demo staff
    member without a usable password (they cannot log in; they only make the board lively)."""
    user = User.objects.filter(membership__facility=facility).first()
    if user is None:
        user = User(username=f"demo-staff-{facility.pk}", display_name="デモ職員", wants_email=False)
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, facility=facility)
    return user


@transaction.atomic
def step_referrals(ctx):
    """Three demo cases: one request the care home has not answered yet (with answers from
    others), one case published for offers, one home-care admission request to hospitals."""
    try:
        msw = User.objects.select_related("membership__facility").get(username="msw")
        carehome = User.objects.select_related("membership__facility").get(username="carehome")
        clinic = User.objects.select_related("membership__facility").get(username="clinic")
    except User.DoesNotExist:
        return
    hospital = msw.facility
    if Case.objects.filter(owner=hospital, summary__contains=DEMO_MARK).exists():
        return
    tomorrow = timezone.localdate() + timedelta(days=1)

    stroke = _case(
        hospital,
        msw,
        ["peg", "suction_day"],
        ["tokuyo", "roken"],
        "脳梗塞後。経口摂取困難で胃ろう造設済み。日中の喀痰吸引あり。",
        age_band=80,
        sex="female",
        municipality=hospital.municipality,
        condition_category="stroke",
        care_level="c4",
    )
    units = _units(stroke, 6, must_include=carehome.facility)
    if units:
        referrals = list(
            services.send_request(stroke, units, by=msw, message="ご検討をお願いします。").referrals.order_by(
                "id"
            )
        )
        for index, referral in enumerate(referrals):
            if referral.receiver_id == carehome.facility.pk:
                continue  # left new: the care-home login sees it in its inbox
            user = _someone_of(referral.receiver)
            services.transition(referral, S.VIEWED, by=user)
            if index % 3 == 1:
                services.transition(referral, S.ACCEPTED, by=user, earliest_date=tomorrow)
            elif index % 3 == 2:
                services.transition(referral, S.DECLINED, by=user, decline_reason=Referral.DeclineReason.FULL)

    _case(
        hospital,
        msw,
        ["peg"],
        ["tokuyo", "roken", "yuryo_kaigo"],
        "誤嚥性肺炎で入院、治療終了。胃ろうあり。受入れの申し出を受け付けています。",
        age_band=85,
        sex="male",
        municipality=hospital.municipality,
        condition_category="respiratory",
        care_level="c3",
        published_for_offers=True,
    )

    home = _case(
        clinic.facility,
        clinic,
        ["iv_drip"],
        ["chiiki_houkatsu", "acute"],
        "在宅療養中。脱水で点滴が必要、本日中の入院先を探しています。",
        age_band=90,
        sex="female",
        municipality=clinic.facility.municipality,
        condition_category="disuse",
        care_level="c2",
        wished_date=timezone.localdate(),
    )
    hospital_units = _units(home, 3)
    if hospital_units:
        services.send_request(home, hospital_units, by=clinic)
    ctx.out("デモの患者登録と依頼: 3件")
