"""Password rules of the MHLW guideline (第6.0版 システム運用編 14章, Q&A シQ-54).

A password mixes letters, digits and symbols and has at least 13 characters; a user who
also logs in with a second factor (a confirmed TOTP device) may use 8. Mixing in digits and
symbols must not make a guessable password pass: a common word or keyboard walk with digits and
symbols around it (`password1234!`, `Passw0rd!2026`, `qwertyuiop12`) and a password that contains
the user's own name or e-mail name are refused too.
"""

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
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


# Digits and symbols that stand in for letters (Passw0rd, p@ss, 5ecret).
_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LOOKALIKE_CHARS = frozenset("013457@$")
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# Words everybody around the product would try first: its name and the words of the trade.
CONTEXT_WORDS = frozenset(
    {
        "tsunagu",
        "tunagu",
        "byouin",
        "byoin",
        "kango",
        "kangoshi",
        "kaigo",
        "iryou",
        "iryo",
        "hospital",
        "nurse",
        "clinic",
        "welcome",
    }
)


def _squash(text: str) -> str:
    """Letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", text)


def password_cores(password: str) -> set[str]:
    """The guessable part of a password, in the forms an attacker's list would hold it.

    The digits and symbols around the first and last letter are dropped (`password1234!` →
    `password`), look-alikes inside become letters (`passw0rd` → `password`) and what is left
    is also taken without its separators. A word with at most two letters strewn around it
    (`Zxcvbnm!2026a`) counts as that word.
    """
    lower = password.lower().strip()
    core = re.sub(r"^[^a-z]+|[^a-z]+$", "", lower)
    plain = _letters_for_lookalikes(core)
    forms = {lower, core, plain, re.sub(r"[^a-z]", "", core)}
    letters = re.sub(r"[^a-z]", "", plain)
    forms.add(letters)
    longest = max(re.findall(r"[a-z]+", plain), key=len, default="")
    if len(letters) - len(longest) <= 2:
        forms.add(longest)
    return {form for form in forms if form}


def _letters_for_lookalikes(text: str) -> str:
    """Look-alike digits and symbols next to a letter become that letter (p@ssw0rd → password);
    a year between separators (-2026-) stays as it is."""
    chars = list(text)
    for index, char in enumerate(text):
        if char in _LOOKALIKE_CHARS:
            neighbours = text[max(index - 1, 0) : index] + text[index + 1 : index + 2]
            if any(n.isalpha() or n in _LOOKALIKE_CHARS for n in neighbours) and re.search(
                r"[a-z]", text[max(index - 2, 0) : index + 3]
            ):
                chars[index] = char.translate(_LOOKALIKES)
    return "".join(chars)


def is_keyboard_walk(text: str) -> bool:
    """Four or more neighbouring keys of one row, either way (`qwerty`, `lkjhg`, `7654`)."""
    return len(text) >= 4 and any(text in row or text in row[::-1] for row in _KEYBOARD_ROWS)


class CommonCorePasswordValidator(CommonPasswordValidator):
    """Django's list of 20,000 common passwords, checked against the password's core too.

    Also refuses cores that are a keyboard walk, a word of CONTEXT_WORDS, or one or two
    letters repeated.
    """

    def validate(self, password, user=None):
        for core in password_cores(password):
            if (
                core in self.passwords
                or core in CONTEXT_WORDS
                or is_keyboard_walk(core)
                or (core.isalpha() and len(set(core)) <= 2)
            ):
                raise ValidationError(self.get_error_message(), code="password_too_common")

    def get_error_message(self):
        return _("よく使われる単語やキーボードの並びに数字や記号を付けただけのパスワードは使えません。")

    def get_help_text(self):
        return _("よく使われるパスワードや、それに数字・記号を付け足しただけのものは使えません。")


class UserNamePasswordValidator:
    """Refuses a password that contains the user name or the e-mail name, also written backwards.

    Case, separators and look-alike digits do not matter (`Tanaka_2026!`, `akanat-…`, `t4n4ka`).
    Names shorter than three characters are not checked.
    """

    min_name_length = 3

    def validate(self, password, user=None):
        if user is None:
            return
        names = [getattr(user, "username", "") or ""]
        email = getattr(user, "email", "") or ""
        if "@" in email:
            names.append(email.rsplit("@", 1)[0])
        haystacks = self._forms(password)
        for name in names:
            for form in self._forms(name):
                if len(form) < self.min_name_length:
                    continue
                if any(form in haystack or form[::-1] in haystack for haystack in haystacks):
                    raise ValidationError(
                        _("利用者名やメールアドレスの名前を含むパスワードは使えません(逆から書いた場合も)。"),
                        code="password_contains_user_name",
                    )

    @staticmethod
    def _forms(text: str) -> set[str]:
        lower = text.lower()
        return {form for form in (lower, _squash(lower), _squash(lower.translate(_LOOKALIKES))) if form}

    def get_help_text(self):
        return _("利用者名やメールアドレスの名前を含まないこと。")
