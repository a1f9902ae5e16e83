from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("認証アプリに表示される6桁の数字、または回復コード"),
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "").replace("-", "")


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(label=_("現在のパスワード"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("パスワードが正しくありません。"))
        return password


class GuidelinePasswordChangeForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("現在のパスワードが正しくありません。"),
        "password_mismatch": _("新しいパスワードが一致しません。"),
    }

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        if new and self.user.check_password(new):
            raise forms.ValidationError(_("今までと違うパスワードにしてください。"))
        return new


class UnlockForm(forms.Form):
    """Which lockout to lift: a user name at an address (hidden fields of the lockout list)."""

    username = forms.CharField(max_length=255)
    ip_address = forms.GenericIPAddressField()
