"""Candidate search: which units can take a patient now, best first, and why.

Hard filters run in SQL on one table (the unit's search copies, kept in step by
Unit.sync_search_fields()) through partial indexes over open units:

- capability_mask & required = required (yes or conditional for every required need);
- kind among the wished kinds; area among the wished areas (or one prefecture, or all Japan);
- the care level accepted (care_level_mask = 0 means any);
- not full (free now or expected within 7 days) and active: `search_open`.

Ranking is an SQL ORDER BY, then LIMIT: fit (fewer "conditional" needs first), freshness of
the vacancy (stale last), distance from the origin (equirectangular, squared, so it needs no
SQL math functions and runs the same on SQLite and PostgreSQL), and cost within budget.
A nationwide search ordered by distance reads only a box around the origin, widened until
the box provably holds the nearest results (see _search_by_distance). The 50 ranked units
come back with what the result shows of them in the same statement; the notes of their
conditional needs take one more query.
"""

import functools
import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tsunagu.facilities.models import Facility, Unit, UnitCapability, stale_before
from tsunagu.network.models import (
    CARE_LEVEL_BITS,
    CareNeed,
    FacilityKind,
    MedicalArea,
    Municipality,
    distance_km,
)

KM_PER_DEGREE = 111.2
# The distance search starts with a box this wide around the origin and doubles it.
FIRST_RADIUS_KM = 20.0
# Beyond this the box spans Japan: run the search without a box.
MAX_RADIUS_KM = 1600.0
FAR_AWAY = 1.0e9


# The columns a result reads of its unit and facility, in the models' field order (from_db
# takes them in that order).
UNIT_COLUMNS = (
    "id",
    "public_id",
    "facility_id",
    "kind_id",
    "name",
    "cost_min",
    "cost_max",
    "capability_mask",
    "conditional_mask",
    "search_area_id",
    "search_lat",
    "search_lng",
    "search_free_now",
    "search_expected_7d",
    "search_vacancy_at",
)
VACANCY_AT = UNIT_COLUMNS.index("search_vacancy_at")
FACILITY_COLUMNS = ("public_id", "name", "municipality_id")


def unit_from_row(row):
    """A Unit (only the columns above loaded) with its Facility, and the names a result shows.

    Real model instances, so that callers can hand them on (e.g. to a bulk request); built
    with from_db from the ranked statement, without further queries. Extra attributes:
    unit.kind_code / kind_name / kind_label / area_code / area_name and
    unit.facility.municipality_name.
    """
    unit_values = row[: len(UNIT_COLUMNS)]
    (
        facility_public_id,
        facility_name,
        municipality_id,
        municipality_name,
        kind_code,
        kind_name,
        kind_short,
        area_code,
        area_name,
    ) = row[len(UNIT_COLUMNS) :]
    unit = Unit.from_db("default", UNIT_COLUMNS, unit_values)
    facility = Facility.from_db(
        "default",
        ("id", *FACILITY_COLUMNS),
        (unit.facility_id, facility_public_id, facility_name, municipality_id),
    )
    facility.municipality_name = municipality_name
    Unit.facility.field.set_cached_value(unit, facility)
    unit.kind_code, unit.kind_name, unit.kind_label = kind_code, kind_name, kind_short or kind_name
    unit.area_code, unit.area_name = area_code, area_name
    return unit


class Order:
    RANK = "rank"  # fit, freshness, distance, cost
    DISTANCE = "distance"  # distance first, then fit, freshness, cost


@dataclass
class Candidate:
    """One unit that fits (or, for a near miss, misses one need), with the reasons."""

    unit: Unit
    distance_km: float | None
    accepted: list  # CareNeed accepted without conditions
    conditional: list  # (CareNeed, note) accepted on conditions
    missing: CareNeed | None
    free_now: int
    expected_7d: int
    vacancy_at: datetime | None
    is_stale: bool
    within_budget: bool | None
    reasons: list[str] = field(default_factory=list)

    @property
    def is_near_miss(self) -> bool:
        return self.missing is not None


@dataclass
class SearchCriteria:
    """A search given by codes (API, benchmark), resolved to what search_units takes."""

    needs: list
    required_mask: int
    kinds: list | None
    areas: list | None
    prefecture: str
    origin: tuple | None
    care_level: str | None
    budget: int | None
    scope: str

    @classmethod
    def from_codes(
        cls,
        *,
        needs=(),
        kinds=(),
        areas=(),
        prefecture="",
        nationwide=False,
        origin="",
        care_level="",
        budget=None,
    ):
        """Resolve codes; raises ValueError with a message for the user on anything unknown."""
        if sum(map(bool, (areas, prefecture, nationwide))) != 1:
            raise ValueError(_("検索範囲 (二次医療圏・都道府県・全国) をどれか1つ指定してください。"))
        found = _resolve_codes(needs=needs, kinds=kinds, areas=areas, origin=origin)
        found_needs = found["need"]
        unknown = set(needs) - {need.code for need in found_needs}
        if unknown:
            raise ValueError(
                _("不明な医療処置のコードです: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
            )
        found_kinds = found["kind"] if kinds else None
        if kinds and len(found_kinds) != len(set(kinds)):
            raise ValueError(_("不明な施設種別のコードが含まれています。"))
        found_areas = found["area"] if areas else None
        if areas and len(found_areas) != len(set(areas)):
            raise ValueError(_("不明な二次医療圏のコードが含まれています。"))
        if prefecture and not (len(prefecture) == 2 and prefecture.isdigit()):
            raise ValueError(_("都道府県コードは2桁の数字で指定してください。"))
        point = None
        if origin:
            if not found["origin"]:
                raise ValueError(_("不明な市区町村コードです: %(code)s") % {"code": origin})
            point = found["origin"][0] if found["origin"][0][0] is not None else None
        if care_level and care_level not in CARE_LEVEL_BITS:
            raise ValueError(_("不明な要介護度です: %(level)s") % {"level": care_level})
        scope = "area" if areas else "prefecture" if prefecture else "nationwide"
        return cls(
            needs=found_needs,
            required_mask=mask_of_needs(found_needs),
            kinds=found_kinds,
            areas=found_areas,
            prefecture=prefecture,
            origin=point,
            care_level=care_level or None,
            budget=budget,
            scope=scope,
        )


def _resolve_codes(*, needs, kinds, areas, origin):
    """Needs (as CareNeed), kind and area ids, and the origin's (lat, lng), in one query."""
    parts, params = [], []
    null = "CAST(NULL AS DOUBLE PRECISION)"

    def part(tag, model, label, extra, condition, values):
        marks = ", ".join(["%s"] * len(values))
        parts.append(
            f"SELECT '{tag}', id, code, {label}, {extra} FROM \"{model._meta.db_table}\" "
            f"WHERE {condition}code IN ({marks})"
        )
        params.extend(values)

    if needs:
        part("need", CareNeed, "label", f"bit, sort_order, {null}, {null}", "active AND ", list(needs))
    if kinds:
        part("kind", FacilityKind, "name", f"0, 0, {null}, {null}", "", list(kinds))
    if areas:
        part("area", MedicalArea, "name", f"0, 0, {null}, {null}", "", list(areas))
    if origin:
        part("origin", Municipality, "name", "0, 0, lat, lng", "", [origin])
    found = {"need": [], "kind": [], "area": [], "origin": []}
    if not parts:
        return found
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for tag, pk, code, label, bit, sort_order, lat, lng in cursor.fetchall():
            if tag == "need":
                found["need"].append(CareNeed(pk=pk, code=code, label=label, bit=bit, sort_order=sort_order))
            elif tag == "origin":
                found["origin"].append((lat, lng))
            else:
                found[tag].append(pk)
    return found


def mask_of_needs(needs) -> int:
    mask = 0
    for need in needs:
        mask |= 1 << need.bit
    return mask


@dataclass
class SearchResult:
    candidates: list[Candidate]
    near_misses: list[Candidate]


def bits_of(mask: int) -> list[int]:
    return [bit for bit in range(mask.bit_length()) if mask >> bit & 1]


def _ids(objects):
    return [getattr(obj, "pk", obj) for obj in objects]


class _Sql:
    """The ranked search as one SQL statement, the same text for SQLite and PostgreSQL.

    Written out rather than through the ORM because building the ORM expressions cost more
    than running the query (the benchmark measures it). Only integers computed here are
    inlined; every value from a request is a parameter.
    """

    U = '"facilities_unit"'

    def __init__(self, required_mask, *, kinds, areas, prefecture, care_level, near_miss):
        u = self.U
        self.where, self.params = [f'{u}."search_open"'], []
        if areas is not None:
            ids = _ids(areas) or [0]
            self.where.append(f'{u}."search_area_id" IN ({", ".join(["%s"] * len(ids))})')
            self.params += ids
        elif prefecture:
            self.where.append(f'{u}."search_pref" = %s')
            self.params.append(prefecture)
        if kinds:
            ids = _ids(kinds)
            self.where.append(f'{u}."kind_id" IN ({", ".join(["%s"] * len(ids))})')
            self.params += ids
        if care_level:
            bit = 1 << CARE_LEVEL_BITS[care_level]
            self.where.append(f'({u}."care_level_mask" = 0 OR ({u}."care_level_mask" & {bit}) <> 0)')
        covered = f'({u}."capability_mask" & {required_mask}) = {required_mask}'
        if not near_miss:
            if required_mask:
                self.where.append(covered)
        else:
            # Missing exactly one required need: adding one required bit makes it a full match.
            one_short = " OR ".join(
                f'(({u}."capability_mask" | {1 << bit}) & {required_mask}) = {required_mask}'
                for bit in bits_of(required_mask)
            )
            self.where.append(f"NOT ({covered}) AND ({one_short})")

    def ranked(self, required_mask, *, origin, budget, order, limit, box=None):
        """(Unit, squared distance) pairs, best first."""
        u = self.U
        where, params = list(self.where), list(self.params)
        keys, key_params = {}, {}
        bits = bits_of(required_mask)
        if bits:
            keys["fit"] = " + ".join(
                f'CASE WHEN ({u}."conditional_mask" & {1 << bit}) = 0 THEN 0 ELSE 1 END' for bit in bits
            )
        keys["stale"] = f'CASE WHEN {u}."search_vacancy_at" >= %s THEN 0 ELSE 1 END'
        key_params["stale"] = [connection.ops.adapt_datetimefield_value(stale_before())]
        if budget:
            keys["over"] = f'CASE WHEN {u}."cost_min" > %s THEN 1 ELSE 0 END'
            key_params["over"] = [budget]
        if origin:
            lat0, lng0 = origin
            shrink = math.cos(math.radians(lat0))
            keys["d2"] = (
                f'COALESCE(({u}."search_lat" - %s) * ({u}."search_lat" - %s)'
                f' + ({u}."search_lng" - %s) * %s * ({u}."search_lng" - %s) * %s, {FAR_AWAY})'
            )
            key_params["d2"] = [lat0, lat0, lng0, shrink, lng0, shrink]
            if box:
                where.append(f'{u}."search_lat" BETWEEN %s AND %s AND {u}."search_lng" BETWEEN %s AND %s')
                params += list(box)
        names = ["d2", "fit", "stale", "over"] if order == Order.DISTANCE else ["fit", "stale", "d2", "over"]
        names = [name for name in names if name in keys]
        select_params = [p for name in names for p in key_params.get(name, [])]
        inner = (
            f'SELECT {u}."id" AS id'
            + "".join(f", {keys[name]} AS k_{name}" for name in names)
            + f" FROM {u} WHERE {' AND '.join(where)} "
            f"ORDER BY {', '.join(f'k_{name}' for name in names)}, id LIMIT {int(limit)}"
        )
        inner_params = select_params + params
        sql = (
            "SELECT r.id, "
            + ", ".join(f'u."{column}"' for column in UNIT_COLUMNS[1:])
            + ', f."public_id", f."name", f."municipality_id", m."name", '
            'k."code", k."name", k."short_name", a."code", a."name", '
            f"{'r.k_d2' if 'd2' in keys else '0.0'} "
            f"FROM ({inner}) r "
            f'JOIN {u} u ON u."id" = r.id '
            'JOIN "facilities_facility" f ON f."id" = u."facility_id" '
            'JOIN "network_municipality" m ON m."id" = f."municipality_id" '
            'JOIN "network_facilitykind" k ON k."id" = u."kind_id" '
            'LEFT JOIN "network_medicalarea" a ON a."id" = u."search_area_id" '
            f"ORDER BY {', '.join(f'r.k_{name}' for name in names)}, r.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, inner_params)
            return [(unit_from_row(_python_values(row[:-1])), row[-1]) for row in cursor.fetchall()]


def _python_values(row):
    """UUIDs and aware datetimes: SQLite hands them back as text and naive UTC."""
    row = list(row)
    for index in (1, len(UNIT_COLUMNS)):
        if isinstance(row[index], str):
            row[index] = uuid.UUID(row[index])
    moment = row[VACANCY_AT]
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    row[VACANCY_AT] = moment
    return row


def _search_by_distance(sql, required_mask, limit, origin, budget):
    """The `limit` nearest rows, reading only a box around the origin when that suffices.

    A result inside a box of half-width r is certainly among the nearest when its distance
    is at most r: every unit outside the box is farther than r. So the box doubles until the
    last of `limit` results lies within r, or the box spans the country.
    """
    lat0, lng0 = origin
    shrink = math.cos(math.radians(lat0))
    radius = FIRST_RADIUS_KM
    while radius < MAX_RADIUS_KM:
        dlat = radius / KM_PER_DEGREE
        dlng = radius / (KM_PER_DEGREE * max(shrink, 0.1))
        box = (lat0 - dlat, lat0 + dlat, lng0 - dlng, lng0 + dlng)
        rows = sql.ranked(
            required_mask, origin=origin, budget=budget, order=Order.DISTANCE, limit=limit, box=box
        )
        if len(rows) == limit and math.sqrt(rows[-1][1]) * KM_PER_DEGREE <= radius:
            return rows
        radius *= 2
    return sql.ranked(required_mask, origin=origin, budget=budget, order=Order.DISTANCE, limit=limit)


def search_units(
    required_mask,
    *,
    kinds=None,
    areas=None,
    prefecture=None,
    care_level=None,
    origin=None,
    budget=None,
    limit=50,
    near_misses=False,
    order=None,
    catalogue=None,
):
    """Ranked candidate units for a set of required needs.

    kinds, areas: FacilityKind / MedicalArea objects or ids (None: any); prefecture: a
    2-digit code used when areas is None; neither: all of Japan. origin: (lat, lng) of the
    patient's municipality. order: Order.RANK (default with areas or prefecture) or
    Order.DISTANCE (default nationwide). catalogue: the CareNeed objects of the mask when
    the caller has them already. Returns a SearchResult: up to `limit` candidates, and with
    near_misses=True up to `limit` units that miss exactly one required need.
    """
    if order is None:
        order = Order.DISTANCE if areas is None and not prefecture and origin else Order.RANK
    if order == Order.DISTANCE and not origin:
        order = Order.RANK
    found = _query(
        required_mask,
        kinds=kinds,
        areas=areas,
        prefecture=prefecture,
        care_level=care_level,
        origin=origin,
        budget=budget,
        limit=limit,
        order=order,
        near_miss=False,
    )
    missed = []
    if near_misses and required_mask:
        missed = _query(
            required_mask,
            kinds=kinds,
            areas=areas,
            prefecture=prefecture,
            care_level=care_level,
            origin=origin,
            budget=budget,
            limit=limit,
            order=order,
            near_miss=True,
        )
    return _build(required_mask, found, missed, origin=origin, budget=budget, catalogue=catalogue)


def _query(required_mask, *, kinds, areas, prefecture, care_level, origin, budget, limit, order, near_miss):
    sql = _Sql(
        required_mask,
        kinds=kinds,
        areas=areas,
        prefecture=prefecture,
        care_level=care_level,
        near_miss=near_miss,
    )
    if order == Order.DISTANCE and areas is None and not prefecture:
        return _search_by_distance(sql, required_mask, limit, origin, budget)
    return sql.ranked(required_mask, origin=origin, budget=budget, order=order, limit=limit)


def _build(required_mask, found, missed, *, origin, budget, catalogue):
    """Candidates from the ranked rows, with the notes of their conditional needs (one query)."""
    units = {unit.pk: unit for unit, _ in found + missed}
    pks = list(units)
    if not pks:
        return SearchResult([], [])
    if catalogue is None:
        catalogue = CareNeed.objects.filter(bit__in=bits_of(required_mask))
    needs = {need.bit: need for need in catalogue}
    bit_of = {need.pk: bit for bit, need in needs.items()}
    notes = {
        (unit_id, bit_of[need_id]): note
        for unit_id, need_id, note in UnitCapability.objects.filter(
            unit_id__in=pks,
            level=UnitCapability.Level.CONDITIONAL,
            need_id__in=list(bit_of),
        )
        .order_by()
        .values_list("unit_id", "need_id", "note")
    }
    stale_from = stale_before()
    today = timezone.localdate()
    t = texts()
    ordered_needs = sorted(needs.items(), key=lambda item: (item[1].sort_order, item[0]))

    def candidate(pk):
        unit = units[pk]
        accepted, conditional, missing = [], [], None
        for bit, need in ordered_needs:
            if not unit.capability_mask >> bit & 1:
                missing = need
            elif unit.conditional_mask >> bit & 1:
                conditional.append((need, notes.get((pk, bit), "")))
            else:
                accepted.append(need)
        distance = None
        if origin:
            distance = distance_km(origin[0], origin[1], unit.search_lat, unit.search_lng)
        within = None
        if budget and unit.cost_min is not None:
            within = unit.cost_min <= budget
        result = Candidate(
            unit=unit,
            distance_km=distance,
            accepted=accepted,
            conditional=conditional,
            missing=missing,
            free_now=unit.search_free_now,
            expected_7d=unit.search_expected_7d,
            vacancy_at=unit.search_vacancy_at,
            is_stale=unit.search_vacancy_at is None or unit.search_vacancy_at < stale_from,
            within_budget=within,
        )
        result.reasons = reasons_for(result, budget=budget, today=today, t=t)
        return result

    return SearchResult(
        [candidate(unit.pk) for unit, _ in found],
        [candidate(unit.pk) for unit, _ in missed],
    )


def yen_man(yen: int) -> str:
    """120000 → "12", 125000 → "12.5" (万円)."""
    value = round(yen / 10000, 1)
    return f"{value:g}"


def cost_text(unit, t=None) -> str:
    t = t or texts()
    low, high = unit.cost_min, unit.cost_max
    if low is None and high is None:
        return ""
    if low is not None and high is not None and low != high:
        return t["cost_range"] % {"low": yen_man(low), "high": yen_man(high)}
    return t["cost"] % {"cost": yen_man(low if low is not None else high)}


@functools.lru_cache(maxsize=8)
def _texts(language):
    """The reason phrases in the active language, translated once rather than per candidate."""
    return {
        "never": _("未更新"),
        "today": _("本日更新"),
        "yesterday": _("昨日更新"),
        "days": _("%(days)s日前更新"),
        "accepted": _("%(needs)s 対応"),
        "conditional_note": _("%(need)s: 条件付き — %(note)s"),
        "conditional": _("%(need)s: 条件付き"),
        "missing": _("%(need)s に未対応"),
        "free": _("空床 %(free)s"),
        "expected": _("7日以内に %(expected)s 床空く見込み"),
        "stale": _("空き状況が古い可能性があります"),
        "km": _("約 %(km)s km"),
        "within": _("%(cost)s (予算内)"),
        "over": _("%(cost)s (予算超過)"),
        "cost_range": _("月額 %(low)s〜%(high)s万円"),
        "cost": _("月額 %(cost)s万円"),
    }


def texts():
    return _texts(get_language())


def updated_text(moment, today=None, t=None) -> str:
    t = t or texts()
    if moment is None:
        return t["never"]
    days = ((today or timezone.localdate()) - timezone.localdate(moment)).days
    if days <= 0:
        return t["today"]
    if days == 1:
        return t["yesterday"]
    return t["days"] % {"days": days}


def reasons_for(candidate: Candidate, *, budget=None, today=None, t=None) -> list[str]:
    """Why the unit is in the list, in the words a coordinator reads."""
    t = t or texts()
    reasons = []
    if candidate.accepted:
        reasons.append(t["accepted"] % {"needs": "・".join(n.label for n in candidate.accepted)})
    for need, note in candidate.conditional:
        if note:
            reasons.append(t["conditional_note"] % {"need": need.label, "note": note})
        else:
            reasons.append(t["conditional"] % {"need": need.label})
    if candidate.missing is not None:
        reasons.append(t["missing"] % {"need": candidate.missing.label})
    if candidate.free_now:
        vacancy = t["free"] % {"free": candidate.free_now}
    else:
        vacancy = t["expected"] % {"expected": candidate.expected_7d}
    reasons.append(f"{vacancy} ({updated_text(candidate.vacancy_at, today, t)})")
    if candidate.is_stale:
        reasons.append(t["stale"])
    if candidate.distance_km is not None:
        reasons.append(t["km"] % {"km": f"{candidate.distance_km:.1f}"})
    cost = cost_text(candidate.unit, t)
    if cost and budget:
        reasons.append(t["within" if candidate.within_budget else "over"] % {"cost": cost})
    elif cost:
        reasons.append(cost)
    return reasons


def case_origin(case):
    municipality = case.municipality
    if municipality is None or municipality.lat is None:
        return None
    return (municipality.lat, municipality.lng)


def search_candidates(case, *, limit=50, near_misses=False, origin=None):
    """Candidates for a case: its required needs, wished kinds and areas, care level, budget.

    Without wished areas the whole country is searched, nearest first. origin defaults to
    the patient's municipality. Returns a SearchResult.
    """
    areas = list(case.wished_areas.all()) or None
    if "needs" in getattr(case, "_prefetched_objects_cache", {}):
        catalogue = [item.need for item in case.needs.all()]
    else:
        catalogue = [item.need for item in case.needs.select_related("need")]
    return search_units(
        case.required_mask,
        kinds=list(case.wished_kinds.all()) or None,
        areas=areas,
        care_level=case.care_level or None,
        origin=origin or case_origin(case),
        budget=case.budget_monthly or None,
        limit=limit,
        near_misses=near_misses,
        catalogue=catalogue,
    )
