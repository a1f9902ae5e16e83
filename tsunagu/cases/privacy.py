"""The personal-data guard for every free-text field of the product.

Cases are anonymous by design: nobody needs a patient's consent because nothing in the
system identifies the patient. Free text is where identity leaks in, so every text a
user writes (case summary, outcome note, messages) passes `find_personal_data()`, which
looks for phone and fax numbers, dates of birth, e-mail addresses, insurance and
patient numbers, street addresses down to the 番地, and names written with 様・さん・氏.

The rules aim at what coordinators actually write. Ordinary clinical text — doses,
lab values, bed counts, the date of an operation, 要介護3, BP 130/80 — must pass, so
each rule needs either a shape that only personal data has (0463-12-3456, 1丁目2番3号)
or a cue next to it (生年月日, 患者ID, TEL).

Input is normalised with NFKC (full-width digits and letters become ASCII) one
character at a time, so every finding can report its span in the original text.
"""

import re
import unicodedata
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PHONE = "phone"
BIRTH_DATE = "birth_date"
EMAIL = "email"
ID_NUMBER = "id_number"
ADDRESS = "address"
NAME = "name"

# kind -> (label, what was found, why it is refused); shown to the user.
KINDS = {
    EMAIL: (
        gettext_lazy("メールアドレス"),
        gettext_lazy("メールアドレス"),
        gettext_lazy("メールアドレスは本人や家族に直接つながります。"),
    ),
    PHONE: (
        gettext_lazy("電話・FAX番号"),
        gettext_lazy("電話番号のような数字"),
        gettext_lazy(
            "電話・FAX番号は本人や家族に直接つながります。連絡先は各施設の窓口情報を使ってください。"
        ),
    ),
    BIRTH_DATE: (
        gettext_lazy("生年月日"),
        gettext_lazy("生年月日のような日付"),
        gettext_lazy(
            "生年月日は年代(5歳刻み)で登録してください。古い出来事は「昭和60年頃」のように年までにしてください。"
        ),
    ),
    ID_NUMBER: (
        gettext_lazy("保険証・患者番号"),
        gettext_lazy("保険証番号や患者IDのような番号"),
        gettext_lazy(
            "被保険者番号・患者ID・カルテ番号は登録できません。施設内の照合にはこの登録の患者番号(C-…)を使ってください。"
        ),
    ),
    ADDRESS: (
        gettext_lazy("住所"),
        gettext_lazy("番地までの住所"),
        gettext_lazy("住所は市区町村まで(お住まいの市区町村欄)にしてください。"),
    ),
    NAME: (
        gettext_lazy("氏名"),
        gettext_lazy("氏名のような呼び方"),
        gettext_lazy(
            "患者さんやご家族の名前は書かないでください(「長女」「キーパーソン」などの続柄・役割は書けます)。"
        ),
    ),
}

# No field of the product is longer; a longer text is refused before the guard reads it.
GUARD_MAX_LENGTH = 10_000

# When two findings overlap, the more specific kind wins.
PRIORITY = [EMAIL, PHONE, BIRTH_DATE, ADDRESS, ID_NUMBER, NAME]


@dataclass(frozen=True)
class Finding:
    """Something in a text that looks like personal data."""

    kind: str
    text: str  # the matched text, as written
    span: tuple[int, int]  # (start, end) in the original text

    @property
    def label(self) -> str:
        return str(KINDS[self.kind][0])

    @property
    def reason(self) -> str:
        return str(KINDS[self.kind][2])

    @property
    def message(self) -> str:
        """The sentence shown on the form."""
        return _("%(what)s『%(text)s』が含まれています。個人を特定できる情報は登録できません。%(reason)s") % {
            "what": KINDS[self.kind][1],
            "text": self.text,
            "reason": self.reason,
        }


# -- normalisation -----------------------------------------------------------------

_DASHES = "‐‑‒–—―−－ｰ﹣"
_DASH_TABLE = {ord(c): "-" for c in _DASHES}
_LONG_VOWEL_BETWEEN_DIGITS = re.compile(r"(?<=\d)ー(?=\d)")


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character, dashes unified; returns the text and, for every character of
    it, the index of the original character it came from."""
    out, origin = [], []
    for index, char in enumerate(text):
        norm = unicodedata.normalize("NFKC", char).translate(_DASH_TABLE)
        out.append(norm)
        origin.extend([index] * len(norm))
    normalised = "".join(out)
    # 0463ー12ー3456 typed with the long-vowel mark; one character for one, so origin holds.
    normalised = _LONG_VOWEL_BETWEEN_DIGITS.sub("-", normalised)
    return normalised, origin


# -- rules -------------------------------------------------------------------------

_NOT_DIGIT_BEFORE = r"(?<![\d.,/:])"
_NOT_DIGIT_AFTER = r"(?![\d,]|\.\d)"

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

_PHONE_RES = [
    # 0463-12-3456, 03-1234-5678, 090-1234-5678, (0463)12-3456, 0463 12 3456
    re.compile(r"(?<![\d.,])\(?0\d{1,4}\)?[\s-]?\(?\d{1,4}\)?[\s-]\d{3,4}" + _NOT_DIGIT_AFTER),
    re.compile(_NOT_DIGIT_BEFORE + r"\(0\d{1,4}\)\d{1,4}-?\d{3,4}" + _NOT_DIGIT_AFTER),
    # 0463123456, 09012345678
    re.compile(_NOT_DIGIT_BEFORE + r"0\d{9,10}" + _NOT_DIGIT_AFTER),
    # +81-463-12-3456
    re.compile(r"\+81[\s-]?\(?\d{1,4}\)?[\s-]?\d{1,4}[\s-]?\d{3,4}" + _NOT_DIGIT_AFTER),
]
# A cue makes even a local number without area code a phone number: TEL 12-3456.
_PHONE_CUE_RE = re.compile(
    r"(?:TEL|Tel|tel|FAX|Fax|fax|℡|電話番号|電話|携帯|ファックス|ファクス|連絡先)"
    r"\s*(?:番号)?\s*[:=は]?\s*(\(?\d[\d()\s-]{4,}\d)" + _NOT_DIGIT_AFTER
)

_ERAS = {
    "明治": 1867,
    "明": 1867,
    "M": 1867,
    "大正": 1911,
    "大": 1911,
    "T": 1911,
    "昭和": 1925,
    "昭": 1925,
    "S": 1925,
    "平成": 1988,
    "平": 1988,
    "H": 1988,
    "令和": 2018,
    "令": 2018,
    "R": 2018,
}
_ERA_ALT = "明治|大正|昭和|平成|令和|明|大|昭|平|令|(?<![A-Za-z])[MTSHR]"
_YMD_SEP = r"\s*[年/.\-]\s*"
_MD_SEP = r"\s*[月/.\-]\s*"
_DATE_RE = re.compile(
    r"(?:(?P<era>"
    + _ERA_ALT
    + r")\s*(?P<eyear>\d{1,2}|元)|"
    + _NOT_DIGIT_BEFORE
    + r"(?P<year>1[89]\d{2}|20\d{2}))"
    + _YMD_SEP
    + r"(?P<month>\d{1,2})(?:"
    + _MD_SEP
    + r"(?P<day>\d{1,2})(?:\s*日)?|\s*月)?"
    + r"(?![\d])"
)
# Before the date: 生年月日 1941/03/05, DOB: …; after it: 生, 生まれ (but not 生検, 生活…).
_BIRTH_CUE_BEFORE_RE = re.compile(
    r"(?:生年月日|誕生日|出生日|生まれ|DOB|D\.O\.B|birth)\s*[:は]?\s*[(（]?\s*$", re.IGNORECASE
)
_BIRTH_CUE_AFTER_RE = re.compile(
    r"^\s*[)）]?\s*(?:生まれ|うまれ|出生|生(?![検活存理化保命食体着成前後])|誕生)"
)
# A full date this old is a birth date, not an event of the current admission.
_OLD_DATE_YEAR = 1990

_ID_RUN_RE = re.compile(_NOT_DIGIT_BEFORE + r"\d{8,}" + _NOT_DIGIT_AFTER)
_ID_CUE_RE = re.compile(
    r"(?:被保険者番号|被保険者証|保険者番号|保険証番号|保険証|記号番号|記号|受給者番号|受給者証|公費番号"
    r"|患者ID|患者番号|カルテ番号|カルテNo\.?|診察券番号|診察券|マイナンバー|個人番号|(?<![A-Za-z])ID(?![A-Za-z]))"
    r"\s*(?:番号|No\.?)?\s*[:=は]?\s*([A-Za-z]{0,3}-?\d[\dA-Za-z\-]{2,})"
)

# 介護保険 0012345678: a bare insurance word needs a long number after it (介護保険 2割 is fine).
_INSURANCE_CUE_RE = re.compile(
    r"(?:介護保険|医療保険|健康保険|後期高齢者医療|保険)\s*[:=は]?\s*(\d{6,})" + _NOT_DIGIT_AFTER
)

_KANJI_NUM = "一二三四五六七八九十"
_ADDRESS_RES = [
    # 1丁目2番3号, 三丁目, 1丁目2-3
    re.compile(
        r"(?:\d{1,3}|[" + _KANJI_NUM + r"]{1,3})\s*丁目(?:\s*\d{1,4}(?:\s*(?:番地?|-)\s*\d{1,4}(?:\s*号)?)?)?"
    ),
    # 123番地, 123番地の4, 2番3号
    re.compile(_NOT_DIGIT_BEFORE + r"\d{1,5}\s*番地(?:\s*の?\s*\d{1,4})?(?:\s*号)?"),
    re.compile(_NOT_DIGIT_BEFORE + r"\d{1,5}\s*番(?![目手号])\s*\d{1,4}\s*号(?!室|棟|車)"),
    # 浅間町1-2, 大字上平塚1234-5: a place name ending in 町・村・字 then numbers
    re.compile(r"(?<=[町村字])\d{1,4}-\d{1,4}(?:-\d{1,4})?" + _NOT_DIGIT_AFTER),
    # 1-2-3 right after a place name, when it is not a date nor a dose (朝昼夕 4-4-4単位)
    re.compile(
        r"(?<=[\u4e00-\u9fff々ヶケ])(?!(?:19|20)\d{2}-)\d{1,4}-\d{1,4}-\d{1,4}"
        + _NOT_DIGIT_AFTER
        + r"(?!-|\s*(?:単位|錠|包|本|枚|滴|回|日|時|分|mg|ml|mL|g|U|cc|%|カプセル))"
    ),
    # 住所: 平塚市浅間町12-3 — a cue followed closely by a house number
    re.compile(
        r"(?:現住所|自宅住所|住所|居所)\s*[:は]?\s*[^\s、。,:]{0,20}?\d{1,4}(?:-\d{1,4})*(?:\s*(?:番地?|号))?"
        + _NOT_DIGIT_AFTER
    ),
    # 〒254-0041, 郵便番号 254-0041
    re.compile(r"(?:〒|郵便番号\s*[:]?)\s*\d{3}-?\d{4}" + _NOT_DIGIT_AFTER),
]

# Honorifics that follow a name; each with the words after it that make it something else.
_HONORIFIC_RE = re.compile(r"様(?![子式態相々])|さま|さん|氏(?![名])|殿(?![堂方様])|くん|ちゃん")
_KANJI_CHAR = re.compile(r"[\u4e00-\u9fff々〆ヵヶ]")
_KATAKANA_CHAR = re.compile(r"[\u30a1-\u30fa\u30fcー・]")
_NAME_MAX = 8
# Role, family and courtesy words that may stand before 様・さん: the name form is fine
# when the words before the honorific end with one of these (長女様, 担当ケアマネさん).
ROLE_WORDS_KANJI = frozenset(
    """
患者 家族 親族 親戚 本人 当人 奥 皆 各位 客 利用者 入居者 入所者 対象者 相談者 保護者 先方 方 相手
担当 看護 介護 医者 先生 主治医 前医 担当医 当直医 主任 職員 事務 受付 窓口 訪看 訪問看護 訪問入浴 通所 入浴
包括 支援センター 社協 施設 貴施設 貴院 貴所 貴社 御社 弊社 当院 弊院 病院 医院 診療所 事業所 保健所 役所 役場
研究所 営業所 支所 会社 葬儀社 薬局 医師会 協会 自治会 町内会 家族会 警察 消防 救急隊 福祉用具 市 区 町 村 県
娘 息子 長男 次男 三男 長女 次女 三女 嫁 婿 夫 妻 旦那 主人 配偶者 父 母 父親 母親 両親 親 親御 兄 姉 弟 妹 兄弟
姉妹 孫 甥 姪 甥御 姪御 子供 子ども 叔父 叔母 伯父 伯母 義父 義母 義兄 義姉 義弟 義妹 祖父 祖母 婆 爺 内縁
後見人 保佐人 補助人 保証人 代理人 管理人 友人 知人 隣人 家人 婦人 相続人 証人 住人 他人 大人 老人 病人 恋人
民生委員 大家 家主 近所 隣 業者 坊 神 仏 王 殿 彼 彼女 某 同 両 当該
世話 疲 疲れ 苦労 大事 愁傷 待 待ち 多 仕 模 異 一 左 右 有 文 各 今 赤 姫 王子 天道
""".split()
)
# Endings that make a word a role or a place rather than a name: 看護師, 介護福祉士,
# 相談員, 担当者, 施設長, 整形外科, 医事課, 連携室, 事務局, 消防署, 病棟, 特養○○園.
ROLE_ENDINGS_KANJI = frozenset("師 士 員 者 長 科 課 室 局 署 棟 院 店 園 婦".split())
ROLE_WORDS_KATAKANA = frozenset(
    """
ケアマネ ケアマネージャー ケアマネジャー ヘルパー ワーカー ナース ドクター スタッフ セラピスト マネージャー
マネジャー オーナー ドライバー ボランティア キーパーソン ファミリー パートナー サポーター コーディネーター
カウンセラー リーダー チーフ シッター ホーム ハウス センター クリニック ホスピタル ホスピス ステーション ケア
ショート ステイ デイ サービス プラン リハ リハビリ タクシー レンタル メーカー ファーマシー ママ パパ
ベビー シスター レジデンス ガーデン ヴィラ ヴィレッジ
""".split()
)
# Role words that are also common endings of given names (花子): allowed only as the whole word (お子様).
ROLE_WORDS_WHOLE_ONLY = frozenset(["子"])


def _is_role(run: str, katakana: bool) -> bool:
    if katakana:
        return any(run.endswith(word) for word in ROLE_WORDS_KATAKANA)
    return (
        run in ROLE_WORDS_WHOLE_ONLY
        or run[-1] in ROLE_ENDINGS_KANJI
        or any(run.endswith(word) for word in ROLE_WORDS_KANJI)
    )


def _span_in_original(origin, text, start, end):
    o_start = origin[start]
    o_end = origin[end - 1] + 1
    return o_start, o_end, text[o_start:o_end]


def _find_name_forms(norm):
    for match in _HONORIFIC_RE.finditer(norm):
        end = match.start()
        # A space between the name and the honorific is common: 山田 様.
        while end > 0 and norm[end - 1] in " \u3000":
            end -= 1
        if end == 0:
            continue
        char_re = (
            _KANJI_CHAR
            if _KANJI_CHAR.match(norm[end - 1])
            else (_KATAKANA_CHAR if _KATAKANA_CHAR.match(norm[end - 1]) else None)
        )
        if char_re is None:
            continue
        start = end
        while start > 0 and end - start < _NAME_MAX and char_re.match(norm[start - 1]):
            start -= 1
        run = norm[start:end]
        if _is_role(run, katakana=char_re is _KATAKANA_CHAR):
            continue
        if char_re is _KATAKANA_CHAR and len(run.strip("ー・")) < 2:
            continue
        # 山田 花子様: take the family name too.
        given_start = start
        if start >= 2 and norm[start - 1] in " \u3000" and _KANJI_CHAR.match(norm[start - 2]):
            family = start - 1
            while family > 0 and start - family <= 4 and _KANJI_CHAR.match(norm[family - 1]):
                family -= 1
            given_start = family
        yield given_start, match.end()


def _birth_date_spans(norm):
    for match in _DATE_RE.finditer(norm):
        if match["era"]:
            era = match["era"]
            base = _ERAS.get(era)
            eyear = 1 if match["eyear"] == "元" else int(match["eyear"])
            year = base + eyear
        else:
            year = int(match["year"])
        month = int(match["month"])
        day = int(match["day"]) if match["day"] else None
        if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            continue
        before = norm[max(0, match.start() - 12) : match.start()]
        after = norm[match.end() : match.end() + 6]
        cue_after = _BIRTH_CUE_AFTER_RE.match(after)
        cued = bool(_BIRTH_CUE_BEFORE_RE.search(before) or cue_after)
        if cued or (day is not None and year < _OLD_DATE_YEAR):
            end = match.end() + (cue_after.end() if cue_after else 0)
            yield match.start(), end


def find_personal_data(text: str) -> list[Finding]:
    """What in `text` looks like personal data, in order of appearance.

    Every finding carries its kind, the matched text as written and its span in the
    original text; overlapping matches are reported once, as the most specific kind.
    """
    if not text:
        return []
    norm, origin = _normalise(text)
    candidates = []  # (kind, start, end) in normalised text

    for match in _EMAIL_RE.finditer(norm):
        candidates.append((EMAIL, match.start(), match.end()))
    for regex in _PHONE_RES:
        for match in regex.finditer(norm):
            digits = sum(c.isdigit() for c in match.group())
            if match.group().startswith("+81") or 10 <= digits <= 11:
                candidates.append((PHONE, match.start(), match.end()))
    for match in _PHONE_CUE_RE.finditer(norm):
        if sum(c.isdigit() for c in match.group(1)) >= 6:
            candidates.append((PHONE, match.start(1), match.end(1)))
    for start, end in _birth_date_spans(norm):
        candidates.append((BIRTH_DATE, start, end))
    for regex in _ADDRESS_RES:
        for match in regex.finditer(norm):
            start = match.start() + len(match.group()) - len(match.group().lstrip())
            candidates.append((ADDRESS, start, match.end()))
    for match in _ID_RUN_RE.finditer(norm):
        candidates.append((ID_NUMBER, match.start(), match.end()))
    for match in _INSURANCE_CUE_RE.finditer(norm):
        candidates.append((ID_NUMBER, match.start(), match.end(), 0.5))
    for match in _ID_CUE_RE.finditer(norm):
        # A cue decides: 介護保険 0012345678 is an insurance number, not a phone number.
        candidates.append((ID_NUMBER, match.start(), match.end(), 0.5))
    for start, end in _find_name_forms(norm):
        candidates.append((NAME, start, end))

    def rank(candidate):
        kind, start, end, *explicit = candidate
        return (explicit[0] if explicit else PRIORITY.index(kind), start, -end)

    accepted = []
    for kind, start, end, *_rank in sorted(candidates, key=rank):
        if any(start < a_end and a_start < end for _k, a_start, a_end in accepted):
            continue
        accepted.append((kind, start, end))
    findings = []
    for kind, start, end in sorted(accepted, key=lambda c: c[1]):
        o_start, o_end, matched = _span_in_original(origin, text, start, end)
        findings.append(Finding(kind=kind, text=matched, span=(o_start, o_end)))
    return findings


def personal_data_messages(text: str) -> list[str]:
    return [finding.message for finding in find_personal_data(text)]


def validate_no_personal_data(value, *, max_length=None):
    """Django validator: refuses text that looks like personal data, saying what and why.

    With `max_length`, a longer text is refused for its length and never read by the guard;
    callers outside a form (services, the API) pass the limit of the field they fill.
    """
    value = value or ""
    limit = GUARD_MAX_LENGTH if max_length is None else min(max_length, GUARD_MAX_LENGTH)
    MaxLengthValidator(limit)(value)
    findings = find_personal_data(value)
    if findings:
        raise ValidationError(
            [ValidationError(finding.message, code="personal_data") for finding in findings]
        )


def guarded_clean(value: str, *, max_length=None) -> str:
    """The value, stripped, or a ValidationError naming the personal data found in it."""
    value = (value or "").strip()
    validate_no_personal_data(value, max_length=max_length)
    return value


class GuardedCharField(forms.CharField):
    """A free-text form field that refuses personal data (names, phone numbers, …).

    The guard runs last, once the value has passed the field's own rules: a text over
    `max_length` is refused for its length and never read by the guard.
    """

    def run_validators(self, value):
        super().run_validators(value)
        if value not in self.empty_values:
            validate_no_personal_data(value)


class GuardedTextField(GuardedCharField):
    """A guarded free-text field shown as a text area, with a hint of what not to write."""

    def __init__(self, *, rows=4, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "氏名・生年月日・住所・電話番号・患者IDなど、個人を特定できる情報は書かないでください。"
            ),
        )
        super().__init__(**kwargs)
