"""Password rules of the MHLW guideline (第6.0版 システム運用編 14章, Q&A シQ-54).

A password mixes letters, digits and symbols and has at least 13 characters; a user who
also logs in with a second factor (a confirmed TOTP device) may use 8.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def has_confirmed_totp(user) -> bool:
    if user is None or not getattr(user, "pk", None):
        return False
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class GuidelinePasswordValidator:
    def __init__(self, min_length=13, min_length_with_second_factor=8):
        self.min_length = min_length
        self.min_length_with_second_factor = min_length_with_second_factor

    def required_length(self, user=None) -> int:
        return self.min_length_with_second_factor if has_confirmed_totp(user) else self.min_length

    def validate(self, password, user=None):
        errors = []
        required = self.required_length(user)
        if len(password) < required:
            if required == self.min_length:
                errors.append(
                    ValidationError(
                        _(
                            "パスワードは%(min)d文字以上にしてください(二要素認証を設定すると%(short)d文字以上で使えます)。"
                        )
                        % {"min": required, "short": self.min_length_with_second_factor},
                        code="password_too_short",
                    )
                )
            else:
                errors.append(
                    ValidationError(
                        _("パスワードは%(min)d文字以上にしてください。") % {"min": required},
                        code="password_too_short",
                    )
                )
        missing = []
        if not re.search(r"[A-Za-z]", password):
            missing.append(_("英字"))
        if not re.search(r"[0-9]", password):
            missing.append(_("数字"))
        if not re.search(r"[^A-Za-z0-9]", password):
            missing.append(_("記号"))
        if missing:
            errors.append(
                ValidationError(
                    _(
                        "パスワードには英字・数字・記号をそれぞれ1文字以上含めてください(足りないもの: %(missing)s)。"
                    )
                    % {"missing": "、".join(missing)},
                    code="password_classes",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return _(
            "英字・数字・記号を混ぜて%(min)d文字以上(二要素認証を設定している場合は%(short)d文字以上)。"
        ) % {"min": self.min_length, "short": self.min_length_with_second_factor}
