"""Bulk requests, referrals (one case × one receiving unit), their events and messages.

The referral's life is one table, Referral.TRANSITIONS, and one method,
services.transition(); nothing else writes Referral.status.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    SENDER = "sender", _("依頼施設")
    RECEIVER = "receiver", _("受入施設")
    SYSTEM = "system", _("システム")


class RequestBatch(models.Model):
    """一斉依頼: one send of a case to many receiving units at once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="request_batches")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sender = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    deadline = models.DateTimeField(_("回答期限"))
    message = models.TextField(_("メッセージ"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("一斉依頼")
        verbose_name_plural = _("一斉依頼")


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Referrals sent by the user's facility or addressed to it; the office sees all."""
        if user.is_office:
            return self
        membership = getattr(user, "membership", None)
        if membership is None:
            return self.none()
        return self.filter(
            models.Q(case__owner_id=membership.facility_id) | models.Q(receiver_id=membership.facility_id)
        )

    def received_by(self, facility):
        return self.filter(receiver=facility)

    def open(self):
        return self.filter(status__in=Referral.OPEN_STATUSES)

    def awaiting_answer(self):
        return self.filter(status__in=Referral.AWAITING_RECEIVER)


class Referral(models.Model):
    """打診: one case offered to one receiving unit, with its own status."""

    class Direction(models.TextChoices):
        REQUEST = "request", _("依頼")
        OFFER = "offer", _("受入れの申し出")

    class Status(models.TextChoices):
        SENT = "sent", _("未読")
        VIEWED = "viewed", _("既読")
        ASKED = "asked", _("要相談")
        ACCEPTED = "accepted", _("受入可")
        DECLINED = "declined", _("受入不可")
        CONFIRMED = "confirmed", _("決定")
        RELEASED = "released", _("他施設に決定")
        WITHDRAWN = "withdrawn", _("取り下げ")
        EXPIRED = "expired", _("期限切れ")
        OFFERED = "offered", _("申し出")

    class DeclineReason(models.TextChoices):
        FULL = "full", _("満床")
        CARE_NOT_POSSIBLE = "care", _("医療処置に対応できない")
        STAFFING = "staffing", _("人員不足(夜間体制)")
        COST = "cost", _("費用・支払い")
        OUT_OF_AREA = "area", _("地域外")
        INFECTION = "infection", _("感染症対応不可")
        DEMENTIA = "dementia", _("認知症・行動症状")
        NO_GUARANTOR = "guarantor", _("身元保証人なし")
        TIMING = "timing", _("受入時期が合わない")
        OTHER = "other", _("その他")

    S = Status
    D = Direction
    # The whole life of a referral: (direction, from, to) → who may do it.
    TRANSITIONS = {
        (D.REQUEST, S.SENT, S.VIEWED): Side.RECEIVER,
        (D.REQUEST, S.VIEWED, S.ASKED): Side.RECEIVER,
        (D.REQUEST, S.VIEWED, S.ACCEPTED): Side.RECEIVER,
        (D.REQUEST, S.VIEWED, S.DECLINED): Side.RECEIVER,
        (D.REQUEST, S.ASKED, S.ACCEPTED): Side.RECEIVER,
        (D.REQUEST, S.ASKED, S.DECLINED): Side.RECEIVER,
        (D.REQUEST, S.ACCEPTED, S.CONFIRMED): Side.SENDER,
        # Confirming one referral releases every other open referral of the case.
        (D.REQUEST, S.SENT, S.RELEASED): Side.SENDER,
        (D.REQUEST, S.VIEWED, S.RELEASED): Side.SENDER,
        (D.REQUEST, S.ASKED, S.RELEASED): Side.SENDER,
        (D.REQUEST, S.ACCEPTED, S.RELEASED): Side.SENDER,
        (D.REQUEST, S.SENT, S.WITHDRAWN): Side.SENDER,
        (D.REQUEST, S.VIEWED, S.WITHDRAWN): Side.SENDER,
        (D.REQUEST, S.ASKED, S.WITHDRAWN): Side.SENDER,
        (D.REQUEST, S.ACCEPTED, S.WITHDRAWN): Side.SENDER,
        # Only referrals still waiting for the receiver's answer run out of time.
        (D.REQUEST, S.SENT, S.EXPIRED): Side.SYSTEM,
        (D.REQUEST, S.VIEWED, S.EXPIRED): Side.SYSTEM,
        (D.REQUEST, S.ASKED, S.EXPIRED): Side.SYSTEM,
        (D.OFFER, S.OFFERED, S.CONFIRMED): Side.SENDER,
        (D.OFFER, S.OFFERED, S.DECLINED): Side.SENDER,
        (D.OFFER, S.OFFERED, S.RELEASED): Side.SENDER,
        (D.OFFER, S.OFFERED, S.WITHDRAWN): Side.RECEIVER,
        (D.OFFER, S.OFFERED, S.EXPIRED): Side.SYSTEM,
    }
    del S, D
    OPEN_STATUSES = (Status.SENT, Status.VIEWED, Status.ASKED, Status.ACCEPTED, Status.OFFERED)
    AWAITING_RECEIVER = (Status.SENT, Status.VIEWED, Status.ASKED)
    ANSWERED_STATUSES = (Status.ACCEPTED, Status.DECLINED)
    CLOSED_STATUSES = (Status.CONFIRMED, Status.RELEASED, Status.WITHDRAWN, Status.EXPIRED, Status.DECLINED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals")
    batch = models.ForeignKey(
        RequestBatch, null=True, blank=True, on_delete=models.CASCADE, related_name="referrals"
    )
    unit = models.ForeignKey("facilities.Unit", on_delete=models.PROTECT, related_name="referrals")
    # Always unit.facility; kept on the row so tenancy filters need no join.
    receiver = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="received_referrals"
    )
    direction = models.CharField(
        _("種類"), max_length=10, choices=Direction.choices, default=Direction.REQUEST
    )
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices, default=Status.SENT)
    earliest_date = models.DateField(_("受入れ可能日"), null=True, blank=True)
    decline_reason = models.CharField(
        _("受入不可の理由"), max_length=12, choices=DeclineReason.choices, blank=True
    )
    decline_note = models.CharField(_("理由の補足"), max_length=300, blank=True)
    deadline = models.DateTimeField(_("回答期限"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    viewed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("打診")
        verbose_name_plural = _("打診")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="confirmed"),
                name="referral_one_confirmed_per_case",
            ),
            models.UniqueConstraint(
                fields=["case", "unit"],
                condition=models.Q(status__in=["sent", "viewed", "asked", "accepted", "offered"]),
                name="referral_one_open_per_case_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(decline_reason="") | models.Q(status="declined"),
                name="referral_reason_only_when_declined",
            ),
            models.CheckConstraint(
                condition=~models.Q(direction="request", status="declined", decline_reason=""),
                name="referral_declined_request_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="accepted", earliest_date__isnull=True),
                name="referral_accepted_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(direction="request", batch__isnull=False)
                | models.Q(direction="offer", batch__isnull=True),
                name="referral_batch_only_for_requests",
            ),
        ]
        indexes = [
            models.Index(fields=["receiver", "status"]),
            models.Index(fields=["status", "deadline"]),
        ]

    def __str__(self):
        return f"{self.case_id} → {self.unit_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_offer(self) -> bool:
        return self.direction == self.Direction.OFFER

    def side_for(self, to) -> Side | None:
        return self.TRANSITIONS.get((self.direction, self.status, to))


class ReferralEvent(models.Model):
    """Append-only: one change of a referral's status, with who, when and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=Referral.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Referral.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_facility = models.ForeignKey(
        "facilities.Facility", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("打診の履歴")
        verbose_name_plural = _("打診の履歴")


class Message(models.Model):
    """A message on a referral, from either side. Guarded against personal data."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("メッセージ"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("メッセージ")
        verbose_name_plural = _("メッセージ")


def with_referral_counts(cases):
    """Annotate a Case queryset with its referral progress, in the same query:
    n_referrals, n_unanswered (未読・既読・要相談), n_accepted (受入可・申し出), n_declined."""
    status = "referrals__status"
    return cases.annotate(
        n_referrals=models.Count("referrals", distinct=True),
        n_unanswered=models.Count(
            "referrals", filter=models.Q(**{f"{status}__in": Referral.AWAITING_RECEIVER}), distinct=True
        ),
        n_accepted=models.Count(
            "referrals",
            filter=models.Q(**{f"{status}__in": (Referral.Status.ACCEPTED, Referral.Status.OFFERED)}),
            distinct=True,
        ),
        n_declined=models.Count(
            "referrals", filter=models.Q(**{status: Referral.Status.DECLINED}), distinct=True
        ),
    )
