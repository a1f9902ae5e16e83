"""The sender's action queue (MSW home): what needs a coordinator's hand today.

Four kinds of row, each pointing at the page where the action is taken:
answers that arrived, cases with an answer to confirm, requests whose deadline is today,
and cases still unplaced after UNPLACED_DAYS days.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.cases.models import Case
from tsunagu.referrals.models import Referral

Status = Referral.Status
UNPLACED_DAYS = 7
ANSWERED = (Status.ACCEPTED, Status.DECLINED, Status.ASKED, Status.OFFERED)


@dataclass(frozen=True)
class QueueRow:
    kind: str
    label: str
    case: Case
    at: datetime
    detail: str
    link: str

    @property
    def owner_name(self) -> str:
        return str(self.case.created_by) if self.case.created_by else ""


KINDS = {
    "answered": _("回答あり"),
    "confirm": _("決定待ち"),
    "due_today": _("本日が回答期限"),
    "unplaced": _("%(days)d日以上 未決定") % {"days": UNPLACED_DAYS},
}


def action_queue(facility, *, now=None, by=None, sort="at") -> list[QueueRow]:
    """The queue of `facility`'s open cases; `by` keeps the rows of one 担当 (a user's public id)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cases = Case.objects.filter(owner=facility, status=Case.Status.OPEN).select_related("created_by")
    if by:
        cases = cases.filter(created_by__public_id=by)
    cases = cases.annotate(
        n_answered=Count("referrals", filter=Q(referrals__status__in=ANSWERED)),
        n_to_confirm=Count("referrals", filter=Q(referrals__status__in=(Status.ACCEPTED, Status.OFFERED))),
        last_answer=Max("referrals__answered_at", filter=Q(referrals__status__in=ANSWERED)),
        n_due_today=Count(
            "referrals",
            filter=Q(referrals__status__in=Referral.AWAITING_RECEIVER, referrals__deadline__date=today),
        ),
        first_due=Min("referrals__deadline", filter=Q(referrals__status__in=Referral.AWAITING_RECEIVER)),
    )
    rows = []
    for case in cases:
        board = reverse("referrals:board", args=[case.ref])
        if case.n_to_confirm:
            rows.append(
                QueueRow(
                    "confirm",
                    KINDS["confirm"],
                    case,
                    case.last_answer or case.created_at,
                    _("受入可・申し出 %(n)d件") % {"n": case.n_to_confirm},
                    board,
                )
            )
        elif case.n_answered:
            rows.append(
                QueueRow(
                    "answered",
                    KINDS["answered"],
                    case,
                    case.last_answer or case.created_at,
                    _("回答 %(n)d件") % {"n": case.n_answered},
                    board,
                )
            )
        if case.n_due_today:
            rows.append(
                QueueRow(
                    "due_today",
                    KINDS["due_today"],
                    case,
                    case.first_due,
                    _("未回答 %(n)d件") % {"n": case.n_due_today},
                    board,
                )
            )
        if case.created_at <= now - timedelta(days=UNPLACED_DAYS):
            days = (now - case.created_at).days
            rows.append(
                QueueRow(
                    "unplaced",
                    KINDS["unplaced"],
                    case,
                    case.created_at,
                    _("登録から%(days)d日") % {"days": days},
                    reverse("cases:detail", args=[case.ref]),
                )
            )
    keys = {
        "at": lambda row: row.at,
        "case": lambda row: row.case.ref,
        "owner": lambda row: (row.owner_name, row.at),
        "kind": lambda row: (list(KINDS).index(row.kind), row.at),
    }
    rows.sort(key=keys.get(sort, keys["at"]))
    return rows
