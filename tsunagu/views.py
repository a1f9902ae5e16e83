"""The home page: what each user needs first, by role.

- the network office: how current the network is, imports, users who have not signed in yet;
- a care home (or any facility with beds): today's vacancies with 「変更なし」 in one tap, then the
  requests waiting for its answer;
- a hospital, clinic or care manager that sends cases: the action queue first.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tsunagu.cases.models import Case
from tsunagu.facilities.forms import VacancyForm
from tsunagu.facilities.freshness import freshness_by_area, stalest_facilities
from tsunagu.facilities.models import ImportRun, Unit
from tsunagu.network.models import FacilityKind
from tsunagu.referrals.models import Referral
from tsunagu.referrals.worklist import KINDS, action_queue

INBOX_PREVIEW = 10


@require_GET
def home(request):
    user = request.user
    if user.is_office:
        return _office_home(request)
    if user.facility is None:
        return render(request, "home/empty.html")
    return _facility_home(request, user.facility)


def _office_home(request):
    users = get_user_model().objects.filter(is_active=True, last_login__isnull=True)
    context = {
        "areas": freshness_by_area(),
        "stalest": stalest_facilities(),
        "imports": ImportRun.objects.defer("content", "errors")[:5],
        "waiting_users": users.select_related("membership__facility").order_by("date_joined")[:20],
        "waiting_count": users.count(),
    }
    return render(request, "home/office.html", context)


def _facility_home(request, facility):
    units = list(
        Unit.objects.filter(facility=facility, active=True, beds__gt=0)
        .select_related("kind", "vacancy", "vacancy__updated_by")
        .order_by("name")
    )
    received = Referral.objects.received_by(facility)
    awaiting = (
        received.awaiting_answer()
        .select_related("case", "case__owner", "case__municipality", "unit")
        .prefetch_related("case__needs__need")
        .order_by("deadline")[:INBOX_PREVIEW]
    )
    counts = received.aggregate(
        awaiting=Count("pk", filter=Q(status__in=Referral.AWAITING_RECEIVER)),
        new=Count("pk", filter=Q(status=Referral.Status.SENT)),
    )
    sort = request.GET.get("sort", "at")
    by = request.GET.get("by") or None
    queue = action_queue(facility, by=by, sort=sort)  # an unknown sort falls back to time
    care_home_first = facility.kind.group == FacilityKind.Group.CARE_HOME
    context = {
        "facility": facility,
        "cards": [{"unit": unit, "form": VacancyForm(unit=unit)} for unit in units],
        "awaiting": awaiting,
        "awaiting_count": counts["awaiting"],
        "new_count": counts["new"],
        "queue": queue,
        "queue_kinds": KINDS,
        "queue_owners": _owners(facility),
        "sort": sort,
        "by": by,
        "sends_cases": not care_home_first or bool(queue),
        "care_home_first": care_home_first,
    }
    return render(request, "home/facility.html", context)


def _owners(facility):
    """The 担当 to filter the queue by: the facility's members who registered an open case."""
    registered = Case.objects.filter(owner=facility, status=Case.Status.OPEN).values("created_by")
    return get_user_model().objects.filter(pk__in=registered).order_by("display_name", "username")
