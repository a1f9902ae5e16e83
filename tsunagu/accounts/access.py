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


def office_required(view):
    """Only network-office users; others get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_office:
            raise PermissionDenied("事務局の利用者だけが使えます。")
        return view(request, *args, **kwargs)

    return wrapper
