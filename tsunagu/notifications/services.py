"""Telling facilities what happened: in-app notifications plus queued e-mail."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.notifications.models import Notification, OutgoingEmail

log = logging.getLogger("tsunagu.notifications")

# Kinds that also go out by e-mail to members who asked for it (User.wants_email).
EMAIL_KINDS = {
    Notification.Kind.NEW_REQUEST,
    Notification.Kind.OFFER,
    Notification.Kind.ANSWERED,
    Notification.Kind.CONFIRMED,
    Notification.Kind.RELEASED,
    Notification.Kind.REMINDER,
}
MAX_ATTEMPTS = 5


def notify(facility, kind, text, *, referral=None, link=""):
    """Record a notification for a facility and queue e-mails to its members who want them.

    Call inside the transaction that made the change, so both commit together.
    """
    notification = Notification.objects.create(
        facility=facility, kind=kind, text=text[:300], referral=referral
    )
    if kind in EMAIL_KINDS:
        recipients = (
            User.objects.filter(membership__facility=facility, is_active=True, wants_email=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        body = (
            f"{text}\n\n{settings.SITE_ROOT}{link}\n\n-- {settings.SITE_NAME}\n"
            "このメールは送信専用です。患者さんの個人情報は記載されません。"
        )
        OutgoingEmail.objects.bulk_create(
            OutgoingEmail(to=email, subject=f"[つなぐ] {text[:150]}", body=body, notification=notification)
            for email in recipients
        )
    return notification


def unread_count(facility) -> int:
    if facility is None:
        return 0
    return Notification.objects.for_facility(facility).unread().count()


def mark_read(facility, user, *, referral=None):
    """Mark the facility's unread notifications (of one referral, or all) as read."""
    notifications = Notification.objects.for_facility(facility).unread()
    if referral is not None:
        notifications = notifications.filter(referral=referral)
    return notifications.update(read_at=timezone.now(), read_by=user)


def send_pending_emails(limit=50) -> int:
    """Worker task: send queued e-mails, each in its own transaction."""
    sent = 0
    failed = []  # tried once in this run; the next run tries them again
    for _ in range(limit):
        with transaction.atomic():
            email = (
                OutgoingEmail.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
                .exclude(pk__in=failed)
                .order_by("id")
                .first()
            )
            if email is None:
                break
            try:
                send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
            except Exception as error:  # a mail server hiccup must not stop the worker
                log.warning("e-mail %s failed: %s", email.pk, error)
                OutgoingEmail.objects.filter(pk=email.pk).update(
                    attempts=email.attempts + 1, last_error=str(error)[:300]
                )
                failed.append(email.pk)
                continue
            OutgoingEmail.objects.filter(pk=email.pk).update(
                sent_at=timezone.now(), attempts=email.attempts + 1, last_error=""
            )
            sent += 1
    return sent
