"""Small factories for the search tests: anonymous cases and units placed on the map."""

from datetime import timedelta

from django.utils import timezone

from tests.base import kind, make_facility, make_municipality, make_unit, need
from tsunagu.cases.models import Case


def make_case(owner, municipality, needs=(), kinds=(), areas=(), care_level="", budget=None, **fields):
    """An open case of `owner` with its required needs (codes), wished kinds (codes) and areas."""
    case = Case.objects.create(
        owner=owner,
        age_band=fields.pop("age_band", 80),
        sex=fields.pop("sex", "female"),
        municipality=municipality,
        condition_category=fields.pop("condition_category", "stroke"),
        care_level=care_level,
        budget_monthly=budget,
        **fields,
    )
    case.set_needs([need(code) for code in needs])
    case.wished_kinds.set([kind(code) for code in kinds])
    case.wished_areas.set(list(areas))
    return case


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def make_placed_unit(
    name, lat, lng, capabilities=("peg",), kind_code="tokuyo", municipality=None, free_now=1, **fields
):
    """A one-unit facility at (lat, lng)."""
    facility = make_facility(
        name, kind_code=kind_code, municipality=municipality or make_municipality(), lat=lat, lng=lng
    )
    return make_unit(facility, capabilities=capabilities, free_now=free_now, **fields)
