"""The candidate search page of a case: results with reasons, near misses, ticks for a bulk request."""

from django.db.models import Prefetch
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from tsunagu.cases.access import get_own_case_or_404
from tsunagu.cases.models import Case, CaseNeed
from tsunagu.cases.search import search_candidates


def case_for_search(user, ref):
    """A case of the user's own facility with what the search reads; 404 for everyone else."""
    cases = Case.objects.select_related("municipality").prefetch_related(
        "wished_kinds", "wished_areas", Prefetch("needs", CaseNeed.objects.select_related("need"))
    )
    return get_own_case_or_404(user, ref, act=True, queryset=cases)


def send_url(case):
    """Where the ticked candidates go: the bulk request of the referrals app, when installed."""
    try:
        return reverse("referrals:send", args=[case.ref])
    except NoReverseMatch:
        return None


@require_GET
def case_search(request, ref):
    case = case_for_search(request.user, ref)
    near_misses = request.GET.get("near") == "1"
    result = search_candidates(case, near_misses=near_misses)
    _mark_already_asked(case, [*result.candidates, *result.near_misses])
    context = {
        "case": case,
        "result": result,
        "near_misses": near_misses,
        "send_url": send_url(case) if case.is_open else None,
        "origin": case.municipality,
    }
    template = "cases/_candidates.html" if request.htmx else "cases/search.html"
    return render(request, template, context)


def _mark_already_asked(case, candidates):
    """Each candidate learns this case's latest referral to its unit (`candidate.previous`), so the page
    marks the places already asked and what they answered; an open one cannot be ticked again."""
    latest = {}
    # Through the reverse relation, so this app needs no import of the referrals app.
    for referral in case.referrals.only("unit_id", "status", "direction", "created_at").order_by(
        "created_at"
    ):
        latest[referral.unit_id] = referral
    for candidate in candidates:
        candidate.previous = latest.get(candidate.unit.pk)
