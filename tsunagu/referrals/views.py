"""Pages of the referral loop: the receiver's inbox and answer, the sender's board, offers."""

import uuid
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tsunagu.audit import services as audit
from tsunagu.audit.models import AuditEvent
from tsunagu.cases.access import get_own_case_or_404, may_act
from tsunagu.cases.models import Case, CaseNeed
from tsunagu.facilities.models import Unit
from tsunagu.idempotency.services import once_per_key
from tsunagu.lib.access import require_member
from tsunagu.lib.polling import polled
from tsunagu.lib.workdays import default_reply_deadline
from tsunagu.referrals import services
from tsunagu.referrals.access import actions_for, actor_side, get_referral_for_user_or_404
from tsunagu.referrals.forms import AnswerForm, MessageForm, OfferForm, ReasonForm, SendForm
from tsunagu.referrals.models import Referral, Side
from tsunagu.referrals.services import TransitionRefused

Status = Referral.Status

INBOX_FILTERS = {
    "new": (Status.SENT, Status.VIEWED, Status.ASKED),
    "answered": (Status.ACCEPTED, Status.DECLINED, Status.OFFERED),
    "closed": (Status.CONFIRMED, Status.RELEASED, Status.WITHDRAWN, Status.EXPIRED),
}


def _refuse(request, error):
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)


def _record(request, action, obj, **detail):
    """The audit trail of who looked at or changed a referral (the referral's own events keep the why).

    A change is recorded inside its own transaction: both commit or neither.
    """
    audit.record(request, action, obj=obj, detail=detail or None)


@polled
@require_GET
def inbox(request):
    facility = require_member(request.user)
    show = request.GET.get("show", "new")
    if show not in INBOX_FILTERS:
        show = "new"
    referrals = (
        Referral.objects.received_by(facility)
        .filter(status__in=INBOX_FILTERS[show])
        .select_related("case", "case__owner", "case__municipality", "unit")
        .prefetch_related(Prefetch("case__needs", queryset=_case_needs()))
        .order_by("-created_at")[:200]
    )
    template = "referrals/_inbox_list.html" if request.htmx else "referrals/inbox.html"
    return render(request, template, {"referrals": referrals, "show": show, "filters": INBOX_FILTERS})


@require_GET
def detail(request, public_id):
    referral = get_referral_for_user_or_404(request.user, public_id)
    # Opening marks the request 既読 for the sender: that change and the view's record go together.
    with transaction.atomic():
        services.open_referral(referral, request.user)
        _record(request, AuditEvent.Action.VIEW, referral)
    can = actions_for(referral, request.user)
    context = {
        "referral": referral,
        "case": referral.case,
        "side": can.side,
        "needs": referral.case.needs.select_related("need"),
        "thread": referral.messages.select_related("author", "author_facility"),
        "events": referral.events.select_related("actor", "actor_facility"),
        "answer_form": AnswerForm(),
        "message_form": MessageForm(),
        "reasons": Referral.DeclineReason.choices,
        "can": can,
        "tomorrow": timezone.localdate() + timedelta(days=1),
    }
    return render(request, "referrals/detail.html", context)


@require_POST
@once_per_key
def answer(request, public_id):
    referral = get_referral_for_user_or_404(request.user, public_id)
    if actor_side(referral, request.user) != Side.RECEIVER:
        raise PermissionDenied(_("この操作は依頼を受けた施設だけができます。"))
    form = AnswerForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("referrals:detail", referral.public_id)
    data = form.cleaned_data
    action = data["action"]
    before = referral.status
    try:
        with transaction.atomic():
            if action == "ask":
                services.ask(referral, by=request.user, question=data["question"])
            elif action == "accept":
                services.transition(
                    referral, Status.ACCEPTED, by=request.user, earliest_date=data["earliest_date"]
                )
            else:
                services.transition(
                    referral,
                    Status.DECLINED,
                    by=request.user,
                    decline_reason=data["decline_reason"],
                    decline_note=data["decline_note"],
                )
            _record(
                request, AuditEvent.Action.TRANSITION, referral, **{"from": before, "to": referral.status}
            )
    except TransitionRefused as error:
        _refuse(request, error)
    else:
        messages.success(
            request, _("回答を送りました: %(status)s") % {"status": referral.get_status_display()}
        )
    return redirect("referrals:detail", referral.public_id)


@require_POST
@once_per_key
def post_message(request, public_id):
    referral = get_referral_for_user_or_404(request.user, public_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    else:
        try:
            with transaction.atomic():
                message = services.post_message(referral, by=request.user, body=form.cleaned_data["body"])
                _record(request, AuditEvent.Action.CREATE, referral, message=str(message.public_id))
        except ValidationError as error:
            _refuse(request, error)
    return redirect(reverse("referrals:detail", args=[referral.public_id]) + "#thread")


def _transition_view(request, public_id, to, done_message):
    referral = get_referral_for_user_or_404(request.user, public_id)
    if actor_side(referral, request.user) is None:
        raise PermissionDenied(_("事務局は打診の状態を変えられません。"))
    form = ReasonForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    else:
        before = referral.status
        try:
            with transaction.atomic():
                services.transition(referral, to, by=request.user, reason=form.cleaned_data["reason"])
                _record(request, AuditEvent.Action.TRANSITION, referral, **{"from": before, "to": to})
        except TransitionRefused as error:
            _refuse(request, error)
        else:
            messages.success(request, done_message)
    if request.POST.get("next") == "board" and actor_side(referral, request.user) == Side.SENDER:
        return redirect("referrals:board", referral.case.ref)
    return redirect("referrals:detail", referral.public_id)


@require_POST
@once_per_key
def confirm(request, public_id):
    return _transition_view(
        request,
        public_id,
        Status.CONFIRMED,
        _("受入先を決定しました。他の依頼先には「他施設に決定」とお知らせしました。"),
    )


@require_POST
@once_per_key
def withdraw(request, public_id):
    return _transition_view(request, public_id, Status.WITHDRAWN, _("取り下げました。"))


@require_POST
@once_per_key
def decline_offer(request, public_id):
    return _transition_view(request, public_id, Status.DECLINED, _("申し出を見送りました。"))


@require_POST
@once_per_key
def send(request, ref):
    """From the search results: the chosen units; a second post with `send` sends the request."""
    require_member(request.user)
    case = get_own_case_or_404(request.user, ref, act=True)
    form = SendForm(request.POST)
    if "send" in request.POST and form.is_valid():
        try:
            with transaction.atomic():
                batch = services.send_request(
                    case,
                    form.cleaned_data["units"],
                    by=request.user,
                    deadline=form.cleaned_data["deadline"],
                    message=form.cleaned_data["message"],
                )
                count = batch.referrals.count()
                _record(
                    request, AuditEvent.Action.CREATE, case, request_batch=str(batch.public_id), units=count
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(n)d件の依頼先に送信しました。") % {"n": count})
            return redirect("referrals:board", case.ref)
    elif "send" not in request.POST:
        # First arrival from the search page: show what will be sent, with the default deadline.
        form = SendForm(initial={"deadline": timezone.localtime(default_reply_deadline(timezone.now()))})
        form.fields["units"].initial = request.POST.getlist("units")
    units = Unit.objects.filter(public_id__in=_valid_uuids(request.POST.getlist("units"))).select_related(
        "facility", "kind", "vacancy"
    )
    return render(request, "referrals/send.html", {"case": case, "form": form, "units": units})


def _valid_uuids(values):
    valid = []
    for value in values:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return valid


@polled
@require_GET
def board(request, ref):
    case = get_own_case_or_404(request.user, ref)
    _record(request, AuditEvent.Action.VIEW, case, page="referral_board")
    context = services.board_context(case)
    context["can_act"] = may_act(request.user, case)
    template = "referrals/_board.html" if request.htmx else "referrals/board.html"
    return render(request, template, context)


@require_POST
@once_per_key
def withdraw_all(request, ref):
    case = get_own_case_or_404(request.user, ref, act=True)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                outcome = services.withdraw_case(case, by=request.user, reason=form.cleaned_data["reason"])
                _record(
                    request,
                    AuditEvent.Action.TRANSITION,
                    case,
                    to="withdrawn",
                    referrals=len(outcome.withdrawn),
                    kept=len(outcome.kept),
                )
        except TransitionRefused as error:
            _refuse(request, error)
        else:
            _report_withdraw_all(request, outcome)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("referrals:board", case.ref)


def _report_withdraw_all(request, outcome):
    """「3件の依頼を取り下げました。1件はすでに回答済みのため取り下げていません: …」"""

    def names(referrals):
        return "、".join(f"{r.receiver.name} {r.unit.name}({r.get_status_display()})" for r in referrals)

    text = _("%(n)d件の依頼を取り下げました。") % {"n": len(outcome.withdrawn)}
    answered = [r for r in outcome.kept if r.status == Status.DECLINED]
    ended = [r for r in outcome.kept if r.status != Status.DECLINED]
    if answered:
        text += _("%(n)d件はすでに回答済みのため取り下げていません: %(names)s。") % {
            "n": len(answered),
            "names": names(answered),
        }
    if ended:
        text += _("%(n)d件はすでに終了していたため取り下げていません: %(names)s。") % {
            "n": len(ended),
            "names": names(ended),
        }
    (messages.warning if outcome.kept else messages.success)(request, text)


def offerable_cases(facility):
    """Open cases published for offers in the facility's medical area, each with the facility's
    units that can care for the patient (every required need covered, kind among those wished)."""
    area_id = facility.municipality.area_id
    units = list(Unit.objects.active().filter(facility=facility).select_related("kind", "vacancy"))
    cases = list(
        Case.objects.published_for_offers()
        .exclude(owner=facility)
        .filter(municipality__area_id=area_id)
        .select_related("municipality", "owner")
        .prefetch_related("wished_kinds", Prefetch("needs", queryset=_case_needs()))
        .order_by("-created_at")[:100]
    )
    taken = set(
        Referral.objects.open().filter(case__in=cases, unit__in=units).values_list("case_id", "unit_id")
    )
    rows = []
    for case in cases:
        kinds = {kind.pk for kind in case.wished_kinds.all()}
        fitting = [
            unit
            for unit in units
            if unit.capability_mask & case.required_mask == case.required_mask
            and (not kinds or unit.kind_id in kinds)
        ]
        if fitting:
            rows.append({"case": case, "units": [(unit, (case.pk, unit.pk) in taken) for unit in fitting]})
    return rows


def _case_needs():
    return CaseNeed.objects.select_related("need")


@require_GET
def offers_browse(request):
    facility = require_member(request.user)
    return render(request, "referrals/offers.html", {"rows": offerable_cases(facility)})


@require_POST
@once_per_key
def offer(request, ref):
    facility = require_member(request.user)
    cases = Case.objects.published_for_offers().exclude(owner=facility)
    case = get_object_or_404(cases, ref=ref, municipality__area_id=facility.municipality.area_id)
    form = OfferForm(request.POST)
    if not form.is_valid():
        raise Http404
    unit = get_object_or_404(Unit, public_id=form.cleaned_data["unit"], facility=facility)
    try:
        with transaction.atomic():
            referral = services.make_offer(case, unit, by=request.user, message=form.cleaned_data["message"])
            _record(request, AuditEvent.Action.CREATE, referral, direction="offer")
    except ValidationError as error:
        _refuse(request, error)
        return redirect("referrals:offers")
    messages.success(request, _("受入れを申し出ました。依頼元の返事をお待ちください。"))
    return redirect("referrals:detail", referral.public_id)
