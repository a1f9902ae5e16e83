"""Who may see and change a facility and its units. Outsiders get 404; a role too low gets 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from tsunagu.facilities.models import Facility, Unit


def may_edit(user, facility) -> bool:
    """Members of the facility and the network office edit its profile, units and vacancies."""
    return user.is_office or (facility is not None and user.facility == facility)


def may_administer(user, facility) -> bool:
    """Facility admins (and the network office) manage its users and desks."""
    return user.is_office or (user.facility == facility and user.is_facility_admin)


def get_own_facility_or_404(user, public_id, *, admin=False):
    """The facility with this id, only for its own members (network office: any).

    Outsiders get 404; staff asking for an admin-only action get 403.
    """
    if user.is_office:
        return get_object_or_404(Facility, public_id=public_id)
    facility = user.facility
    if facility is None or str(facility.public_id) != str(public_id):
        raise Http404("施設が見つかりません。")
    if admin and not user.is_facility_admin:
        raise PermissionDenied("この操作は施設管理者だけができます。")
    return facility


def get_own_unit_or_404(user, public_id):
    """A unit of the user's own facility (network office: any); 404 otherwise."""
    units = Unit.objects.select_related("facility", "kind")
    if user.is_office:
        return get_object_or_404(units, public_id=public_id)
    if user.facility is None:
        raise Http404("見つかりません。")
    return get_object_or_404(units, public_id=public_id, facility=user.facility)
