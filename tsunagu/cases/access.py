"""Who may see and change a case. Outsiders get 404; those who may look but not act get 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from tsunagu.cases.models import Case


def may_act(user, case) -> bool:
    """Only members of the facility that registered the case change it or act on its referrals."""
    facility = user.facility
    return facility is not None and facility.pk == case.owner_id


def get_visible_case_or_404(user, ref, *, change=False):
    """A case the user may see: own facility's, addressed to it, or published for offers (office: any).

    Others get 404. With change=True only members of the owner facility go on; others who
    can see the case (the office, receivers) get 403.
    """
    case = get_object_or_404(
        Case.objects.visible_to(user).select_related("owner", "municipality", "created_by"), ref=ref
    )
    if change and not may_act(user, case):
        raise PermissionDenied("この患者登録を変更できるのは登録した施設だけです。")
    return case


def get_own_case_or_404(user, ref, *, act=False, queryset=None):
    """A case of the user's own facility (the office may look, not act); 404 for everyone else."""
    cases = queryset if queryset is not None else Case.objects.select_related("owner", "municipality")
    if user.is_office and not act:
        return get_object_or_404(cases, ref=ref)
    if user.facility is None:
        raise Http404("患者登録が見つかりません。")
    return get_object_or_404(cases, ref=ref, owner=user.facility)
