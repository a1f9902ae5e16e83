"""Forms of the directory, the vacancy update and the facility's own profile pages."""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tsunagu.accounts.models import Membership, User
from tsunagu.facilities.models import CoordinationDesk, Facility, Unit, UnitCapability
from tsunagu.lib.privacy import GuardedCharField, GuardedTextField
from tsunagu.network.models import (
    CareLevel,
    CareNeed,
    FacilityKind,
    MedicalArea,
    Municipality,
    care_level_mask,
    care_levels_of,
)

NON_NEGATIVE = {"min_value": _("0以上の数を入力してください。"), "invalid": _("数字を入力してください。")}


def _grouped_need_choices(needs):
    groups = {}
    for need in needs:
        groups.setdefault(need.get_group_display(), []).append((need.code, need.label))
    return list(groups.items())


class DirectoryFilterForm(forms.Form):
    """The directory's filters; every field is optional and read from the query string."""

    q = forms.CharField(label=_("施設名"), required=False, max_length=100)
    area = forms.ModelChoiceField(
        label=_("二次医療圏"),
        required=False,
        to_field_name="code",
        empty_label=_("すべて"),
        queryset=MedicalArea.objects.none(),
    )
    municipality = forms.ModelChoiceField(
        label=_("市区町村"),
        required=False,
        to_field_name="code",
        empty_label=_("すべて"),
        queryset=Municipality.objects.none(),
    )
    kind = forms.ModelChoiceField(
        label=_("種別"),
        required=False,
        to_field_name="code",
        empty_label=_("すべて"),
        queryset=FacilityKind.objects.all(),
    )
    needs = forms.MultipleChoiceField(
        label=_("受入れ可能な医療処置・状態"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    free_now = forms.BooleanField(label=_("今日空きがある"), required=False)
    near = forms.ModelChoiceField(
        label=_("距離の基準(市区町村)"),
        required=False,
        to_field_name="code",
        empty_label=_("指定しない(名前順)"),
        queryset=Municipality.objects.none(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = MedicalArea.objects.filter(
            municipalities__facilities__active=True
        ).distinct()
        with_facilities = Municipality.objects.filter(facilities__active=True).distinct().order_by("code")
        self.fields["municipality"].queryset = with_facilities
        self.fields["near"].queryset = with_facilities
        self._needs = {need.code: need for need in CareNeed.objects.filter(active=True)}
        self.fields["needs"].choices = _grouped_need_choices(self._needs.values())

    @property
    def need_mask(self) -> int:
        mask = 0
        for code in self.cleaned_data.get("needs") or ():
            mask |= self._needs[code].mask
        return mask

    def selected_needs(self):
        return [self._needs[code] for code in self.cleaned_data.get("needs") or ()]


class VacancyForm(forms.Form):
    """Today's figures of one unit. With sex_matters the free beds are counted per sex."""

    free_now = forms.IntegerField(
        label=_("今日の空床"), min_value=0, required=False, error_messages=NON_NEGATIVE
    )
    free_male = forms.IntegerField(label=_("男性"), min_value=0, required=False, error_messages=NON_NEGATIVE)
    free_female = forms.IntegerField(
        label=_("女性"), min_value=0, required=False, error_messages=NON_NEGATIVE
    )
    expected_7d = forms.IntegerField(
        label=_("7日以内に空く見込み"),
        min_value=0,
        required=False,
        error_messages=NON_NEGATIVE,
    )
    # Shown to every user of the network, like every free text of a facility: guarded.
    note = GuardedCharField(label=_("メモ"), required=False, max_length=200)
    # The version of the figures the page showed; a save from older figures is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, unit, **kwargs):
        self.unit = unit
        vacancy = getattr(unit, "vacancy", None)
        if "initial" not in kwargs and vacancy is None:
            kwargs["initial"] = {"version": 0}
        elif "initial" not in kwargs:
            kwargs["initial"] = {
                "free_now": vacancy.free_now,
                "free_male": vacancy.free_male or 0,
                "free_female": vacancy.free_female or 0,
                "expected_7d": vacancy.expected_7d,
                "note": vacancy.note,
                "version": vacancy.version,
            }
        kwargs.setdefault("auto_id", f"id_{unit.public_id.hex[:12]}_%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        beds = self.unit.beds
        if self.unit.sex_matters:
            for name in ("free_male", "free_female"):
                if data.get(name) is None:
                    self.add_error(name, _("男女別の空床数を入力してください。"))
            if self.errors:
                return data
            data["free_now"] = data["free_male"] + data["free_female"]
        else:
            data["free_male"] = data["free_female"] = None
            if data.get("free_now") is None:
                self.add_error("free_now", _("今日の空床数を入力してください。"))
                return data
        if data.get("expected_7d") is None:
            data["expected_7d"] = 0
        if data["free_now"] > beds:
            self.add_error(
                None if self.unit.sex_matters else "free_now",
                _("空床数(%(free)d)が病床数・定員(%(beds)d)を超えています。")
                % {"free": data["free_now"], "beds": beds},
            )
        if data["expected_7d"] > beds:
            self.add_error(
                "expected_7d",
                _("見込み数(%(n)d)が病床数・定員(%(beds)d)を超えています。")
                % {"n": data["expected_7d"], "beds": beds},
            )
        return data


class FacilityProfileForm(forms.ModelForm):
    """What a facility's own staff keep current. Name, kind and address come from the public data."""

    url = forms.URLField(label=_("ホームページ"), required=False, max_length=300, assume_scheme="https")

    class Meta:
        model = Facility
        fields = ["phone", "fax", "url", "note", "active"]
        field_classes = {"note": GuardedTextField}
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "fax": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, can_deactivate=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_deactivate:
            # Leaving the network is the office's decision.
            del self.fields["active"]


class UnitForm(forms.ModelForm):
    care_levels = forms.MultipleChoiceField(
        label=_("受入れ可能な要介護度"),
        required=False,
        choices=CareLevel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("何も選ばなければ要介護度を問いません。"),
    )

    class Meta:
        model = Unit
        fields = ["kind", "name", "beds", "sex_matters", "cost_min", "cost_max", "active", "sort_order"]
        field_classes = {"name": GuardedCharField}
        error_messages = {"beds": NON_NEGATIVE, "cost_min": NON_NEGATIVE, "cost_max": NON_NEGATIVE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = FacilityKind.objects.filter(is_unit_kind=True)
        if self.instance.pk:
            self.initial["care_levels"] = care_levels_of(self.instance.care_level_mask)

    def clean(self):
        data = super().clean()
        low, high = data.get("cost_min"), data.get("cost_max")
        if low is not None and high is not None and low > high:
            self.add_error("cost_max", _("月額費用の上限は下限以上にしてください。"))
        return data

    def save(self, commit=True):
        unit = super().save(commit=False)
        unit.care_level_mask = care_level_mask(self.cleaned_data.get("care_levels") or [])
        if commit:
            unit.save()
        return unit


class CapabilityForm(forms.Form):
    """Every care need of the catalogue with 受入可 / 条件付き / 不可 and, when conditional, the condition."""

    def __init__(self, *args, unit, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.needs = list(needs)
        current = {cap.need_id: cap for cap in unit.capabilities.all()}
        for need in self.needs:
            cap = current.get(need.pk)
            self.fields[f"level_{need.code}"] = forms.ChoiceField(
                label=need.label,
                choices=UnitCapability.Level.choices,
                widget=forms.RadioSelect,
                initial=cap.level if cap else UnitCapability.Level.NO,
            )
            self.fields[f"note_{need.code}"] = GuardedCharField(
                label=_("条件"),
                required=False,
                max_length=200,
                initial=cap.note if cap else "",
            )

    def clean(self):
        data = super().clean()
        for need in self.needs:
            if (
                data.get(f"level_{need.code}") == UnitCapability.Level.CONDITIONAL
                and not (data.get(f"note_{need.code}") or "").strip()
            ):
                self.add_error(f"note_{need.code}", _("「条件付き」の場合は条件を書いてください。"))
        return data

    def groups(self):
        """[(group label, [(need, level field, note field)])] in catalogue order."""
        grouped = {}
        for need in self.needs:
            grouped.setdefault(need.get_group_display(), []).append(
                (need, self[f"level_{need.code}"], self[f"note_{need.code}"])
            )
        return list(grouped.items())

    def levels(self) -> dict:
        return {
            need: (self.cleaned_data[f"level_{need.code}"], self.cleaned_data[f"note_{need.code}"].strip())
            for need in self.needs
        }


class DeskForm(forms.ModelForm):
    class Meta:
        model = CoordinationDesk
        fields = ["name", "role", "phone", "fax", "email", "hours", "note", "sort_order"]
        # Name, role, phone and e-mail are the desk's own contact; hours and note are free text.
        field_classes = {"hours": GuardedCharField, "note": GuardedCharField}
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "fax": forms.TextInput(attrs={"type": "tel"}),
        }


class MemberAddForm(forms.Form):
    """A new user of the facility, with a first password the user changes later."""

    username = forms.RegexField(
        label=_("ユーザー名"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("半角英数字と @ . + - _ だけが使えます。")},
    )
    display_name = forms.CharField(label=_("表示名"), max_length=100)
    email = forms.EmailField(label=_("メール"), required=False)
    role = forms.ChoiceField(label=_("役割"), choices=Membership.Role.choices, initial=Membership.Role.STAFF)
    password = forms.CharField(
        label=_("初期パスワード"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text=_("英字・数字・記号を混ぜて13文字以上。本人に安全な方法で伝えてください。"),
    )

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("このユーザー名はすでに使われています。"))
        return username

    def clean(self):
        data = super().clean()
        if data.get("password"):
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                validate_password(data["password"], candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data

    @transaction.atomic
    def save(self):
        data = self.cleaned_data
        # The first password was chosen by someone else: the user replaces it at first login.
        user = User.objects.create_user(
            username=data["username"],
            password=data["password"],
            email=data["email"],
            display_name=data["display_name"],
            must_change_password=True,
        )
        Membership.objects.create(user=user, facility=self.facility, role=data["role"])
        return user


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("役割"), choices=Membership.Role.choices)
