"""The one-page case registration form and the small closing form."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.cases.models import FLAG_NEEDS, NIGHT_VARIANTS, OUTCOME_NOTE_MAX_LENGTH, Case
from tsunagu.lib.privacy import GuardedTextField
from tsunagu.network.models import CareNeed, FacilityKind, MedicalArea, Municipality

# Night items are reached through the 「夜間も」 tick of their day item; flag items through the flags.
_HIDDEN_NEED_CODES = set(NIGHT_VARIANTS.values()) | set(FLAG_NEEDS.values())
_DAY_ITEM_OF = {night: day for day, night in NIGHT_VARIANTS.items()}


class CaseForm(forms.ModelForm):
    """Everything about an anonymous case on one page."""

    needs = forms.ModelMultipleChoiceField(
        label=_("必要な医療処置・状態"),
        required=False,
        queryset=CareNeed.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    night = forms.ModelMultipleChoiceField(
        label=_("夜間も必要"),
        required=False,
        queryset=CareNeed.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Case
        fields = [
            "age_band",
            "sex",
            "municipality",
            "condition_category",
            "care_level",
            "dementia_level",
            "mobility_level",
            "medical_class",
            "adl_class",
            "wished_kinds",
            "wished_areas",
            "wished_date",
            "budget_monthly",
            "no_guarantor",
            "welfare",
            "published_for_offers",
            "summary",
        ]
        # The model guards the summary too; here it is refused with the form's other errors.
        field_classes = {"summary": GuardedTextField}
        widgets = {
            "sex": forms.RadioSelect,
            "wished_kinds": forms.CheckboxSelectMultiple,
            "wished_areas": forms.CheckboxSelectMultiple,
            "wished_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "budget_monthly": forms.NumberInput(
                attrs={"step": 1000, "min": 0, "placeholder": "150000", "inputmode": "numeric"}
            ),
            "summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility
        home = facility.municipality
        catalogue = list(CareNeed.objects.filter(active=True))
        self.catalogue = catalogue
        selectable = [n for n in catalogue if n.code not in _HIDDEN_NEED_CODES]
        self.fields["needs"].queryset = CareNeed.objects.filter(pk__in=[n.pk for n in selectable])
        self.night_capable_ids = {n.pk for n in selectable if n.at_night_matters or n.code in NIGHT_VARIANTS}
        self.fields["night"].queryset = CareNeed.objects.filter(pk__in=self.night_capable_ids)

        # Municipalities of the sender's prefecture; a case elsewhere is rare and the office can help.
        municipalities = Municipality.objects.filter(pref_code=home.pref_code)
        if self.instance.pk:
            municipalities = municipalities | Municipality.objects.filter(pk=self.instance.municipality_id)
        self.fields["municipality"].queryset = municipalities.order_by("code")
        areas = MedicalArea.objects.filter(pref_code=home.pref_code)
        if self.instance.pk:
            areas = areas | MedicalArea.objects.filter(pk__in=self.instance.wished_areas.all())
        self.fields["wished_areas"].queryset = areas.order_by("code").distinct()
        self.fields["wished_kinds"].queryset = FacilityKind.objects.filter(has_beds=True, is_unit_kind=True)
        self.fields["sex"].choices = self.fields["sex"].choices[1:]  # radios need no empty choice
        self.fields["care_level"].label = _("要介護度(申請中を含む)")

        if not self.instance.pk:
            self.initial.setdefault("municipality", home.pk)
            if home.area_id:
                self.initial.setdefault("wished_areas", [home.area_id])
        else:
            chosen, night = [], []
            for case_need in self.instance.needs.select_related("need"):
                code = case_need.need.code
                if code in FLAG_NEEDS.values():
                    continue
                if code in _DAY_ITEM_OF:
                    day = next((n for n in catalogue if n.code == _DAY_ITEM_OF[code]), None)
                    if day is not None:
                        chosen.append(day.pk)
                        night.append(day.pk)
                    continue
                chosen.append(case_need.need_id)
                if case_need.at_night:
                    night.append(case_need.need_id)
            self.initial["needs"] = chosen
            self.initial["night"] = night

    def need_groups(self):
        """The catalogue as checkbox groups: [(group label, [(need, checked, night_checked, night_allowed)])]."""
        if self.is_bound:
            checked = set(self.data.getlist(self.add_prefix("needs")))
            night = set(self.data.getlist(self.add_prefix("night")))
        else:
            checked = {str(pk) for pk in self.initial.get("needs", [])}
            night = {str(pk) for pk in self.initial.get("night", [])}
        allowed = {str(pk) for pk in self.fields["needs"].queryset.values_list("pk", flat=True)}
        labels = dict(CareNeed.Group.choices)
        groups = {}
        for need in self.catalogue:
            pk = str(need.pk)
            if pk not in allowed:
                continue
            groups.setdefault(need.group, []).append(
                (need, pk in checked, pk in night, need.pk in self.night_capable_ids)
            )
        return [(labels.get(group, group), items) for group, items in groups.items()]

    def clean_wished_date(self):
        wished = self.cleaned_data.get("wished_date")
        changed = "wished_date" in self.changed_data
        if wished and changed and wished < timezone.localdate():
            raise forms.ValidationError(_("受入れ希望日が過ぎています。今日以降の日付にしてください。"))
        return wished

    def clean(self):
        cleaned = super().clean()
        needs = list(cleaned.get("needs") or [])
        night = list(cleaned.get("night") or [])
        # Ticking 「夜間も」 alone also means the need itself.
        for need in night:
            if need not in needs:
                needs.append(need)
        cleaned["needs"] = needs
        cleaned["night"] = night
        if not cleaned.get("wished_kinds") and "wished_kinds" not in self.errors:
            self.add_error("wished_kinds", _("希望する施設種別を1つ以上選んでください。"))
        if not cleaned.get("wished_areas") and "wished_areas" not in self.errors:
            self.add_error("wished_areas", _("希望する地域を1つ以上選んでください。"))
        return cleaned

    def save_case(self, *, user):
        """Save the case with its needs; a new case belongs to the form's facility."""
        case = self.save(commit=False)
        if not case.pk:
            case.owner = self.facility
            case.created_by = user
        case.save()
        self.save_m2m()
        case.set_needs(self.cleaned_data["needs"], at_night=self.cleaned_data["night"])
        return case


class CloseCaseForm(forms.Form):
    """End a case and record what became of the patient."""

    outcome = forms.ChoiceField(
        label=_("結果"),
        choices=Case.Outcome.choices,
        widget=forms.RadioSelect,
    )
    note = GuardedTextField(
        label=_("補足(任意)"),
        required=False,
        max_length=OUTCOME_NOTE_MAX_LENGTH,
        rows=2,
    )
