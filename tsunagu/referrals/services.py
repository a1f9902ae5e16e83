"""The referral loop's operations: send, transition (the one writer of status), offer, message,
and the worker tasks for expiry and reminders.

Every operation runs in one transaction: status, event and notifications commit together or not at all.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.cases.models import Case
from tsunagu.lib.privacy import validate_no_personal_data
from tsunagu.lib.workdays import default_reply_deadline
from tsunagu.notifications.models import Notification
from tsunagu.notifications.services import notify
from tsunagu.referrals.access import actor_side
from tsunagu.referrals.models import Message, Referral, ReferralEvent, RequestBatch, Side

MAX_UNITS_PER_REQUEST = 50
# The longest text each operation takes, as its form does: a longer text is refused for its
# length before the personal-data guard reads it (the API has no form in front of it).
REASON_MAX_LENGTH = ReferralEvent._meta.get_field("reason").max_length
DECLINE_NOTE_MAX_LENGTH = Referral._meta.get_field("decline_note").max_length
MESSAGE_MAX_LENGTH = Message._meta.get_field("body").max_length
Status = Referral.Status


class TransitionRefused(Exception):
    """A change the referral's table, its current state or the actor does not allow. Nothing changed."""


def referral_link(referral) -> str:
    return reverse("referrals:detail", args=[referral.public_id])


def _guard(text, max_length):
    if text:
        validate_no_personal_data(text, max_length=max_length)


def _label(status) -> str:
    return str(Status(status).label)


def _notify_change(referral, to, by, reason):
    """Tell the other side what happened."""
    case_ref = referral.case.ref
    unit_name = f"{referral.receiver.name} {referral.unit.name}"
    link = referral_link(referral)
    kind = Notification.Kind
    if to in (Status.ACCEPTED, Status.DECLINED) and not referral.is_offer:
        text = _("%(unit)s が %(ref)s に「%(status)s」と回答しました") % {
            "unit": unit_name,
            "ref": case_ref,
            "status": _label(to),
        }
        notify(referral.case.owner, kind.ANSWERED, text, referral=referral, link=link)
    elif to == Status.ASKED:
        text = _("%(unit)s が %(ref)s について相談を求めています") % {"unit": unit_name, "ref": case_ref}
        notify(referral.case.owner, kind.ANSWERED, text, referral=referral, link=link)
    elif to == Status.VIEWED:
        text = _("%(unit)s が %(ref)s の依頼を開きました") % {"unit": unit_name, "ref": case_ref}
        notify(referral.case.owner, kind.VIEWED, text, referral=referral, link=link)
    elif to == Status.CONFIRMED:
        text = _("%(ref)s の受入先に決定しました (%(unit)s)") % {"ref": case_ref, "unit": unit_name}
        notify(referral.receiver, kind.CONFIRMED, text, referral=referral, link=link)
    elif to == Status.RELEASED:
        text = _("%(ref)s は他施設に決定しました。ご協力ありがとうございました") % {"ref": case_ref}
        notify(referral.receiver, kind.RELEASED, text, referral=referral, link=link)
    elif to == Status.WITHDRAWN and referral.is_offer:
        text = _("%(unit)s が %(ref)s への受入れの申し出を取り下げました") % {
            "unit": unit_name,
            "ref": case_ref,
        }
        notify(referral.case.owner, kind.WITHDRAWN, text, referral=referral, link=link)
    elif to == Status.WITHDRAWN:
        text = _("%(ref)s の依頼は取り下げられました") % {"ref": case_ref}
        notify(referral.receiver, kind.WITHDRAWN, text, referral=referral, link=link)
    elif to == Status.DECLINED and referral.is_offer:
        text = _("%(ref)s への受入れの申し出は見送られました") % {"ref": case_ref}
        notify(referral.receiver, kind.ANSWERED, text, referral=referral, link=link)
    elif to == Status.EXPIRED:
        text = _("%(ref)s (%(unit)s) は回答期限を過ぎました") % {"ref": case_ref, "unit": unit_name}
        notify(referral.case.owner, kind.EXPIRED, text, referral=referral, link=link)
        notify(referral.receiver, kind.EXPIRED, text, referral=referral, link=link)


def _answer_fields(referral, to, earliest_date, decline_reason, decline_note):
    """Validate and return the answer fields that go with a transition."""
    fields = {}
    if to == Status.ACCEPTED:
        if earliest_date is None:
            raise TransitionRefused(_("受入れ可能日を入力してください。"))
        if earliest_date < timezone.localdate():
            raise TransitionRefused(_("受入れ可能日に過去の日付は指定できません。"))
        fields["earliest_date"] = earliest_date
    if to == Status.DECLINED and not referral.is_offer:
        if decline_reason not in Referral.DeclineReason.values:
            raise TransitionRefused(_("受入不可の理由を選んでください。"))
        if decline_reason == Referral.DeclineReason.OTHER and not decline_note.strip():
            raise TransitionRefused(_("「その他」を選んだときは理由を書いてください。"))
        fields["decline_reason"] = decline_reason
        fields["decline_note"] = decline_note.strip()
    elif decline_reason or decline_note:
        raise TransitionRefused(_("理由は受入不可の回答にだけ付けられます。"))
    return fields


def transition(referral, to, *, by=None, reason="", earliest_date=None, decline_reason="", decline_note=""):
    """Move `referral` to `to` — the only code that writes Referral.status.

    Refused (TransitionRefused, in Japanese; nothing changes) when the table has no such
    step from the current state, when `by` is not on the side the table names, or when
    somebody else changed the referral first (compare-and-set on the status read).
    Confirming locks the case row, marks the case matched and releases every other open
    referral of the case in the same transaction.
    """
    side = referral.side_for(to)
    if side is None:
        raise TransitionRefused(
            _("「%(old)s」の打診を「%(new)s」にはできません。")
            % {"old": _label(referral.status), "new": _label(to)}
        )
    actor = actor_side(referral, by)
    if actor != side:
        if side == Side.SYSTEM:
            raise TransitionRefused(_("期限切れはシステムだけが設定します。"))
        if side == Side.SENDER:
            raise TransitionRefused(_("この操作は依頼した施設だけができます。"))
        raise TransitionRefused(_("この操作は依頼を受けた施設だけができます。"))
    try:
        _guard(reason, REASON_MAX_LENGTH)
        _guard(decline_note, DECLINE_NOTE_MAX_LENGTH)
    except ValidationError as error:
        raise TransitionRefused(" ".join(error.messages)) from error
    fields = _answer_fields(referral, to, earliest_date, decline_reason, decline_note)
    now = timezone.now()
    if to == Status.VIEWED:
        fields["viewed_at"] = now
    if to in (Status.ACCEPTED, Status.DECLINED, Status.ASKED) and not referral.is_offer:
        fields["answered_at"] = now
    if to not in Referral.OPEN_STATUSES:
        fields["closed_at"] = now
    facility = by.facility if by is not None else None

    try:
        with transaction.atomic():
            if to in (Status.ACCEPTED, Status.CONFIRMED, Status.ASKED):
                # Serialise with every confirmation of this case: the case row is the lock.
                case = Case.objects.select_for_update().get(pk=referral.case_id)
                if case.status != Case.Status.OPEN:
                    raise TransitionRefused(_("この患者はすでに受入先が決まっているか、終了しています。"))
                referral.case = case
            changed = Referral.objects.filter(pk=referral.pk, status=referral.status).update(
                status=to, updated_at=now, **fields
            )
            if not changed:
                raise TransitionRefused(
                    _("この打診は他の人が先に更新しました。画面を読み込み直してください。")
                )
            ReferralEvent.objects.create(
                referral=referral,
                from_status=referral.status,
                to_status=to,
                actor=by,
                actor_facility=facility,
                at=now,
                reason=(reason or decline_note)[:300],
            )
            referral.status = to
            for name, value in fields.items():
                setattr(referral, name, value)
            if to == Status.CONFIRMED:
                case.mark_matched()
                release_others(referral, by=by)
            _notify_change(referral, to, by, reason)
    except IntegrityError as error:
        # The database constraint backs the case lock: a second confirmation never commits.
        referral.refresh_from_db()
        raise TransitionRefused(_("この患者はすでに他の施設に決定しています。")) from error
    return referral


def release_others(confirmed, *, by):
    """Release every other open referral of the confirmed one's case (他施設に決定), each with its event."""
    others = (
        Referral.objects.open()
        .filter(case_id=confirmed.case_id)
        .exclude(pk=confirmed.pk)
        .select_related("case", "unit", "receiver")
    )
    for other in others:
        other.case = confirmed.case
        for _attempt in range(3):
            try:
                transition(other, Status.RELEASED, by=by, reason=_("他施設に決定"))
                break
            except TransitionRefused:
                # The receiver changed it a moment ago (e.g. opened or declined it): look again.
                other.refresh_from_db(fields=["status"])
                if other.status not in Referral.OPEN_STATUSES:
                    break
        else:
            raise TransitionRefused(_("他の打診の更新が重なりました。もう一度お試しください。"))


def send_request(case, units, *, by, deadline=None, message=""):
    """一斉依頼: one request of `case` to many units; each unit gets its own referral.

    Refuses (ValidationError) when the user is not of the case's facility, the case is not
    open, no or too many units are chosen, a unit already has an open referral of this case,
    or the message holds personal data.
    """
    facility = by.facility
    if facility is None or facility.pk != case.owner_id:
        raise ValidationError(_("この患者登録の施設の職員だけが依頼を送れます。"))
    units = list(units)
    if not units:
        raise ValidationError(_("依頼先を1つ以上選んでください。"))
    if len(units) > MAX_UNITS_PER_REQUEST:
        raise ValidationError(_("一度に送れる依頼先は%(n)d件までです。") % {"n": MAX_UNITS_PER_REQUEST})
    now = timezone.now()
    deadline = deadline or default_reply_deadline(now)
    if deadline <= now:
        raise ValidationError(_("回答期限は今より後の日時にしてください。"))
    _guard(message, MESSAGE_MAX_LENGTH)
    if any(unit.facility_id == facility.pk for unit in units):
        raise ValidationError(_("自施設の病棟には依頼を送れません。"))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != Case.Status.OPEN:
            raise ValidationError(_("調整中の患者登録だけ依頼を送れます。"))
        already = set(
            Referral.objects.open()
            .filter(case=case, unit__in=units)
            .values_list("unit__facility__name", "unit__name")
        )
        if already:
            names = "、".join(f"{f} {u}" for f, u in sorted(already))
            raise ValidationError(
                _("次の依頼先には、すでに回答待ちの依頼があります: %(names)s") % {"names": names}
            )
        batch = RequestBatch.objects.create(
            case=case, sent_by=by, sender=facility, deadline=deadline, message=message
        )
        referrals = Referral.objects.bulk_create(
            Referral(
                case=case,
                batch=batch,
                unit=unit,
                receiver_id=unit.facility_id,
                direction=Referral.Direction.REQUEST,
                status=Status.SENT,
                deadline=deadline,
            )
            for unit in units
        )
        # bulk_create returns pks on PostgreSQL and SQLite; the events and notifications need them.
        ReferralEvent.objects.bulk_create(
            ReferralEvent(
                referral=r,
                from_status="",
                to_status=Status.SENT,
                actor=by,
                actor_facility=facility,
                at=now,
                reason=_("一斉依頼"),
            )
            for r in referrals
        )
        if message:
            Message.objects.bulk_create(
                Message(referral=r, author=by, author_facility=facility, body=message) for r in referrals
            )
        for referral, unit in zip(referrals, units):
            referral.unit = unit
            notify(
                unit.facility,
                Notification.Kind.NEW_REQUEST,
                _("%(sender)s から新しい受入れ依頼 (%(ref)s) が届きました")
                % {"sender": facility.name, "ref": case.ref},
                referral=referral,
                link=referral_link(referral),
            )
    return batch


def make_offer(case, unit, *, by, message=""):
    """A receiving facility offers one of its units for a published open case."""
    facility = by.facility
    if facility is None or unit.facility_id != facility.pk:
        raise ValidationError(_("自施設の病棟からだけ申し出られます。"))
    if case.owner_id == facility.pk:
        raise ValidationError(_("自施設の患者登録には申し出られません。"))
    _guard(message, MESSAGE_MAX_LENGTH)
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != Case.Status.OPEN or not locked.published_for_offers:
            raise ValidationError(_("この患者登録は受入れの申し出を受け付けていません。"))
        if Referral.objects.open().filter(case=case, unit=unit).exists():
            raise ValidationError(_("この病棟には、この患者についてすでに進行中の打診があります。"))
        referral = Referral.objects.create(
            case=case,
            unit=unit,
            receiver=facility,
            direction=Referral.Direction.OFFER,
            status=Status.OFFERED,
            deadline=default_reply_deadline(now),
        )
        ReferralEvent.objects.create(
            referral=referral,
            from_status="",
            to_status=Status.OFFERED,
            actor=by,
            actor_facility=facility,
            at=now,
            reason=_("受入れの申し出"),
        )
        if message:
            Message.objects.create(referral=referral, author=by, author_facility=facility, body=message)
        notify(
            case.owner,
            Notification.Kind.OFFER,
            _("%(unit)s から %(ref)s の受入れの申し出がありました")
            % {"unit": f"{facility.name} {unit.name}", "ref": case.ref},
            referral=referral,
            link=referral_link(referral),
        )
    return referral


def post_message(referral, *, by, body):
    """A message on the referral from either side; guarded against personal data."""
    side = actor_side(referral, by)
    if side not in (Side.SENDER, Side.RECEIVER):
        raise ValidationError(_("この打診の当事者だけがメッセージを送れます。"))
    body = body.strip()
    if not body:
        raise ValidationError(_("メッセージを入力してください。"))
    _guard(body, MESSAGE_MAX_LENGTH)
    if referral.status in (Status.WITHDRAWN, Status.EXPIRED, Status.RELEASED):
        raise ValidationError(_("終了した打診にはメッセージを送れません。"))
    facility = by.facility
    other = referral.receiver if side == Side.SENDER else referral.case.owner
    with transaction.atomic():
        message = Message.objects.create(referral=referral, author=by, author_facility=facility, body=body)
        notify(
            other,
            Notification.Kind.MESSAGE,
            _("%(facility)s から %(ref)s についてメッセージが届きました")
            % {"facility": facility.name, "ref": referral.case.ref},
            referral=referral,
            link=referral_link(referral),
        )
    return message


def ask(referral, *, by, question):
    """要相談: the receiver's question, as a transition plus the question as a message."""
    question = question.strip()
    if not question:
        raise TransitionRefused(_("相談したい内容を入力してください。"))
    try:
        _guard(question, MESSAGE_MAX_LENGTH)
    except ValidationError as error:
        raise TransitionRefused(" ".join(error.messages)) from error
    with transaction.atomic():
        transition(referral, Status.ASKED, by=by, reason=question[:300])
        Message.objects.create(referral=referral, author=by, author_facility=by.facility, body=question)
    return referral


def open_referral(referral, user):
    """The receiver opened the referral: it becomes 既読 for the sender (once)."""
    if referral.status == Status.SENT and actor_side(referral, user) == Side.RECEIVER:
        try:
            transition(referral, Status.VIEWED, by=user)
        except TransitionRefused:
            referral.refresh_from_db()
    side = actor_side(referral, user)
    if side in (Side.SENDER, Side.RECEIVER):
        facility = user.facility
        Message.objects.filter(referral=referral, read_at__isnull=True).exclude(
            author_facility=facility
        ).update(read_at=timezone.now())
        from tsunagu.notifications.services import mark_read

        mark_read(facility, user, referral=referral)


@dataclass
class WithdrawAll:
    """What 「すべて取り下げる」 did: the referrals withdrawn, and those left as they were because
    somebody moved them first (a receiver declined, the deadline passed), with their status now."""

    withdrawn: list = field(default_factory=list)
    kept: list = field(default_factory=list)


def withdraw_case(case, *, by, reason="") -> WithdrawAll:
    """Withdraw every open request of the case, in one transaction.

    A referral that changed meanwhile is looked at again: withdrawn if it still can be (e.g. it
    was accepted a moment ago), otherwise kept and reported in the result — never a half-done
    refusal. Refused as a whole (TransitionRefused, nothing changes) only when `by` is not of
    the case's facility or the reason holds personal data. Offers are left to their receivers.
    """
    facility = by.facility if by is not None else None
    if facility is None or facility.pk != case.owner_id:
        raise TransitionRefused(_("この操作は依頼した施設だけができます。"))
    try:
        _guard(reason, REASON_MAX_LENGTH)
    except ValidationError as error:
        raise TransitionRefused(" ".join(error.messages)) from error
    outcome = WithdrawAll()
    with transaction.atomic():
        # The case row is the lock that confirmations take too: no confirmation runs halfway through.
        Case.objects.select_for_update().get(pk=case.pk)
        requests = (
            Referral.objects.open()
            .filter(case=case, direction=Referral.Direction.REQUEST)
            .select_related("case", "unit", "receiver")
            .order_by("id")
        )
        for referral in requests:
            for _attempt in range(3):
                if referral.side_for(Status.WITHDRAWN) != Side.SENDER:
                    outcome.kept.append(referral)
                    break
                try:
                    transition(referral, Status.WITHDRAWN, by=by, reason=reason)
                except TransitionRefused:
                    # A receiver answered, or the worker expired it, between the read and the write.
                    referral.refresh_from_db(fields=["status", "decline_reason", "updated_at"])
                else:
                    outcome.withdrawn.append(referral)
                    break
            else:
                outcome.kept.append(referral)
    return outcome


# -- worker tasks ------------------------------------------------------------------------


def expire_overdue_referrals(limit=100) -> int:
    """Worker task: referrals past their deadline that still wait for an answer expire."""
    done = 0
    overdue = (
        Referral.objects.filter(
            status__in=(*Referral.AWAITING_RECEIVER, Status.OFFERED), deadline__lte=timezone.now()
        )
        .select_related("case", "unit", "receiver")
        .order_by("deadline")[:limit]
    )
    for referral in overdue:
        try:
            transition(referral, Status.EXPIRED, by=None, reason=_("回答期限切れ"))
            done += 1
        except TransitionRefused:
            continue  # answered in the meantime
    return done


def send_deadline_reminders(limit=100) -> int:
    """Worker task: remind receivers of unanswered requests some hours before the deadline."""
    now = timezone.now()
    soon = now + timedelta(hours=settings.REFERRAL_REMINDER_HOURS)
    done = 0
    due = (
        Referral.objects.filter(
            status__in=Referral.AWAITING_RECEIVER,
            reminded_at__isnull=True,
            deadline__gt=now,
            deadline__lte=soon,
        )
        .select_related("case", "unit", "receiver")
        .order_by("deadline")[:limit]
    )
    for referral in due:
        with transaction.atomic():
            claimed = Referral.objects.filter(
                pk=referral.pk, reminded_at__isnull=True, status__in=Referral.AWAITING_RECEIVER
            ).update(reminded_at=now)
            if not claimed:
                continue
            local = timezone.localtime(referral.deadline)
            notify(
                referral.receiver,
                Notification.Kind.REMINDER,
                _("%(ref)s (%(unit)s) の回答期限は %(time)s です")
                % {"ref": referral.case.ref, "unit": referral.unit.name, "time": f"{local:%m/%d %H:%M}"},
                referral=referral,
                link=referral_link(referral),
            )
            done += 1
    return done


def withdraw_referrals_of_closed_cases(limit=100) -> int:
    """Worker task: a case closed by its facility (転院済み, 自宅退院, 取りやめ…) withdraws its open
    requests and declines its open offers, in the name of the person who closed it, so that no
    receiver keeps a bed for a patient who no longer needs one."""
    done = 0
    leftovers = (
        Referral.objects.open()
        .filter(case__status=Case.Status.CLOSED, case__closed_by__isnull=False)
        .select_related("case", "case__closed_by", "unit", "receiver")
        .order_by("id")[:limit]
    )
    for referral in leftovers:
        to = Status.DECLINED if referral.is_offer else Status.WITHDRAWN
        try:
            transition(
                referral,
                to,
                by=referral.case.closed_by,
                reason=_("患者登録の終了 (%(outcome)s)") % {"outcome": referral.case.get_outcome_display()},
            )
            done += 1
        except TransitionRefused:
            continue  # changed meanwhile, or the closer has left the facility: expiry ends it
    return done


def board_context(case):
    """What the sender's live board shows of a case: its requests and offers, counts per status, the timeline."""
    referrals = list(
        case.referrals.select_related("unit", "unit__kind", "receiver", "batch").order_by("created_at", "id")
    )
    events = (
        ReferralEvent.objects.filter(referral__case=case)
        .select_related("referral__unit", "referral__receiver", "actor", "actor_facility")
        .order_by("-at", "-id")[:200]
    )
    counts = {status: 0 for status in Status.values}
    for referral in referrals:
        counts[referral.status] += 1
    return {
        "case": case,
        "requests": [r for r in referrals if not r.is_offer],
        "offers": [r for r in referrals if r.is_offer],
        "counts": counts,
        "open_count": sum(1 for r in referrals if r.is_open),
        "events": events,
    }
