"""One row per form sent with a one-time key: the answer it got, to give again to a repeat.

A browser that retries a POST, or a double click, sends the same key; the repeat gets the first
answer instead of doing the work twice or being refused. Rows are kept for a day
(services.purge_idempotency_keys).
"""

from django.conf import settings
from django.db import models


class SubmittedForm(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The first answer: a redirect (status and Location) or, for an htmx fragment, its body.
    status_code = models.PositiveSmallIntegerField(default=0)
    location = models.CharField(max_length=2000, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    # The flash messages the first answer carried: [[level, text, extra_tags], …].
    messages = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="submittedform_one_per_key")]

    def __str__(self):
        return f"{self.user_id}:{self.key} → {self.status_code}"
