from django import template

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
    from tsunagu.accounts.access import member_facility
    from tsunagu.referrals.views import board_context

    facility = member_facility(context["request"].user)
    data = board_context(case)
    data["can_act"] = facility is not None and facility.pk == case.owner_id
    data["request"] = context["request"]
    data["csrf_token"] = context.get("csrf_token")
    return data
