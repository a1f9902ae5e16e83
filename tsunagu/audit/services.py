"""audit.record(): the one function every view calls to leave an audit trail."""

import logging

from tsunagu.audit.models import AuditEvent
from tsunagu.lib.client import client_ip, user_agent
from tsunagu.lib.polling import is_poll

log = logging.getLogger(__name__)

Action = AuditEvent.Action

_DETAIL_LIMIT = 2000


def object_reference(obj) -> tuple[str, str]:
    """(type, reference) of an object: its reference code or public id, never its content."""
    if obj is None:
        return "", ""
    object_type = obj._meta.model_name
    for field in ("ref", "reference", "code", "public_id"):
        value = getattr(obj, field, None)
        if value:
            return object_type, str(value)
    return object_type, ""


def record(
    request, action, obj=None, *, user=None, facility=None, detail=None, object_type="", object_ref=""
):
    """Append one audit event. A page's timed refresh (an htmx GET of a @polled view) is not
    somebody looking again: its views are not recorded (None), the page load before it was.

    request may be None (worker, commands). user defaults to the request's user, facility to
    that user's facility. obj is described by its public reference only; detail is a small
    dict of non-personal facts (e.g. {"from": "sent", "to": "accepted"}).
    Call it inside the transaction of the change it records, so that both commit or neither.
    """
    if action == Action.VIEW and request is not None and is_poll(request):
        return None
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    if facility is None and user is not None:
        facility = getattr(user, "facility", None)
    if obj is not None and not (object_type or object_ref):
        object_type, object_ref = object_reference(obj)
    detail = dict(detail or {})
    if len(repr(detail)) > _DETAIL_LIMIT:
        detail = {"truncated": repr(detail)[:_DETAIL_LIMIT]}
    return AuditEvent.objects.create(
        action=action,
        user=user,
        username=getattr(user, "username", "") if user is not None else "",
        facility=facility,
        facility_name=getattr(facility, "name", "") if facility is not None else "",
        object_type=object_type[:50],
        object_ref=str(object_ref)[:100],
        detail=detail,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
