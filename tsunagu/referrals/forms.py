from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.facilities.models import Unit
from tsunagu.lib.privacy import GuardedCharField
from tsunagu.referrals.models import Referral


class SendForm(forms.Form):
    """The bulk request: chosen units (from the search results), deadline, message."""

    units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.active().select_related("facility", "kind"),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        label=_("依頼先"),
        error_messages={
            "required": _("依頼先を1つ以上選んでください。"),
            "invalid_choice": _("選んだ依頼先が見つかりません。"),
        },
    )
    deadline = forms.DateTimeField(
        label=_("回答期限"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("空欄なら翌営業日の17:00です。"),
    )
    message = GuardedCharField(
        label=_("依頼先へのメッセージ(任意)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if deadline is not None and deadline <= timezone.now():
            raise forms.ValidationError(_("回答期限は今より後の日時にしてください。"))
        return deadline


class AnswerForm(forms.Form):
    """The receiver's answer: 受入可 (date), 受入不可 (reason), 要相談 (question)."""

    ACTIONS = {
        "accept": Referral.Status.ACCEPTED,
        "decline": Referral.Status.DECLINED,
        "ask": Referral.Status.ASKED,
    }

    action = forms.ChoiceField(choices=[(key, key) for key in ACTIONS], widget=forms.HiddenInput)
    earliest_date = forms.DateField(
        label=_("受入れ可能日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    decline_reason = forms.ChoiceField(
        label=_("理由"), required=False, choices=Referral.DeclineReason.choices, widget=forms.RadioSelect
    )
    decline_note = GuardedCharField(label=_("補足"), required=False, max_length=300)
    question = GuardedCharField(
        label=_("相談したいこと"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MessageForm(forms.Form):
    body = GuardedCharField(
        label=_("メッセージ"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = GuardedCharField(label=_("理由(任意)"), required=False, max_length=300)


class OfferForm(forms.Form):
    unit = forms.UUIDField(widget=forms.HiddenInput)
    message = GuardedCharField(
        label=_("メッセージ(任意)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
