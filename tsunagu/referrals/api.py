"""Referrals in the JSON API (/api/v1/referrals/…): the same transition() the pages call."""

from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from tsunagu.audit import services as audit
from tsunagu.audit.models import AuditEvent
from tsunagu.lib.access import require_member
from tsunagu.referrals import services
from tsunagu.referrals.access import allowed_transitions, get_referral_for_user_or_404
from tsunagu.referrals.forms import AnswerForm, ReasonForm
from tsunagu.referrals.models import Referral
from tsunagu.referrals.services import TransitionRefused

router = Router(tags=["referrals"])


class ReferralOut(Schema):
    id: UUID
    case: str
    direction: str
    status: str
    status_label: str
    receiver: str
    unit: str
    deadline: datetime
    earliest_date: date | None
    decline_reason: str
    decline_note: str
    allowed: list[str]


class TransitionIn(Schema):
    to: str
    reason: str = ""
    earliest_date: date | None = None
    decline_reason: str = ""
    decline_note: str = ""


class ErrorOut(Schema):
    detail: str


def _out(referral, user) -> dict:
    return {
        "id": referral.public_id,
        "case": referral.case.ref,
        "direction": referral.direction,
        "status": referral.status,
        "status_label": str(referral.get_status_display()),
        "receiver": referral.receiver.name,
        "unit": referral.unit.name,
        "deadline": referral.deadline,
        "earliest_date": referral.earliest_date,
        "decline_reason": referral.decline_reason,
        "decline_note": referral.decline_note,
        "allowed": allowed_transitions(referral, user),
    }


@router.get("/incoming", response=list[ReferralOut], summary="届いた依頼 (未回答)")
def incoming(request):
    try:
        facility = require_member(request.user)
    except PermissionDenied as error:
        raise HttpError(403, str(error)) from error
    referrals = (
        Referral.objects.received_by(facility)
        .filter(status__in=Referral.AWAITING_RECEIVER)
        .select_related("case", "unit", "receiver")
        .order_by("-created_at")[:200]
    )
    return [_out(referral, request.user) for referral in referrals]


@router.get("/{public_id}", response=ReferralOut, summary="打診の状態")
def detail(request, public_id: UUID):
    referral = get_referral_for_user_or_404(request.user, public_id)
    audit.record(request, AuditEvent.Action.VIEW, obj=referral, detail={"via": "api"})
    return _out(referral, request.user)


# The texts are checked by the very fields of the pages' forms: same length limits, same
# personal-data guard, same Japanese messages.
TEXT_FIELDS = {
    "decline_note": AnswerForm.base_fields["decline_note"],
    "reason": ReasonForm.base_fields["reason"],
}


@router.post(
    "/{public_id}/transition",
    response={200: ReferralOut, 409: ErrorOut, 422: ErrorOut},
    summary="打診の状態を変える",
)
def transition(request, public_id: UUID, data: TransitionIn):
    """受入可 / 受入不可 / 要相談 / 決定 / 取り下げ …: refused with 409 and a Japanese message when the
    table, the current state or the caller's side does not allow it, with 422 when a text is too
    long or looks like personal data (the limits of the pages' forms); nothing changes then."""
    referral = get_referral_for_user_or_404(request.user, public_id)
    if data.to not in Referral.Status.values:
        return Status(409, {"detail": f"「{data.to}」という状態はありません。"})
    texts = {}
    try:
        for name, field in TEXT_FIELDS.items():
            texts[name] = field.clean(getattr(data, name))
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    before = referral.status
    try:
        # The audit row commits with the change or not at all.
        with transaction.atomic():
            services.transition(
                referral,
                data.to,
                by=request.user,
                reason=texts["reason"],
                earliest_date=data.earliest_date,
                decline_reason=data.decline_reason,
                decline_note=texts["decline_note"],
            )
            audit.record(
                request,
                AuditEvent.Action.TRANSITION,
                obj=referral,
                detail={"from": before, "to": referral.status, "via": "api"},
            )
    except TransitionRefused as error:
        return Status(409, {"detail": str(error)})
    return Status(200, _out(referral, request.user))
