"""In-app notifications to a facility, and the queue of e-mails the worker sends."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def for_facility(self, facility):
        return self.filter(facility=facility)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a facility should see: a new request, an answer, a decision."""

    class Kind(models.TextChoices):
        NEW_REQUEST = "new_request", _("新しい依頼")
        VIEWED = "viewed", _("既読")
        ANSWERED = "answered", _("回答")
        MESSAGE = "message", _("メッセージ")
        OFFER = "offer", _("受入れの申し出")
        CONFIRMED = "confirmed", _("決定")
        RELEASED = "released", _("他施設に決定")
        WITHDRAWN = "withdrawn", _("取り下げ")
        EXPIRED = "expired", _("期限切れ")
        REMINDER = "reminder", _("回答期限の案内")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("お知らせ")
        verbose_name_plural = _("お知らせ")
        indexes = [models.Index(fields=["facility", "read_at"])]

    def __str__(self):
        return self.text


class OutgoingEmail(models.Model):
    """An e-mail waiting for the worker; sent through Django's mail framework."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("送信待ちメール")
        verbose_name_plural = _("送信待ちメール")
        indexes = [models.Index(fields=["sent_at", "attempts"])]
