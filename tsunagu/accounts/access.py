"""The one place that decides who may see or change what.

Objects outside a user's tenancy answer 404 (their existence is not revealed);
a member whose role is too low answers 403.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from tsunagu.accounts.models import Membership


def member_facility(user):
    """The facility the user belongs to, or None."""
    membership = getattr(user, "membership", None)
    return membership.facility if membership else None


def require_member(user):
    """The user's facility; 403 for users who belong to no facility."""
    facility = member_facility(user)
    if facility is None:
        raise PermissionDenied("施設に所属している利用者だけが使えます。")
    return facility


def get_own_facility_or_404(user, public_id, *, admin=False):
    """The facility with this id, only for its own members (network office: any).

    Outsiders get 404; staff asking for an admin-only action get 403.
    """
    from tsunagu.facilities.models import Facility

    if user.is_office:
        return get_object_or_404(Facility, public_id=public_id)
    membership = getattr(user, "membership", None)
    if membership is None or str(membership.facility.public_id) != str(public_id):
        raise Http404("施設が見つかりません。")
    if admin and membership.role != Membership.Role.FACILITY_ADMIN:
        raise PermissionDenied("この操作は施設管理者だけができます。")
    return membership.facility


def get_own_unit_or_404(user, public_id):
    """A unit of the user's own facility (network office: any); 404 otherwise."""
    from tsunagu.facilities.models import Unit

    units = Unit.objects.select_related("facility", "kind")
    if user.is_office:
        return get_object_or_404(units, public_id=public_id)
    facility = member_facility(user)
    if facility is None:
        raise Http404("見つかりません。")
    return get_object_or_404(units, public_id=public_id, facility=facility)


def get_visible_case_or_404(user, ref, *, change=False):
    """A case the user may see: own facility's, addressed to it, or published for offers (office: any).

    Others get 404. With change=True only members of the owner facility go on; others who
    can see the case (the office, receivers) get 403.
    """
    from tsunagu.cases.models import Case

    case = get_object_or_404(
        Case.objects.visible_to(user).select_related("owner", "municipality", "created_by"), ref=ref
    )
    if change and case.owner_id != getattr(member_facility(user), "pk", None):
        raise PermissionDenied("この患者登録を変更できるのは登録した施設だけです。")
    return case


def get_own_case_or_404(user, ref, *, act=False, queryset=None):
    """A case of the user's own facility (the office may look, not act); 404 for everyone else."""
    from tsunagu.cases.models import Case

    cases = queryset if queryset is not None else Case.objects.select_related("owner", "municipality")
    if user.is_office and not act:
        return get_object_or_404(cases, ref=ref)
    facility = member_facility(user)
    if facility is None:
        raise Http404("患者登録が見つかりません。")
    return get_object_or_404(cases, ref=ref, owner=facility)


def get_referral_for_user_or_404(user, public_id):
    """The referral with this id if it was sent by or to the user's facility (office: any); 404 otherwise."""
    from tsunagu.referrals.models import Referral

    referrals = Referral.objects.visible_to(user).select_related(
        "case", "case__owner", "case__municipality", "unit", "unit__kind", "receiver", "batch"
    )
    return get_object_or_404(referrals, public_id=public_id)


def office_required(view):
    """Only network-office users; others get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_office:
            raise PermissionDenied("事務局の利用者だけが使えます。")
        return view(request, *args, **kwargs)

    return wrapper
