"""The network office's view of the audit trail: search and CSV export."""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tsunagu.audit.forms import AuditSearchForm
from tsunagu.audit.models import AuditEvent
from tsunagu.audit.services import Action, record
from tsunagu.lib.access import office_required

PAGE_SIZE = 50


def _search(request):
    form = AuditSearchForm(request.GET or None)
    events = AuditEvent.objects.all()
    if request.GET:
        events = form.filter(events)
    return form, events


@office_required
@require_http_methods(["GET"])
def search(request):
    form, events = _search(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {"form": form, "page": page, "query": query.urlencode()})


class _Echo:
    def write(self, value):
        return value


def _rows(events):
    # A byte-order mark first, so that Excel opens the UTF-8 file with the right characters.
    yield "\ufeff"
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["日時", "利用者", "施設", "操作", "対象の種類", "対象", "IPアドレス", "ブラウザ", "詳細"]
    )
    labels = dict(AuditEvent.Action.choices)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S")]
            + [
                _csv_safe(value)
                for value in (
                    event.username,
                    event.facility_name,
                    str(labels.get(event.action, event.action)),
                    event.object_type,
                    event.object_ref,
                    event.ip or "",
                    event.user_agent,
                    event.detail,
                )
            ]
        )


def _csv_safe(value):
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    text = value if isinstance(value, str) else (repr(value) if value else "")
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@office_required
@require_http_methods(["GET"])
def export(request):
    form, events = _search(request)
    record(
        request,
        Action.EXPORT,
        object_type="auditevent",
        detail={key: value for key, value in request.GET.items() if value},
    )
    response = StreamingHttpResponse(_rows(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
