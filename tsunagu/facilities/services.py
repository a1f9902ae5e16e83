"""Service functions of the facility profile: vacancy updates, capabilities, directory rows.

Views call these; each write runs in one transaction and leaves history behind.
"""

import math
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import ExpressionWrapper, F, FloatField, Prefetch, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tsunagu.facilities.models import (
    Facility,
    Unit,
    UnitCapability,
    Vacancy,
    VacancyEvent,
    stale_before,
)
from tsunagu.network.models import distance_km


class StaleVacancy(Exception):
    """The figures changed after the user was shown them. Nothing was written; `current` is the
    unit's vacancy as it is now (who changed it, when, to what)."""

    def __init__(self, current):
        super().__init__(current)
        self.current = current


def _locked_vacancy(unit) -> Vacancy:
    """The unit's current vacancy row, locked for this transaction (created when missing)."""
    vacancy, _ = Vacancy.objects.select_for_update().get_or_create(unit=unit)
    return vacancy


def _compare_and_set(vacancy, shown_version, **fields):
    """Write `fields` and the next version if the row still has the version the user saw
    (any version when shown_version is None); otherwise StaleVacancy."""
    expected = vacancy.version if shown_version is None else shown_version
    changed = Vacancy.objects.filter(pk=vacancy.pk, version=expected).update(
        version=F("version") + 1, **fields
    )
    if not changed:
        raise StaleVacancy(Vacancy.objects.select_related("updated_by").get(pk=vacancy.pk))
    for name, value in fields.items():
        setattr(vacancy, name, value)
    vacancy.version = expected + 1


@transaction.atomic
def record_vacancy(
    unit, *, by, free_now, expected_7d, free_male=None, free_female=None, note="", shown_version=None
):
    """Store new figures for a unit: the current row changes and one event is appended.

    shown_version is the version the user's page showed; when a colleague saved in between,
    nothing is written and StaleVacancy carries the colleague's figures. None skips the check
    (loaders and scripts, which show nothing to anyone).
    """
    now = timezone.now()
    vacancy = _locked_vacancy(unit)
    _compare_and_set(
        vacancy,
        shown_version,
        free_now=free_now,
        free_male=free_male,
        free_female=free_female,
        expected_7d=expected_7d,
        note=note,
        updated_at=now,
        updated_by=by,
    )
    VacancyEvent.objects.create(
        unit=unit,
        free_now=free_now,
        free_male=free_male,
        free_female=free_female,
        expected_7d=expected_7d,
        note=note,
        unchanged=False,
        at=now,
        by=by,
    )
    unit.vacancy = vacancy
    unit.sync_search_fields(vacancy=vacancy)
    return vacancy


@transaction.atomic
def confirm_vacancy_unchanged(unit, *, by, shown_version=None):
    """「変更なし」: the figures the user was shown still hold; only who and when move on.

    Refused (StaleVacancy) when they are no longer the figures the user saw.
    """
    now = timezone.now()
    vacancy = _locked_vacancy(unit)
    _compare_and_set(vacancy, shown_version, updated_at=now, updated_by=by)
    VacancyEvent.objects.create(
        unit=unit,
        free_now=vacancy.free_now,
        free_male=vacancy.free_male,
        free_female=vacancy.free_female,
        expected_7d=vacancy.expected_7d,
        note=vacancy.note,
        unchanged=True,
        at=now,
        by=by,
    )
    unit.vacancy = vacancy
    unit.sync_search_fields(vacancy=vacancy)
    return vacancy


@dataclass
class ConfirmAll:
    """What 「すべて変更なし」 did: units confirmed, and units left alone because their figures
    changed after the page showed them (or the page did not show them), with their vacancy now."""

    confirmed: list = field(default_factory=list)
    changed: list = field(default_factory=list)


@transaction.atomic
def confirm_all_unchanged(units, *, by, shown_versions=None) -> ConfirmAll:
    """「すべて変更なし」 for the given units in one transaction.

    shown_versions maps unit pk → the version the page showed; a unit whose vacancy moved on
    since, or that the page did not show, is not confirmed but reported. None checks nothing.
    """
    outcome = ConfirmAll()
    for unit in units:
        shown = None if shown_versions is None else shown_versions.get(unit.pk, -1)
        try:
            confirm_vacancy_unchanged(unit, by=by, shown_version=shown)
        except StaleVacancy as stale:
            unit.vacancy = stale.current
            outcome.changed.append(unit)
        else:
            outcome.confirmed.append(unit)
    return outcome


@transaction.atomic
def save_unit_capabilities(unit, levels: dict):
    """Replace a unit's capabilities with {CareNeed: (level, note)} and refresh its search masks.

    "no" is stored too, so the facility page can say 不可 rather than leave it unknown.
    """
    existing = {cap.need_id: cap for cap in unit.capabilities.select_for_update()}
    for need, (level, note) in levels.items():
        note = note if level == UnitCapability.Level.CONDITIONAL else ""
        cap = existing.get(need.pk)
        if cap is None:
            UnitCapability.objects.create(unit=unit, need=need, level=level, note=note)
        elif (cap.level, cap.note) != (level, note):
            cap.level, cap.note = level, note
            cap.save(update_fields=["level", "note"])
    unit.refresh_capability_masks()


@transaction.atomic
def save_unit(form):
    """Save a UnitForm; a new unit starts with an empty vacancy row (shown as 未更新)."""
    unit = form.save()
    vacancy, _ = Vacancy.objects.get_or_create(unit=unit)
    unit.sync_search_fields(vacancy=vacancy)
    return unit


@transaction.atomic
def save_facility_profile(form):
    """Save a FacilityProfileForm; the units' search copies follow the facility's status."""
    facility = form.save()
    if "active" in form.changed_data:
        Unit.objects.filter(facility=facility).sync_search_fields()
    return facility


# --- directory ------------------------------------------------------------------------------


def directory_queryset(
    *, name="", area=None, municipality=None, kind=None, need_mask=0, free_now=False, near=None
):
    """Active facilities matching the directory filters, ordered by distance from `near` or by kana.

    Unit-level filters (care needs, free beds) must hold for one and the same active unit.
    """
    facilities = Facility.objects.active().select_related("kind", "municipality")
    if name:
        facilities = facilities.filter(Q(name__icontains=name) | Q(kana__icontains=name))
    if area is not None:
        facilities = facilities.filter(municipality__area=area)
    if municipality is not None:
        facilities = facilities.filter(municipality=municipality)
    if kind is not None:
        facilities = facilities.filter(
            Q(kind=kind) | Q(pk__in=Unit.objects.active().filter(kind=kind).values("facility"))
        )
    if need_mask or free_now:
        units = Unit.objects.active().covering(need_mask)
        if free_now:
            units = units.with_free_beds()
        facilities = facilities.filter(pk__in=units.values("facility"))
    facilities = facilities.prefetch_related(
        Prefetch("units", queryset=Unit.objects.filter(active=True).select_related("kind", "vacancy"))
    )
    if near is not None and near.lat is not None and near.lng is not None:
        # Squared equirectangular distance: good enough to order, computable on SQLite and PostgreSQL.
        cos0 = math.cos(math.radians(near.lat))
        lat = Coalesce(F("lat"), F("municipality__lat"))
        lng = Coalesce(F("lng"), F("municipality__lng"))
        dlat = lat - Value(near.lat)
        dlng = (lng - Value(near.lng)) * Value(cos0)
        facilities = facilities.annotate(distance2=_float(dlat * dlat + dlng * dlng)).order_by(
            F("distance2").asc(nulls_last=True), "kana", "name"
        )
    else:
        facilities = facilities.order_by("kana", "name")
    return facilities


def _float(expression):
    return ExpressionWrapper(expression, output_field=FloatField())


@dataclass
class DirectoryRow:
    """One facility as the directory shows it, with its units' vacancies summed up."""

    facility: Facility
    units: list = field(default_factory=list)
    free_now: int = 0
    expected_7d: int = 0
    has_beds: bool = False
    updated_at: object = None
    stale: bool = False
    distance_km: float | None = None


def directory_rows(facilities, near=None) -> list[DirectoryRow]:
    """Rows from facilities whose active units (with vacancy) are prefetched; no queries."""
    threshold = stale_before()
    rows = []
    for facility in facilities:
        row = DirectoryRow(facility=facility, units=list(facility.units.all()))
        oldest = None
        for unit in row.units:
            if not unit.kind.has_beds and not unit.beds:
                continue
            row.has_beds = True
            vacancy = getattr(unit, "vacancy", None)
            if vacancy is None or vacancy.updated_at is None:
                row.stale = True
                continue
            row.free_now += vacancy.free_now
            row.expected_7d += vacancy.expected_7d
            if oldest is None or vacancy.updated_at < oldest:
                oldest = vacancy.updated_at
        # A unit that never reported makes the whole row 未更新.
        row.updated_at = None if row.stale else oldest
        if oldest is not None and oldest < threshold:
            row.stale = True
        if near is not None:
            row.distance_km = distance_km(
                facility.lat if facility.lat is not None else facility.municipality.lat,
                facility.lng if facility.lng is not None else facility.municipality.lng,
                near.lat,
                near.lng,
            )
        rows.append(row)
    return rows


class LastAdminError(Exception):
    """Raised when a change would leave a facility without any facility admin."""


@transaction.atomic
def change_role(membership, role):
    """Give a member a new role; a facility always keeps at least one facility admin."""
    from tsunagu.accounts.models import Membership

    admins = list(
        Membership.objects.select_for_update()
        .filter(facility_id=membership.facility_id, role=Membership.Role.FACILITY_ADMIN)
        .values_list("pk", flat=True)
    )
    if role != Membership.Role.FACILITY_ADMIN and admins == [membership.pk]:
        raise LastAdminError
    Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role
    return membership
