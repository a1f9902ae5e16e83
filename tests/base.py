"""Personas and small factories shared by the whole suite.

Personas: sender_msw (acute hospital MSW), receiver_nurse (care home staff),
receiver_admin (care home facility admin), clinic_nurse (home-care clinic),
outsider (staff of an unrelated facility), office (network office).
"""

import itertools

from django.test import TestCase
from django.utils import timezone

from tsunagu.accounts.models import Membership, User
from tsunagu.facilities.models import Facility, Unit, UnitCapability, Vacancy
from tsunagu.network.models import CareNeed, FacilityKind, MedicalArea, Municipality

PASSWORD = "correct-horse-battery-staple-42"
_seq = itertools.count(1)


def make_area(code="1408", name="湘南西部", pref_code="14", pref_name="神奈川県"):
    area, _ = MedicalArea.objects.get_or_create(
        code=code, defaults=dict(name=name, pref_code=pref_code, pref_name=pref_name)
    )
    return area


def make_municipality(code="142034", name="平塚市", area=None, lat=35.3272, lng=139.3497, pref_code="14"):
    area = area or make_area()
    muni, _ = Municipality.objects.get_or_create(
        code=code,
        defaults=dict(name=name, pref_code=pref_code, pref_name="神奈川県", area=area, lat=lat, lng=lng),
    )
    return muni


def kind(code):
    return FacilityKind.objects.get(code=code)


def need(code):
    return CareNeed.objects.get(code=code)


def make_facility(name=None, kind_code="tokuyo", municipality=None, **fields):
    municipality = municipality or make_municipality()
    return Facility.objects.create(
        name=name or f"テスト施設{next(_seq)}",
        kind=kind(kind_code),
        municipality=municipality,
        lat=fields.pop("lat", municipality.lat),
        lng=fields.pop("lng", municipality.lng),
        **fields,
    )


def make_unit(
    facility,
    kind_code=None,
    name="本体",
    beds=50,
    capabilities=(),
    free_now=0,
    expected_7d=0,
    updated_at=None,
    **fields,
):
    """A unit with capabilities given as need codes, or (code, level, note) tuples."""
    unit = Unit.objects.create(
        facility=facility, kind=kind(kind_code or facility.kind.code), name=name, beds=beds, **fields
    )
    for item in capabilities:
        code, level, note = (item, UnitCapability.Level.YES, "") if isinstance(item, str) else item
        UnitCapability.objects.create(unit=unit, need=need(code), level=level, note=note)
    unit.refresh_capability_masks()
    Vacancy.objects.create(
        unit=unit,
        free_now=free_now,
        expected_7d=expected_7d,
        updated_at=updated_at if updated_at is not None else timezone.now(),
    )
    unit.sync_search_fields()
    return unit


def make_user(facility=None, role=Membership.Role.STAFF, username=None, **fields):
    user = User.objects.create_user(
        username=username or f"user{next(_seq)}",
        password=PASSWORD,
        email=fields.pop("email", f"u{next(_seq)}@example.jp"),
        **fields,
    )
    if facility is not None:
        Membership.objects.create(user=user, facility=facility, role=role)
    return user


class PersonaTestCase(TestCase):
    """A small network with the standard personas."""

    @classmethod
    def setUpTestData(cls):
        cls.area = make_area()
        cls.hiratsuka = make_municipality()
        cls.hadano = make_municipality(code="142115", name="秦野市", lat=35.3747, lng=139.2203)
        cls.hospital = make_facility("平塚中央病院", kind_code="acute", municipality=cls.hiratsuka)
        cls.care_home = make_facility("特養あおば", kind_code="tokuyo", municipality=cls.hadano)
        cls.clinic = make_facility(
            "ひらつか在宅クリニック", kind_code="home_care_clinic", municipality=cls.hiratsuka
        )
        cls.other = make_facility("老健みどり", kind_code="roken", municipality=cls.hiratsuka)
        cls.care_unit = make_unit(
            cls.care_home, name="従来型", beds=80, capabilities=["peg", "end_of_life"], free_now=2
        )
        cls.other_unit = make_unit(cls.other, name="一般棟", beds=100, capabilities=["peg"], free_now=1)
        cls.sender_msw = make_user(cls.hospital, username="msw")
        cls.receiver_nurse = make_user(cls.care_home, username="carehome")
        cls.receiver_admin = make_user(
            cls.care_home, role=Membership.Role.FACILITY_ADMIN, username="carehome_admin"
        )
        cls.clinic_nurse = make_user(cls.clinic, username="clinic")
        cls.outsider = make_user(cls.other, username="outsider")
        cls.office = make_user(None, username="office", is_office=True)

    def login(self, user):
        self.client.force_login(user)


def make_case(owner, needs=(), night=(), kinds=("tokuyo",), areas=None, created_by=None, **fields):
    """An open anonymous case of `owner`, with needs and night ticks given as catalogue codes."""
    from tsunagu.cases.models import Case

    defaults = dict(
        age_band=80,
        sex="female",
        municipality=owner.municipality,
        condition_category="stroke",
        care_level="c3",
    )
    defaults.update(fields)
    case = Case.objects.create(owner=owner, created_by=created_by, **defaults)
    case.wished_kinds.set([kind(code) for code in kinds])
    area = case.municipality.area
    case.wished_areas.set(areas if areas is not None else ([area] if area else []))
    case.set_needs([need(code) for code in (*needs, *night)], at_night=[need(code) for code in night])
    return case
