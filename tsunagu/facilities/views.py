"""Directory, facility page, daily vacancy update and the facility's own profile pages.

Access rules live in tsunagu.facilities.access: outsiders get 404, a role too low gets 403.
Every change and its audit row commit in one transaction.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tsunagu.accounts.models import Membership
from tsunagu.audit.services import Action, record
from tsunagu.facilities import services
from tsunagu.facilities.access import get_own_facility_or_404, get_own_unit_or_404, may_administer, may_edit
from tsunagu.facilities.forms import (
    CapabilityForm,
    DeskForm,
    DirectoryFilterForm,
    FacilityProfileForm,
    MemberAddForm,
    RoleForm,
    UnitForm,
    VacancyForm,
)
from tsunagu.facilities.models import (
    CoordinationDesk,
    Facility,
    Unit,
    UnitCapability,
    VacancyEvent,
)
from tsunagu.idempotency.services import once_per_key
from tsunagu.lib.access import require_member
from tsunagu.lib.japanese_dates import japanese_datetime
from tsunagu.network.models import CareNeed

DIRECTORY_PAGE_SIZE = 50
HISTORY_LENGTH = 30


# --- directory and facility page ------------------------------------------------------------


@require_GET
def directory(request):
    """The network directory: filters, distance order, free beds and freshness per facility."""
    form = DirectoryFilterForm(request.GET or None)
    filters, near = {}, None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        near = data["near"]
        filters = dict(
            area=data["area"],
            municipality=data["municipality"],
            kind=data["kind"],
            need_mask=form.need_mask,
            free_now=data["free_now"],
            near=near,
            name=data["q"],
        )
    facilities = services.directory_queryset(**filters)
    page = Paginator(facilities, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": services.directory_rows(page.object_list, near=near),
        "near": near,
        "query": _query_without_page(request),
    }
    if request.htmx and request.htmx.target == "directory-results":
        return render(request, "facilities/_directory_results.html", context)
    return render(request, "facilities/directory.html", context)


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def detail(request, facility_id):
    """A facility's page: facts, desks, units with capabilities and vacancy, vacancy history."""
    facility = get_object_or_404(
        Facility.objects.select_related("kind", "municipality__area"), public_id=facility_id
    )
    editable = may_edit(request.user, facility)
    if not facility.active and not editable:
        raise Http404(_("施設が見つかりません。"))
    units = list(
        facility.units.filter(**({} if editable else {"active": True}))
        .select_related("kind", "vacancy", "vacancy__updated_by")
        .prefetch_related(Prefetch("capabilities", queryset=UnitCapability.objects.select_related("need")))
    )
    history = VacancyEvent.objects.filter(unit__facility=facility).select_related("unit", "by")[
        :HISTORY_LENGTH
    ]
    return render(
        request,
        "facilities/detail.html",
        {
            "facility": facility,
            "desks": list(facility.desks.all()),
            "units": [_unit_view(unit) for unit in units],
            "history": history,
            "may_edit": editable,
            "may_administer": may_administer(request.user, facility),
        },
    )


def _unit_view(unit):
    """A unit with its capabilities grouped by care-need group, for the facility page."""
    groups = {}
    for cap in unit.capabilities.all():
        groups.setdefault(cap.need.get_group_display(), []).append(cap)
    return {
        "unit": unit,
        "vacancy": getattr(unit, "vacancy", None),
        "capability_groups": list(groups.items()),
    }


# --- daily vacancy update -------------------------------------------------------------------


def _vacancy_units(facility):
    return list(
        Unit.objects.filter(facility=facility, active=True).select_related(
            "kind", "facility__municipality", "vacancy", "vacancy__updated_by"
        )
    )


@require_GET
def vacancy(request):
    """The user's own facility: one card per unit, 保存 or 変更なし."""
    facility = require_member(request.user)
    cards = [{"unit": unit, "form": VacancyForm(unit=unit)} for unit in _vacancy_units(facility)]
    return render(request, "facilities/vacancy.html", {"facility": facility, "cards": cards})


def _shown_version(value) -> int:
    """The vacancy version a page sent back. A page from before versions were shown sends none:
    -1 never matches, so its save is refused with the current figures instead of overwriting them."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _figures(unit, free_now, expected_7d, free_male=None, free_female=None) -> str:
    text = _("今日の空床 %(free)d・7日以内 %(expected)d") % {"free": free_now, "expected": expected_7d}
    if unit.sex_matters and free_male is not None and free_female is not None:
        text += _("(男性 %(male)d・女性 %(female)d)") % {"male": free_male, "female": free_female}
    return text


def _vacancy_figures(unit, vacancy) -> str:
    return _figures(unit, vacancy.free_now, vacancy.expected_7d, vacancy.free_male, vacancy.free_female)


def _changed_by(vacancy) -> dict:
    """Who changed the figures and when, for the refusal of a stale save."""
    return {
        "who": _("%(name)s さん") % {"name": vacancy.updated_by} if vacancy.updated_by else _("別の利用者"),
        "when": japanese_datetime(vacancy.updated_at) or "—",
    }


def _stale_message(unit, current, data=None) -> str:
    """Why a save or 「変更なし」 was refused, with the colleague's figures (and what the user typed)."""
    facts = {**_changed_by(current), "figures": _vacancy_figures(unit, current)}
    if data is None:
        return (
            _(
                "変更なしの確認はしていません。%(who)sが %(when)s に「%(figures)s」に更新していました。"
                "この数字で正しければ、もう一度「変更なし」を押してください。"
            )
            % facts
        )
    yours = _figures(unit, data["free_now"], data["expected_7d"], data["free_male"], data["free_female"])
    return _(
        "保存していません。%(who)sが %(when)s に「%(figures)s」に更新していました"
        "(あなたの入力: %(yours)s)。数字を確かめて、必要なら直してから保存してください。"
    ) % {**facts, "yours": yours}


@require_POST
@once_per_key
def vacancy_save(request, unit_id):
    """Save one unit's figures (action=save) or confirm them unchanged (action=unchanged).

    Both carry the version of the figures the page showed: when a colleague saved in between,
    nothing is written and the card comes back with the colleague's figures and who, when.
    """
    unit = get_own_unit_or_404(request.user, unit_id)
    if not unit.active:
        raise Http404(_("見つかりません。"))
    saved = stale = None
    shown = _shown_version(request.POST.get("version"))
    unchanged = request.POST.get("action") == "unchanged"
    form = None if unchanged else VacancyForm(request.POST, unit=unit)
    try:
        if unchanged:
            with transaction.atomic():
                services.confirm_vacancy_unchanged(unit, by=request.user, shown_version=shown)
                record(request, Action.UPDATE, unit, detail={"vacancy": "unchanged"})
            saved = _("変更なしで確認しました。")
        elif form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                services.record_vacancy(
                    unit,
                    by=request.user,
                    free_now=data["free_now"],
                    free_male=data["free_male"],
                    free_female=data["free_female"],
                    expected_7d=data["expected_7d"],
                    note=data["note"],
                    shown_version=shown,
                )
                record(request, Action.UPDATE, unit, detail={"vacancy": data["free_now"]})
            saved = _("保存しました。")
    except services.StaleVacancy as error:
        unit.vacancy = error.current
        stale = _stale_message(unit, error.current, None if unchanged else form.cleaned_data)
    if saved or stale:
        # The figures as they are now, with their version: the next save starts from them.
        form = VacancyForm(unit=unit)
    card = {"unit": unit, "form": form, "saved": saved, "stale": stale}
    if request.htmx:
        return render(request, "facilities/_vacancy_card.html", {"card": card})
    if saved:
        messages.success(request, f"{unit.name}: {saved}")
        if request.user.facility != unit.facility:  # the office correcting a facility
            return redirect("facilities:detail", unit.facility.public_id)
        return redirect("facilities:vacancy")
    cards = [
        card if other.pk == unit.pk else {"unit": other, "form": VacancyForm(unit=other)}
        for other in _vacancy_units(unit.facility)
    ]
    return render(request, "facilities/vacancy.html", {"facility": unit.facility, "cards": cards})


@require_POST
@once_per_key
def vacancy_confirm_all(request):
    """「すべて変更なし」: every active unit of the user's facility whose figures are still those
    the page showed, in one transaction; the others are named with their new figures."""
    facility = require_member(request.user)
    units = _vacancy_units(facility)
    shown = {unit.pk: _shown_version(request.POST.get(f"version-{unit.public_id}")) for unit in units}
    with transaction.atomic():
        outcome = services.confirm_all_unchanged(units, by=request.user, shown_versions=shown)
        record(
            request,
            Action.UPDATE,
            facility,
            detail={
                "vacancy": "all unchanged",
                "units": len(outcome.confirmed),
                "changed": len(outcome.changed),
            },
        )
    text = _("%(count)d件を変更なしで確認しました。") % {"count": len(outcome.confirmed)}
    if outcome.changed:
        names = "、".join(
            _("%(unit)s(%(who)sが %(when)s に「%(figures)s」に更新)")
            % {
                "unit": unit.name,
                **_changed_by(unit.vacancy),
                "figures": _vacancy_figures(unit, unit.vacancy),
            }
            for unit in outcome.changed
        )
        text += _("%(n)d件は表示の後に数字が変わっていたため確認していません: %(units)s。") % {
            "n": len(outcome.changed),
            "units": names,
        }
        messages.warning(request, text)
    else:
        messages.success(request, text)
    return redirect("facilities:vacancy")


# --- the facility's own profile -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def profile_edit(request, facility_id):
    facility = get_own_facility_or_404(request.user, facility_id)
    form = FacilityProfileForm(request.POST or None, instance=facility, can_deactivate=request.user.is_office)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            services.save_facility_profile(form)
            record(request, Action.UPDATE, facility, detail={"fields": form.changed_data[:20]})
        messages.success(request, _("施設情報を保存しました。"))
        return redirect("facilities:detail", facility.public_id)
    return render(request, "facilities/profile_form.html", {"facility": facility, "form": form})


@require_http_methods(["GET", "POST"])
@once_per_key
def unit_add(request, facility_id):
    facility = get_own_facility_or_404(request.user, facility_id)
    form = UnitForm(request.POST or None, instance=Unit(facility=facility))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            unit = services.save_unit(form)
            record(request, Action.CREATE, unit)
        messages.success(
            request,
            _("「%(name)s」を追加しました。受入れ可能な医療処置を設定してください。") % {"name": unit.name},
        )
        return redirect("facilities:unit_capabilities", unit.public_id)
    return render(request, "facilities/unit_form.html", {"facility": facility, "form": form, "unit": None})


@require_http_methods(["GET", "POST"])
def unit_edit(request, unit_id):
    unit = get_own_unit_or_404(request.user, unit_id)
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            services.save_unit(form)
            record(request, Action.UPDATE, unit, detail={"fields": form.changed_data[:20]})
        messages.success(request, _("「%(name)s」を保存しました。") % {"name": unit.name})
        return redirect("facilities:detail", unit.facility.public_id)
    return render(
        request, "facilities/unit_form.html", {"facility": unit.facility, "form": form, "unit": unit}
    )


@require_http_methods(["GET", "POST"])
def unit_capabilities(request, unit_id):
    """The whole catalogue for one unit, each need 受入可 / 条件付き / 不可; saved in one transaction."""
    unit = get_own_unit_or_404(request.user, unit_id)
    needs = CareNeed.objects.filter(active=True)
    form = CapabilityForm(request.POST or None, unit=unit, needs=needs)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            services.save_unit_capabilities(unit, form.levels())
            record(request, Action.UPDATE, unit, detail={"capabilities": True})
        messages.success(
            request, _("「%(name)s」の受入れ可能な医療処置を保存しました。") % {"name": unit.name}
        )
        return redirect("facilities:detail", unit.facility.public_id)
    return render(
        request,
        "facilities/capabilities_form.html",
        {
            "facility": unit.facility,
            "unit": unit,
            "form": form,
        },
    )


# --- coordination desks (facility admin) ----------------------------------------------------


def _own_desk_or_404(user, desk_id):
    desk = get_object_or_404(CoordinationDesk.objects.select_related("facility"), public_id=desk_id)
    # The facility check answers 404 to outsiders and 403 to staff, as for the facility itself.
    get_own_facility_or_404(user, desk.facility.public_id, admin=True)
    return desk


@require_http_methods(["GET", "POST"])
@once_per_key
def desks(request, facility_id):
    facility = get_own_facility_or_404(request.user, facility_id, admin=True)
    form = DeskForm(request.POST or None, instance=CoordinationDesk(facility=facility))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            desk = form.save()
            record(request, Action.CREATE, desk)
        messages.success(request, _("窓口を追加しました。"))
        return redirect("facilities:desks", facility.public_id)
    return render(
        request,
        "facilities/desks.html",
        {
            "facility": facility,
            "desks": list(facility.desks.all()),
            "form": form,
        },
    )


@require_http_methods(["GET", "POST"])
def desk_edit(request, desk_id):
    desk = _own_desk_or_404(request.user, desk_id)
    form = DeskForm(request.POST or None, instance=desk)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(request, Action.UPDATE, desk)
        messages.success(request, _("窓口を保存しました。"))
        return redirect("facilities:desks", desk.facility.public_id)
    return render(
        request, "facilities/desk_form.html", {"facility": desk.facility, "desk": desk, "form": form}
    )


@require_POST
def desk_delete(request, desk_id):
    desk = _own_desk_or_404(request.user, desk_id)
    facility = desk.facility
    with transaction.atomic():
        record(request, Action.DELETE, desk)
        desk.delete()
    messages.success(request, _("窓口を削除しました。"))
    return redirect("facilities:desks", facility.public_id)


# --- members (facility admin; the office for any facility) ----------------------------------


@require_http_methods(["GET", "POST"])
@once_per_key
def members(request, facility_id):
    facility = get_own_facility_or_404(request.user, facility_id, admin=True)
    form = MemberAddForm(request.POST or None, facility=facility)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            record(request, Action.CREATE, user, detail={"role": user.membership.role})
        messages.success(request, _("%(name)s さんを追加しました。") % {"name": user})
        return redirect("facilities:members", facility.public_id)
    memberships = facility.memberships.select_related("user").order_by("-role", "user__username")
    return render(
        request,
        "facilities/members.html",
        {
            "facility": facility,
            "memberships": memberships,
            "form": form,
            "roles": Membership.Role.choices,
        },
    )


@require_POST
def member_role(request, facility_id, user_id):
    facility = get_own_facility_or_404(request.user, facility_id, admin=True)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), facility=facility, user__public_id=user_id
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("役割を選んでください。"))
    else:
        try:
            with transaction.atomic():
                services.change_role(membership, form.cleaned_data["role"])
                record(request, Action.UPDATE, membership.user, detail={"role": membership.role})
        except services.LastAdminError:
            messages.error(request, _("施設管理者が一人もいなくなるため、役割を変更できません。"))
        else:
            messages.success(
                request,
                _("%(name)s さんの役割を「%(role)s」にしました。")
                % {
                    "name": membership.user,
                    "role": membership.get_role_display(),
                },
            )
    return redirect("facilities:members", facility.public_id)
