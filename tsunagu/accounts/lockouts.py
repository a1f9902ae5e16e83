"""Login lockouts as the network office sees them: who is locked out from where, and unlocking."""

from dataclasses import dataclass
from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from tsunagu.accounts.models import User


@dataclass
class Lockout:
    username: str
    ip_address: str
    failures: int
    last_failure: datetime
    until: datetime
    user: User | None


def current_lockouts() -> list[Lockout]:
    """Every user name + address pair that is locked now, latest failure first.

    Attempts are counted as django-axes counts them (AXES_LOCKOUT_PARAMETERS): per user name and
    address, within the cool-off time, across browsers.
    """
    cool_off = get_cool_off()
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_failure")
    )
    rows = list(rows)
    users = User.objects.in_bulk([row["username"] for row in rows], field_name="username")
    return [
        Lockout(
            username=row["username"],
            ip_address=row["ip_address"],
            failures=row["failures"],
            last_failure=row["last_failure"],
            until=row["last_failure"] + cool_off,
            user=users.get(row["username"]),
        )
        for row in rows
    ]


def unlock(username: str, ip_address: str) -> int:
    """Forget the failed logins of one user name at one address; the number of rows removed."""
    if not username or not ip_address:
        return 0
    deleted, _ = AccessAttempt.objects.filter(username=username, ip_address=ip_address).delete()
    return deleted
