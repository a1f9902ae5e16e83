from django import forms
from django.utils.translation import gettext_lazy as _

from tsunagu.audit.models import AuditEvent


class AuditSearchForm(forms.Form):
    username = forms.CharField(label=_("利用者"), max_length=150, required=False)
    facility = forms.CharField(label=_("施設名"), max_length=200, required=False)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("すべて"))] + list(AuditEvent.Action.choices)
    )
    object_ref = forms.CharField(label=_("対象(参照番号・ID)"), max_length=100, required=False)
    since = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("開始日は終了日より前にしてください。"))
        return data

    def filter(self, queryset):
        """The events matching the valid filters (all events when the form is empty)."""
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["username"]:
            queryset = queryset.filter(username__icontains=data["username"])
        if data["facility"]:
            queryset = queryset.filter(facility_name__icontains=data["facility"])
        if data["action"]:
            queryset = queryset.filter(action=data["action"])
        if data["object_ref"]:
            queryset = queryset.filter(object_ref__icontains=data["object_ref"])
        if data["since"]:
            queryset = queryset.filter(at__date__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(at__date__lte=data["until"])
        return queryset
