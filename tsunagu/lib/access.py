"""Role checks that every app shares. The lookups of an app's own objects live in that app's
`access.py` (`facilities.access`, `cases.access`, `referrals.access`); this module knows no domain model.

Objects outside a user's tenancy answer 404 (their existence is not revealed);
a member whose role is too low answers 403.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied


def require_member(user):
    """The user's facility; 403 for users who belong to no facility (the network office included)."""
    facility = getattr(user, "facility", None)
    if facility is None:
        raise PermissionDenied("施設に所属している利用者だけが使えます。")
    return facility


def office_required(view):
    """Only network-office users; others get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_office:
            raise PermissionDenied("事務局の利用者だけが使えます。")
        return view(request, *args, **kwargs)

    return wrapper
