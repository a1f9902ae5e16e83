"""API v1: candidate search and a ping, authenticated by the Django session."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.http import JsonResponse
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth
from pydantic import Field

from tsunagu.cases.access import get_own_case_or_404
from tsunagu.cases.models import Case
from tsunagu.cases.search import Candidate, SearchCriteria, search_candidates, search_units

api = NinjaAPI(
    title="Tsunagu API",
    version="1",
    urls_namespace="api-v1",
    auth=SessionAuth(),
    description="つなぐの JSON API。ログイン中のセッションで認証します。",
)


class PingOut(Schema):
    ok: bool


@api.get("/ping", response=PingOut, summary="疎通確認")
def ping(request):
    """The cheapest authenticated answer: the floor the search is measured against."""
    return {"ok": True}


class NeedOut(Schema):
    code: str
    label: str


class ConditionalOut(NeedOut):
    note: str


class CandidateOut(Schema):
    unit_id: UUID
    unit_name: str
    facility_id: UUID
    facility_name: str
    kind: str
    kind_name: str
    municipality: str
    area: str | None
    distance_km: float | None
    free_now: int
    expected_7d: int
    vacancy_updated_at: datetime | None
    stale: bool
    cost_min: int | None
    cost_max: int | None
    within_budget: bool | None
    accepted: list[NeedOut]
    conditional: list[ConditionalOut]
    missing: NeedOut | None
    reasons: list[str]


class SearchOut(Schema):
    scope: str
    count: int
    candidates: list[CandidateOut]
    near_misses: list[CandidateOut]


class SearchParams(Schema):
    needs: str = Field("", description="必要な医療処置のコード (カンマ区切り)。case と同時には使えません")
    case: str = Field("", description="患者番号 (例 C-2026-00123)。その患者の条件で検索します")
    kinds: str = Field("", description="施設種別のコード (カンマ区切り)")
    area: str = Field("", description="二次医療圏のコード (カンマ区切り)")
    pref: str = Field("", description="都道府県コード (2桁)")
    nationwide: bool = Field(False, description="全国から探す (近い順)")
    origin: str = Field("", description="患者の市区町村の団体コード (6桁)。距離の起点")
    care_level: str = Field("", description="要介護度 (c1〜c5 など)")
    budget: int | None = Field(None, ge=0, description="月額の予算 (円)")
    limit: int = Field(50, ge=1, le=200)
    near_misses: bool = Field(False, description="1項目だけ足りない施設も返す")
    order: Literal["rank", "distance"] | None = None


def candidate_out(candidate: Candidate) -> dict:
    unit = candidate.unit
    facility = unit.facility
    return {
        "unit_id": unit.public_id,
        "unit_name": unit.name,
        "facility_id": facility.public_id,
        "facility_name": facility.name,
        "kind": unit.kind_code,
        "kind_name": unit.kind_name,
        "municipality": facility.municipality_name,
        "area": unit.area_code,
        "distance_km": round(candidate.distance_km, 1) if candidate.distance_km is not None else None,
        "free_now": candidate.free_now,
        "expected_7d": candidate.expected_7d,
        "vacancy_updated_at": candidate.vacancy_at,
        "stale": candidate.is_stale,
        "cost_min": unit.cost_min,
        "cost_max": unit.cost_max,
        "within_budget": candidate.within_budget,
        "accepted": [{"code": n.code, "label": n.label} for n in candidate.accepted],
        "conditional": [
            {"code": n.code, "label": n.label, "note": note} for n, note in candidate.conditional
        ],
        "missing": (
            {"code": candidate.missing.code, "label": candidate.missing.label} if candidate.missing else None
        ),
        "reasons": candidate.reasons,
    }


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


@api.get("/search", response=SearchOut, summary="受入れ候補の検索")
def search(request, params: Query[SearchParams]):
    """Units that can take the patient now, best first, each with the reasons.

    Either `case` (a case of the caller's own facility; others answer 404) or `needs`
    with a scope: `area`, `pref` or `nationwide` (nearest first from `origin`).
    """
    if params.case:
        if params.needs:
            raise HttpError(400, "case と needs は同時に指定できません。")
        case = get_own_case_or_404(
            request.user, params.case, act=True, queryset=Case.objects.select_related("municipality")
        )
        result = search_candidates(case, limit=params.limit, near_misses=params.near_misses)
        scope = "case"
    else:
        try:
            criteria = SearchCriteria.from_codes(
                needs=_codes(params.needs),
                kinds=_codes(params.kinds),
                areas=_codes(params.area),
                prefecture=params.pref,
                nationwide=params.nationwide,
                origin=params.origin,
                care_level=params.care_level,
                budget=params.budget,
            )
        except ValueError as error:
            raise HttpError(400, str(error)) from error
        result = search_units(
            criteria.required_mask,
            kinds=criteria.kinds,
            areas=criteria.areas,
            prefecture=criteria.prefecture,
            care_level=criteria.care_level,
            origin=criteria.origin,
            budget=criteria.budget,
            limit=params.limit,
            near_misses=params.near_misses,
            order=params.order,
            catalogue=criteria.needs,
        )
        scope = criteria.scope
    # Built here to the SearchOut shape (the tests hold it to it) and sent as it is: validating
    # 50 results through pydantic again would cost more than the whole search.
    return JsonResponse(
        {
            "scope": scope,
            "count": len(result.candidates),
            "candidates": [candidate_out(c) for c in result.candidates],
            "near_misses": [candidate_out(c) for c in result.near_misses],
        },
        json_dumps_params={"ensure_ascii": False},
    )


# Referrals: the same services.transition() the pages call.
from tsunagu.referrals.api import router as referrals_router  # noqa: E402

api.add_router("/referrals", referrals_router)
