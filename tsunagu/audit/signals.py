"""Authentication events become audit events wherever they happen."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from tsunagu.audit.services import Action, record


@receiver(user_logged_in, dispatch_uid="audit_login")
def on_login(sender, request, user, **kwargs):
    record(request, Action.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(request, Action.LOGOUT, user=user)


def _named_user(username):
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The password is never recorded; the tried user name only as the detail.
    username = (credentials or {}).get("username", "") or ""
    user = _named_user(username)
    record(request, Action.LOGIN_FAILED, user=user, detail={"username": username[:150]})


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def on_lockout(sender, request, username=None, ip_address=None, **kwargs):
    user = _named_user(username)
    record(request, Action.LOCKOUT, user=user, detail={"username": (username or "")[:150]})
