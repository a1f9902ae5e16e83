"""Small factories for the referral tests."""

from tests.base import make_facility, make_unit, need
from tsunagu.cases.models import Case
from tsunagu.referrals import services


def make_case(owner, by=None, needs=(), published=False, **fields):
    case = Case.objects.create(
        owner=owner,
        created_by=by,
        age_band=fields.pop("age_band", 80),
        sex=fields.pop("sex", "female"),
        municipality=fields.pop("municipality", owner.municipality),
        condition_category=fields.pop("condition_category", "stroke"),
        published_for_offers=published,
        **fields,
    )
    if needs:
        case.set_needs([need(code) for code in needs])
    return case


def make_receivers(count, kind_code="tokuyo", municipality=None, capabilities=("peg",)):
    """`count` facilities with one unit each; returns the units."""
    units = []
    for index in range(count):
        facility = make_facility(f"受入施設{index + 1}", kind_code=kind_code, municipality=municipality)
        units.append(make_unit(facility, name="本体", capabilities=capabilities, free_now=1))
    return units


def send(case, units, by, **kwargs):
    batch = services.send_request(case, units, by=by, **kwargs)
    return list(batch.referrals.select_related("case", "unit", "receiver").order_by("id"))
