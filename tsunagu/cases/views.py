"""Case registration, the facility's case list, the case page and closing."""

from django.contrib import messages
from django.db import transaction
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tsunagu.audit.services import Action, record
from tsunagu.cases.access import get_visible_case_or_404, may_act
from tsunagu.cases.forms import CaseForm, CloseCaseForm
from tsunagu.cases.models import Case, CaseStateError
from tsunagu.idempotency.services import once_per_key
from tsunagu.lib.access import require_member

LIST_LIMIT = 200

# How each tab of the case list is sorted: open cases by the wished date (soonest first,
# none last), then the oldest registration; finished ones most recent first.
TAB_ORDER = {
    Case.Status.OPEN: [F("wished_date").asc(nulls_last=True), "created_at"],
    Case.Status.MATCHED: ["-updated_at"],
    Case.Status.CLOSED: ["-closed_at"],
}


@require_http_methods(["GET", "POST"])
@once_per_key
def case_new(request):
    facility = require_member(request.user)
    form = CaseForm(request.POST or None, facility=facility)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            case = form.save_case(user=request.user)
            record(request, Action.CREATE, case)
        messages.success(request, _("患者登録 %(ref)s を作成しました。") % {"ref": case.ref})
        return redirect("cases:detail", ref=case.ref)
    return render(request, "cases/case_form.html", {"form": form, "case": None})


@require_http_methods(["GET", "POST"])
def case_edit(request, ref):
    case = get_visible_case_or_404(request.user, ref, change=True)
    if not case.is_open:
        messages.error(request, _("調整中の患者登録だけが編集できます。"))
        return redirect("cases:detail", ref=case.ref)
    form = CaseForm(request.POST or None, instance=case, facility=case.owner)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save_case(user=request.user)
            record(request, Action.UPDATE, case, detail={"fields": form.changed_data[:20]})
        messages.success(request, _("患者登録 %(ref)s を更新しました。") % {"ref": case.ref})
        return redirect("cases:detail", ref=case.ref)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


@require_GET
def case_detail(request, ref):
    case = get_visible_case_or_404(request.user, ref)
    record(request, Action.VIEW, case)
    return render(request, "cases/case_detail.html", _detail_context(request, case, CloseCaseForm()))


def _detail_context(request, case, close_form):
    return {
        "case": case,
        "needs": case.needs.select_related("need"),
        "wished_kinds": case.wished_kinds.all(),
        "wished_areas": case.wished_areas.all(),
        "is_owner": may_act(request.user, case),
        "close_form": close_form,
    }


@require_POST
@once_per_key
def case_close(request, ref):
    case = get_visible_case_or_404(request.user, ref, change=True)
    form = CloseCaseForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/case_detail.html", _detail_context(request, case, form), status=400)
    try:
        with transaction.atomic():
            case.close(form.cleaned_data["outcome"], form.cleaned_data["note"], by=request.user)
            record(request, Action.UPDATE, case, detail={"closed": form.cleaned_data["outcome"]})
    except CaseStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("患者登録 %(ref)s を終了しました。") % {"ref": case.ref})
    return redirect("cases:detail", ref=case.ref)


@require_GET
def case_list(request):
    user = request.user
    cases = Case.objects.visible_to(user)
    facility = user.facility
    if not user.is_office:
        require_member(user)
        # The facility's own cases; cases sent to it are in the referrals inbox.
        cases = cases.owned_by(facility)
    status = request.GET.get("status") or Case.Status.OPEN
    if status not in Case.Status.values:
        status = Case.Status.OPEN
    counts = cases.status_counts()
    rows = list(cases.filter(status=status).with_progress().order_by(*TAB_ORDER[status], "pk")[:LIST_LIMIT])
    tabs = [(value, label, counts[value]) for value, label in Case.Status.choices]
    return render(
        request,
        "cases/case_list.html",
        {
            "rows": rows,
            "tabs": tabs,
            "status": status,
            "count": counts[status],
            "limit": LIST_LIMIT,
            "can_register": facility is not None,
        },
    )
