"""How current the network's vacancies are: what the network office checks first each morning."""

from dataclasses import dataclass

from django.db.models import Count, Max, Q

from tsunagu.facilities.models import Facility, Unit, stale_before


@dataclass(frozen=True)
class AreaFreshness:
    area_code: str
    area_name: str
    facilities: int
    stale: int

    @property
    def stale_share(self) -> float:
        return self.stale / self.facilities if self.facilities else 0.0


def _reporting_units():
    """Active units with beds of active facilities: those whose vacancy the network relies on."""
    return Unit.objects.filter(active=True, facility__active=True, beds__gt=0)


def freshness_by_area() -> list[AreaFreshness]:
    """Per 二次医療圏: facilities that report vacancies, and those with a unit not updated for the
    stale period (or never). One grouped query over the units' search copies."""
    stale = Q(search_vacancy_at__isnull=True) | Q(search_vacancy_at__lt=stale_before())
    rows = (
        _reporting_units()
        .exclude(search_area__isnull=True)
        .values("search_area__code", "search_area__name")
        .annotate(
            facilities=Count("facility", distinct=True),
            stale=Count("facility", distinct=True, filter=stale),
        )
        .order_by("search_area__code")
    )
    return [
        AreaFreshness(row["search_area__code"], row["search_area__name"], row["facilities"], row["stale"])
        for row in rows
    ]


def stalest_facilities(limit=20):
    """The facilities whose vacancies have waited longest for an update (never updated first)."""
    return (
        Facility.objects.filter(units__in=_reporting_units())
        .annotate(last_update=Max("units__search_vacancy_at"))
        .filter(Q(last_update__isnull=True) | Q(last_update__lt=stale_before()))
        .select_related("municipality")
        .order_by("last_update", "name")[:limit]
    )
