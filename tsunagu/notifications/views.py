from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from tsunagu.lib.access import require_member
from tsunagu.lib.polling import polled
from tsunagu.notifications.models import Notification
from tsunagu.notifications.services import mark_read, unread_count


@polled
@require_GET
def badge(request):
    """The small unread counter in the navigation, polled by htmx."""
    return render(request, "notifications/_badge.html", {"unread": unread_count(request.user.facility)})


@require_GET
def index(request):
    facility = require_member(request.user)
    notifications = (
        Notification.objects.for_facility(facility)
        .select_related("referral")
        .order_by("-created_at", "-id")[:100]
    )
    return render(request, "notifications/index.html", {"notifications": notifications})


@require_POST
def read_all(request):
    facility = require_member(request.user)
    mark_read(facility, request.user)
    return redirect("notifications:index")
