from django import template

register = template.Library()

CHIP = {
    "accepted": "good", "confirmed": "good", "offered": "good",
    "sent": "warn", "viewed": "", "asked": "warn",
    "declined": "bad", "expired": "bad", "withdrawn": "", "released": "",
}


@register.filter
def status_chip(status):
    """The chip class that colours a referral status."""
    return CHIP.get(status, "")
