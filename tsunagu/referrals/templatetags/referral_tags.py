from django import template

from tsunagu.cases.access import may_act
from tsunagu.referrals.services import board_context

register = template.Library()

CHIP = {
    "accepted": "good",
    "confirmed": "good",
    "offered": "good",
    "sent": "warn",
    "viewed": "",
    "asked": "warn",
    "declined": "bad",
    "expired": "bad",
    "withdrawn": "",
    "released": "",
}


@register.filter
def status_chip(status):
    """The chip class that colours a referral status."""
    return CHIP.get(status, "")


@register.inclusion_tag("referrals/_case_board.html", takes_context=True)
def case_referrals(context, case):
    """The live referral board and timeline of a case, for the case page: {% case_referrals case %}."""
    data = board_context(case)
    data["can_act"] = may_act(context["request"].user, case)
    data["request"] = context["request"]
    data["csrf_token"] = context.get("csrf_token")
    return data
