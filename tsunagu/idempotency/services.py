"""Forms that run once per key: @once_per_key on the view, {% idempotency_key %} in the form.

The first POST with a key claims it (a row unique per user and key) in the same transaction as
the change, runs the view and stores its answer there too; so either the change, the claim and
the answer commit together, or none of them does and a retry runs the view afresh. A repeat —
the browser retrying, a second click, even at the same moment on another connection (its claim
waits for the first to commit) — gets the first answer back: the same redirect and the same
message, or the same htmx fragment.
"""

import re
import uuid
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone

from tsunagu.idempotency.models import SubmittedForm

FIELD = "idempotency_key"
KEEP = timedelta(days=1)
_KEY = re.compile(r"[0-9a-f]{32}")
# An htmx fragment (a vacancy card) is kept whole; a larger answer is not kept.
_MAX_BODY = 256 * 1024


def new_key() -> str:
    return uuid.uuid4().hex


def purge_idempotency_keys(older_than=KEEP) -> int:
    """Delete the keys (and the answers kept with them) older than `older_than`; returns how many.

    Each user's own old keys also go whenever that user sends a keyed form; this sweeps the rest
    and is meant to run periodically in the background.
    """
    deleted, _ = SubmittedForm.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def once_per_key(view):
    """Run a POST view once per {% idempotency_key %}; a repeat with the same key gets the first answer.

    Requests without a valid key (an API client, a page from before keys) run as they are.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.POST.get(FIELD, "") if request.method == "POST" else ""
        user = getattr(request, "user", None)
        if not _KEY.fullmatch(key) or user is None or not user.is_authenticated:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            claim = _claim(user, key)
            if claim is None:
                return _replay(request, SubmittedForm.objects.get(user=user, key=key))
            queued = _queued_messages(request)
            already = len(queued)
            response = view(request, *args, **kwargs)
            if not _keep(claim, request, response, queued[already:]):
                claim.delete()
            return response

    return wrapper


def _claim(user, key):
    """The new row for this key, or None when an earlier request holds it. A concurrent twin's
    insert waits on the unique constraint until the first request commits (or rolls back)."""
    SubmittedForm.objects.filter(user=user, created_at__lt=timezone.now() - KEEP).delete()
    try:
        with transaction.atomic():
            return SubmittedForm.objects.create(user=user, key=key)
    except IntegrityError:
        return None


def _queued_messages(request) -> list:
    # The messages added during this request; Django keeps them here until the response is sent.
    storage = getattr(request, "_messages", None)
    return getattr(storage, "_queued_messages", [])


def _keep(claim, request, response, added) -> bool:
    """Store what a repeat must get: a redirect, or an htmx request's fragment. Anything else
    (a page that shows form errors, which changed nothing) is not kept: a repeat runs again."""
    if response.status_code in (301, 302, 303) and response.has_header("Location"):
        claim.location = response["Location"]
    elif (
        request.headers.get("HX-Request") == "true"
        and 200 <= response.status_code < 300
        and not response.streaming
        and len(response.content) <= _MAX_BODY
    ):
        claim.content_type = response.get("Content-Type", "")
        claim.body = response.content.decode(response.charset or "utf-8")
    else:
        return False
    claim.status_code = response.status_code
    claim.messages = [[m.level, str(m.message), m.extra_tags or ""] for m in added]
    claim.save(update_fields=["status_code", "location", "content_type", "body", "messages"])
    return True


def _replay(request, first):
    for level, text, extra_tags in first.messages:
        messages.add_message(request, level, text, extra_tags=extra_tags)
    if first.location:
        response = HttpResponseRedirect(first.location)
        response.status_code = first.status_code
        return response
    return HttpResponse(first.body, status=first.status_code, content_type=first.content_type or None)
