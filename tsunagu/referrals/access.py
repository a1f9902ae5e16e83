"""Who may see a referral and which steps each user may take on it.

The one place for these rules: the pages, the JSON API and the templates all ask
`allowed_transitions()` / `actions_for()`; `services.transition()` enforces the same table.
"""

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from tsunagu.referrals.models import Referral, Side

Status = Referral.Status
# A conversation stays possible while the referral can still lead somewhere.
_MESSAGE_CLOSED = (Status.WITHDRAWN, Status.EXPIRED, Status.RELEASED)


def get_referral_for_user_or_404(user, public_id):
    """The referral with this id if it was sent by or to the user's facility (office: any); 404 otherwise."""
    referrals = Referral.objects.visible_to(user).select_related(
        "case", "case__owner", "case__municipality", "unit", "unit__kind", "receiver", "batch"
    )
    return get_object_or_404(referrals, public_id=public_id)


def actor_side(referral, user) -> Side | None:
    """Which side of this referral `user` acts for (None for everyone else, the office included).

    `user=None` is the system itself (expiry by the worker).
    """
    if user is None:
        return Side.SYSTEM
    facility = user.facility
    if facility is None:
        return None
    if facility.pk == referral.case.owner_id:
        return Side.SENDER
    if facility.pk == referral.receiver_id:
        return Side.RECEIVER
    return None


def allowed_transitions(referral, user) -> list[str]:
    """The statuses `user` may move this referral to now, in the order of the transition table."""
    side = actor_side(referral, user)
    if side not in (Side.SENDER, Side.RECEIVER):
        return []
    return [
        to
        for (direction, old, to), who in Referral.TRANSITIONS.items()
        if direction == referral.direction and old == referral.status and who == side
    ]


@dataclass(frozen=True)
class ReferralActions:
    """What the referral page offers this user; each flag decides one button or form."""

    side: Side | None
    answer: bool
    confirm: bool
    withdraw: bool
    decline_offer: bool
    message: bool


def actions_for(referral, user) -> ReferralActions:
    allowed = set(allowed_transitions(referral, user))
    side = actor_side(referral, user)
    return ReferralActions(
        side=side,
        answer=side == Side.RECEIVER and Status.ACCEPTED in allowed,
        confirm=Status.CONFIRMED in allowed,
        withdraw=Status.WITHDRAWN in allowed,
        decline_offer=referral.is_offer and Status.DECLINED in allowed,
        message=side in (Side.SENDER, Side.RECEIVER) and referral.status not in _MESSAGE_CLOSED,
    )
