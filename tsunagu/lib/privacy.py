"""The personal-data guard for every free-text field of the product.

Cases are anonymous by design: nobody needs a patient's consent because nothing in the
system identifies the patient. Free text is where identity leaks in, so every text a
user writes (case summary, messages, a facility's notes) passes `find_personal_data()`,
which looks for phone and fax numbers, dates of birth, e-mail addresses, insurance and
patient numbers, street addresses down to the 番地, room and bed numbers, and names:
with 様・さん・氏, after a label (氏名：), in kana or romaji.

The rules aim at what coordinators actually write. Ordinary clinical text — doses,
lab values, bed counts, the date of an operation, 要介護3, BP 130/80, 長女さん, 特養さん —
must pass, so each rule needs either a shape that only personal data has (0463-12-3456,
1丁目2番3号) or a cue next to it (生年月日, 患者ID, TEL). Two corpora of such phrases
(tests/data/privacy/) measure how well the rules do.

The guard takes time in proportion to the length of the text, whatever the text: it
normalises once and then runs patterns that never read a run again from each of its
characters (see "normalisation" below).
"""

import bisect
import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsunagu.lib import privacy_words as words

PHONE = "phone"
BIRTH_DATE = "birth_date"
EMAIL = "email"
ID_NUMBER = "id_number"
ADDRESS = "address"
ROOM = "room"
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
    ROOM: (
        gettext_lazy("病室・ベッド番号"),
        gettext_lazy("病室やベッドの番号"),
        gettext_lazy(
            "病室やベッドの番号は入院中の本人を特定できます。「個室」「4人部屋」のように部屋の種類で書いてください。"
        ),
    ),
    NAME: (
        gettext_lazy("氏名"),
        gettext_lazy("氏名のような呼び方"),
        gettext_lazy(
            "患者さんやご家族の名前は書かないでください(「長女」「キーパーソン」などの続柄・役割は書けます)。"
        ),
    ),
}

# Twice the longest field of the product (2,000); a longer text is refused before the guard reads it.
GUARD_MAX_LENGTH = 4_000

# When two findings overlap, the more specific kind wins.
PRIORITY = [EMAIL, PHONE, BIRTH_DATE, ADDRESS, ROOM, ID_NUMBER, NAME]


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
#
# The rules read two views of the text. The *text view* is NFKC (full-width letters and
# digits become ASCII) with every dash made "-"; names are looked for there. The *number
# view* also writes kanji numerals as digits where they stand (昭和十年三月五日 → 昭和10年3月5日,
# 〇九〇 → 090), joins digits typed one by one (0 9 0 1 … → 0901…) and blanks out the
# product's own case codes (C-2026-00123), which are allowed. Each view keeps, for every
# character, the index of the original character it came from (None while that is the
# identity), so a finding reports its span in the text as written.
#
# Every rule is linear in the length of the text: the normalisation is one pass, and each
# pattern is anchored where a run starts (a lookbehind on its own characters) or has only
# bounded quantifiers, so a long run of digits, letters or kanji is never read again from
# each of its characters.

_DASH_TABLE = {ord(c): "-" for c in "‐‑‒–—―−－﹣"}


class _NfkcTable(dict):
    """NFKC of one character at a time, for str.translate; remembers what it has seen."""

    def __missing__(self, code):
        value = unicodedata.normalize("NFKC", chr(code)).translate(_DASH_TABLE)
        if len(self) < 50_000:
            self[code] = value
        return value


_NFKC = _NfkcTable()


def _normalise(text: str):
    """The text view and its origin."""
    norm = text.translate(_NFKC)
    if len(norm) == len(text):
        # No character normalises to nothing, so equal lengths mean one for one.
        return norm, None
    origin = []
    for index, char in enumerate(text):
        origin.extend([index] * len(_NFKC[ord(char)]))
    return norm, origin


def _rewrite(text: str, origin, pattern, replace):
    """`text` with each match of `pattern` replaced by replace(match) (None leaves it), the origin in step."""
    replaced = []
    for match in pattern.finditer(text):
        new = replace(match)
        if new is not None and new != match.group():
            replaced.append((match.start(), match.end(), new))
    if not replaced:
        return text, origin
    pieces, last = [], 0
    for start, end, new in replaced:
        pieces += (text[last:start], new)
        last = end
    pieces.append(text[last:])
    if all(end - start == len(new) for start, end, new in replaced):
        return "".join(pieces), origin  # one character for one: the origin holds
    if origin is None:
        origin = range(len(text))
    origins, last = [], 0
    for start, end, new in replaced:
        origins += origin[last:start]
        # The first new character comes from the first old one, the last from the last.
        origins += [origin[min(start + i, end - 1)] for i in range(len(new) - 1)] + [origin[end - 1]]
        last = end
    origins += origin[last:]
    return "".join(pieces), origins


# A pattern that has to start where a run starts is written with its first character class
# before the lookbehind (\d(?<!\d\d) rather than (?<!\d)\d): re then skips quickly over the
# characters that cannot start a match instead of trying the lookbehind at every position.
_CASE_CODE_RE = re.compile(r"[Cc](?<![A-Za-z0-9][Cc])-(?:19|20)\d{2}-\d{5,6}(?!\d)")
_KANJI_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMERAL_RE = re.compile(r"[〇零一二三四五六七八九十百千]{1,12}")
_LONG_VOWEL_BETWEEN_DIGITS_RE = re.compile(r"ー(?<=\dー)(?=\d)")
_SPACED_DIGITS_RE = re.compile(r"\d(?<!\d\d)\d{0,3}(?: \d{1,4}){4,15}(?!\d)")


# Kanji numerals are read as a number where they stand as one: before 年, 月, 丁目, 番, の …
# (昭和十年三月五日, 一の二の三), after such a separator, or as a run of digits (〇九〇, 一二三四);
# not inside a word or a place name (三男, 一色, 千村).
_NUMBER_FOLLOWS = frozenset("年月日丁番号の時分歳才階回ヶか箇・-.,/ ")
_KANJI_DIGIT_RUN_RE = re.compile(
    "[〇一二三四五六七八九]{3,}|[〇一二三四五六七八九]*〇[〇一二三四五六七八九]*"
)


def _kanji_number(match) -> str | None:
    run, text, start, end = match.group(), match.string, match.start(), match.end()
    if all(c in "〇零" for c in run):
        return None  # 〇〇病院: a placeholder, not a number
    stands_as_number = (
        text[end : end + 1] in _NUMBER_FOLLOWS
        or (
            start >= 2
            and text[start - 1] in "の-・"
            and (text[start - 2].isdigit() or text[start - 2] in _KANJI_DIGITS)
        )
        or (_KANJI_DIGIT_RUN_RE.fullmatch(run) is not None and len(run) >= 2)
    )
    if not stands_as_number:
        return None
    if not any(c in _KANJI_UNITS for c in run):
        return "".join(_KANJI_DIGITS[c] for c in run)  # 一九三五, 〇九〇
    total, current = 0, None
    for c in run:
        if c in _KANJI_UNITS:
            total += (1 if current is None else current) * _KANJI_UNITS[c]
            current = None
        else:
            current = int(_KANJI_DIGITS[c]) + (0 if current is None else current * 10)
    return str(total + (current or 0))


def _join_spaced_digits(match) -> str | None:
    groups = match.group().split(" ")
    if sum(len(group) == 1 for group in groups) < 4:
        return None  # 0463 55 1234 is read as it is
    return "".join(groups)


def _number_view(text: str, origin):
    text, origin = _rewrite(text, origin, _CASE_CODE_RE, lambda m: m.group()[0] + "_" * (len(m.group()) - 1))
    text, origin = _rewrite(text, origin, _KANJI_NUMERAL_RE, _kanji_number)
    text, origin = _rewrite(text, origin, _LONG_VOWEL_BETWEEN_DIGITS_RE, lambda m: "-")
    text, origin = _rewrite(text, origin, _SPACED_DIGITS_RE, _join_spaced_digits)
    return text, origin


# -- numbers: phones, e-mail, dates of birth, addresses, rooms, ids ----------------------

_NUMBER_ENDS = r"(?!\d|[.,]\d)"
# Between the groups of a phone number: - . / space, parentheses around the area code.
_PHONE_SEP = r"(?:\)?[ \-./]{0,2}\(?)"
_PHONE_RE = re.compile(
    r"[(0](?<![\d.,+\-/:][(0])(?:(?<=\()0|(?<=0))\d{0,4}(?:" + _PHONE_SEP + r"\d{1,4}){1,3}" + _NUMBER_ENDS
)
_INTERNATIONAL_PHONE_RE = re.compile(
    r"\+ ?81[ \-.]?(?:\(0\) ?)?\(?\d{1,4}(?:" + _PHONE_SEP + r"\d{1,4}){1,3}" + _NUMBER_ENDS
)
# A cue makes a shorter number a phone number too: TEL 22-3456, 電話 12-3456.
_PHONE_CUE_RE = re.compile(
    r"(?:TEL|Tel|tel|FAX|Fax|fax|電話番号|電話|携帯|ファックス|ファクス|連絡先|自宅|直通)[^\d\n]{0,6}?"
    r"(?P<number>\(?\d{1,4}(?:" + _PHONE_SEP + r"\d{1,4}){1,3})" + _NUMBER_ENDS
)
_MOBILE_PREFIXES = ("050", "070", "080", "090", "0800")
_LOOKS_LIKE_A_DATE_RE = re.compile(r"(?:19|20)\d{2}([/.\-])\d{1,2}\1\d{1,2}(?!\d)|\d{1,2}/\d{1,2}(?!\d)")

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+\-](?<![A-Za-z0-9._%+\-]{2})[A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,6}\.[A-Za-z]{2,24}"
)
# taro(at)example.jp, taro [at] example.com, taro at example.com
_EMAIL_SPELLED_RE = re.compile(
    r"[A-Za-z0-9._%+\-](?<![A-Za-z0-9._%+\-]{2})[A-Za-z0-9._%+\-]{0,63} ?(?:\(at\)|\[at\]| at |アットマーク) ?"
    r"[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,4}\.(?:com|net|org|info|biz|jp)(?![A-Za-z])",
    re.IGNORECASE,
)

_ERAS = {"明治": (1867, 45), "大正": (1911, 15), "昭和": (1925, 64), "平成": (1988, 31), "令和": (2018, 40)}
_ERA_ALIASES = {"明": "明治", "M": "明治", "大": "大正", "T": "大正", "昭": "昭和", "S": "昭和"}
_ERA_ALIASES |= {"平": "平成", "H": "平成", "令": "令和", "R": "令和"}
_MONTH_AND_DAY = r" ?(?:年 ?(?:\([^()]{1,8}\) ?)?|[/.\-] ?)(?P<month>\d{1,2})(?: ?(?:月|[/.\-]) ?(?P<day>\d{1,2})(?: ?日)?| ?月)?(?!\d)"
_ERA_DATE_RE = re.compile(
    # A one-letter era stands on its own: not S inside a word, not 明 of 神明.
    r"(?P<era>明治|大正|昭和|平成|令和|明|大|昭|平|令|M|T|S|H|R|m|t|s|h|r)(?<![A-Za-z][A-Za-z])(?<![\u4e00-\u9fff][明大昭平令])"
    r"\.? ?(?P<eyear>\d{1,2}|元)" + _MONTH_AND_DAY
)
_YEAR_DATE_RE = re.compile(r"(?P<year>1[89]\d{2}|20\d{2})(?<![\d.,/\-]\d{4})" + _MONTH_AND_DAY)
# 昭和10年生まれ: a birth year is finer than the 5-year age band, so with a cue it is refused too.
_ERA_YEAR_RE = re.compile(_ERA_DATE_RE.pattern.removesuffix(_MONTH_AND_DAY) + " ?年")
_YEAR_RE = re.compile(r"(?P<year>1[89]\d{2}|20\d{2})(?<![\d.,/\-]\d{4}) ?年")
# Before the date: 生年月日 1941/03/05, DOB: …, 生：…; after it: 生, 生まれ (but not 生検, 生食…).
_BIRTH_CUE_BEFORE_RE = re.compile(
    r"(?:生年月日|誕生日|生年|出生日?|DOB|D\.O\.B\.?|birth ?(?:day|date)?|生まれ|産まれ|生) ?[:=は]? ?\(? ?$",
    re.IGNORECASE,
)
_BIRTH_CUE_AFTER_RE = re.compile(
    r" ?\)? ?(?:生まれ|うまれ|産まれ|出生|誕生|生(?![検活存理化保命食体着成前後涯徒産]))"
)
# 誕生日 3月5日: a birthday without the year.
_BIRTHDAY_RE = re.compile(
    r"(?:生年月日|誕生日|DOB|[Bb]irthday) ?[:=は]? ?\d{1,2} ?(?:月|/) ?\d{1,2}(?: ?日)?(?!\d)"
)
# A full date this old is a birth date, not an event of the current admission.
_OLD_DATE_YEAR = 1990

_CHOME_RE = re.compile(
    r"\d(?<!\d\d)\d{0,2} ?丁目(?: ?\d{1,4}(?: ?(?:番地?|-|の) ?\d{1,4}(?: ?号)?| ?番地?)?)?"
)
_BANCHI_RE = re.compile(r"\d(?<!\d\d)\d{0,4} ?番地(?: ?の? ?\d{1,4})?(?: ?号)?")
# 203番21: a house number written without 号.
_BAN_NUMBER_RE = re.compile(r"\d(?<!\d\d)\d{0,4}番\d{1,4}(?!\d| ?(?:号室|番|回|目|人|名|線|台|床|時|分))")
_BAN_GO_RE = re.compile(r"\d(?<!\d\d)\d{0,4} ?番 ?\d{1,4} ?号(?!室|棟|車|館|機|線|病)")
_NO_NO_RE = re.compile(r"\d(?<!\d\d)\d{0,3} ?の ?\d{1,4} ?の ?\d{1,4}(?!\d)")
_POSTAL_MARK_RE = re.compile(r"(?:〒|郵便番号 ?[:=]?) ?\d{3}-?\d{4}(?!\d)")
# 254-0012 平塚市: a postal code is read as one when a place name follows it.
_POSTAL_BEFORE_PLACE_RE = re.compile(
    r"\d(?<![\d\-/.:]\d)\d{2}-\d{4}(?!\d)(?= ?[\u4e00-\u9fff々ヶ]{0,6}[都道府県市区町村郡])"
)
_ADDRESS_CUE_RE = re.compile(
    r"(?:現住所|自宅住所|住所|居所|所在地|住居) ?[:=は] ?[^\s、。,;()]{0,20}?\d{1,4}(?:-\d{1,4})*(?: ?(?:番地?|号))?(?!\d)"
)
# 1-2-3, 12-3 and 1234-5 are house numbers after a place name (浅間町1-2-3, 大磯町大磯1234-5).
_HOUSE_NUMBER_RE = re.compile(r"\d(?<![\d\-/.:,A-Za-z]\d)\d{0,3}(?:-\d{1,4}){1,3}" + _NUMBER_ENDS)
# 厚木市上依知1465: a lot number right after the name of a town within a municipality.
_LOT_NUMBER_RE = re.compile(
    r"[市区町村郡](?<=[\u4e00-\u9fff々ヶ][市区町村郡])(?![分販内立民営役場長議外部政在近周全以担出居])"
    r"[\u4e00-\u9fff々ヶ]{1,6}(?P<number>\d{2,5})(?!\d|[.,]\d|-)"
)
_UNIT_AFTER_RE = re.compile(
    r" ?(?:単位|錠|包|本|枚|滴|回|日|時|分|秒|代|mg|ml|mL|g|U|cc|%|カプセル|点|cm|mm|kg|歳|才|度|℃|kcal|Fr|年|月|週"
    r"|か月|ヶ月|L|l|番目|位|名|人|床|件|個|割|倍|段|階|台|部|頭|匹|円|万|週間|時間|cmH2O|mmHg)"
)
_PLACE_RUN_RE = re.compile(r"[\u4e00-\u9fff々ヶケノぁ-ゖァ-ヺー]{1,14}$")
_PLACE_CHAR_RE = re.compile(
    r"(?<=[\u4e00-\u9fff々ヶ])[市区町村郡](?![分販内立民営役場長議外部政])|丁目|大字|字"
)

_ROOM_RES = [
    re.compile(r"\d(?<!\d\d)\d{0,3} ?号室(?: ?[A-Za-z] ?床| ?\d{1,2} ?番? ?(?:ベッド|床))?"),
    re.compile(r"\d(?<!\d\d)\d{2,3} ?号(?![室棟館線車機議証様式])"),
    re.compile(r"病棟 ?\d{3,4}(?!\d| ?(?:床|名|人|件|%|日|分|時|歳|m|号室|円|万))(?: ?[A-Za-z] ?床)?"),
    re.compile(r"\d(?<![A-Za-z\d]\d)\d? ?[F階] ?- ?\d{2,4}(?!\d)(?: ?[A-Za-z] ?床)?"),
    re.compile(r"[A-F](?<![A-Za-z][A-F]) ?床(?![室数頭上位])"),
    re.compile(r"\d(?<!\d\d)\d? ?番 ?(?:ベッド|床)"),
    re.compile(r"(?:ベッド|部屋|病室) ?(?:番号|No\.?)? ?[:=]? ?\d{1,4} ?番?(?![台つ個本人\d]| ?号)"),
]

_ROOM_NEEDS = [("号室",), ("号",), ("病棟",), ("F", "階"), ("床",), ("番",), ("ベッド", "部屋", "病室")]

_LONG_NUMBER_RE = re.compile(r"\d(?<![\d.,]\d)\d{7,}(?![\d,]|\.\d)")
_GROUPED_NUMBER_RE = re.compile(r"\d(?<![\d\-]\d)\d{3}[ \-]\d{4}[ \-]\d{4}(?![\d\-])")
_ID_CUE_RE = re.compile(
    r"(?P<cue>被保険者証?番号|被保険者証|被保険者|保険者番号|保険証番号|保険証|記号・?番号|受給者証?番号|受給者証"
    r"|公費(?:負担者)?番号|負担者番号|患者ID|患者番号|患者No\.?|カルテ番号|カルテNo\.?|カルテ|診察券番号|診察券"
    r"|マイナンバー|個人番号|介護保険番号|被保番号|被保番|利用者番号|利用者ID|入居者番号|院内ID|当院ID|MRN"
    r"|ID(?<![A-Za-z]ID)(?![A-Za-z])|No(?<![A-Za-z]No)\.?(?![A-Za-z])|番号(?<!電話番号)(?<!携帯番号)(?<!FAX番号)(?<!郵便番号)"
    r"(?<!ベッド番号)(?<!部屋番号)(?<!病室番号))"
    r" ?(?:番号|No\.?|#)? ?[:=は#]? ?"
    r"(?P<number>(?:[A-Za-z]{1,3}-?)?\d{1,12}(?:[ \-]\d{1,12}){0,3})(?!\d)"
)
_WEAK_ID_CUES = ("番号", "No")
_SYMBOL_AND_NUMBER_RE = re.compile(r"記号 ?[:=]? ?[\dA-Za-z\-]{1,10} ?[・,、]? ?番号 ?[:=]? ?\d{1,10}")
# 介護保険 0012345678: an insurance word needs a long number after it (介護保険 2割 is fine).
_INSURANCE_RE = re.compile(
    r"(?:介護保険|医療保険|健康保険|国民健康保険|国保|社保|後期高齢者医療|後期高齢|協会けんぽ|保険)(?:被保険者)?証?(?:番号)?"
    r" ?[:=は]? ?\d{6,}(?!\d| ?円)"
)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _is_phone_number(digits: str) -> bool:
    if len(digits) == 10:
        return digits[1] != "0"
    return len(digits) == 11 and digits.startswith(_MOBILE_PREFIXES)


def _year_of(match) -> int | None:
    if "era" not in match.re.groupindex:
        return int(match["year"])
    era = _ERA_ALIASES.get(match["era"].upper(), match["era"])
    base, last_year = _ERAS[era]
    era_year = 1 if match["eyear"] == "元" else int(match["eyear"])
    return base + era_year if 1 <= era_year <= last_year else None


def _birth_cue(view, match):
    """The end of the birth cue after `match` (生まれ), its end itself for a cue before it, or None."""
    cue_after = _BIRTH_CUE_AFTER_RE.match(view, match.end())
    if cue_after:
        return cue_after.end()
    if _BIRTH_CUE_BEFORE_RE.search(view, max(0, match.start() - 14), match.start()):
        return match.end()
    return None


def _birth_dates(view):
    for match in itertools.chain(_ERA_DATE_RE.finditer(view), _YEAR_DATE_RE.finditer(view)):
        year = _year_of(match)
        month = int(match["month"])
        day = int(match["day"]) if match["day"] else None
        if year is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            continue
        cue_end = _birth_cue(view, match)
        if cue_end is not None:
            yield match.start(), cue_end
        elif day is not None and year < _OLD_DATE_YEAR:
            yield match.start(), match.end()
    for match in itertools.chain(_ERA_YEAR_RE.finditer(view), _YEAR_RE.finditer(view)):
        cue_end = _birth_cue(view, match)
        if cue_end is not None and _year_of(match) is not None:
            yield match.start(), cue_end
    for match in _BIRTHDAY_RE.finditer(view):
        yield match.start(), match.end()


def _is_house_number(view, match) -> bool:
    if _UNIT_AFTER_RE.match(view, match.end()):
        return False
    start = match.start()
    if start and view[start - 1] == " ":
        start -= 1
    run = _PLACE_RUN_RE.search(view, max(0, start - 14), start)
    if run is None:
        return False
    if _PLACE_CHAR_RE.search(run.group()):
        return True
    # 鵠沼1-2-3: three numbers straight after a kanji name, when they are not a dose (注4-4-4).
    return (
        match.group().count("-") >= 2
        and start == match.start()
        and "\u4e00" <= view[start - 1] <= "\u9fff"
        and view[start - 1] not in "注夕食前後剤量錠"
    )


# Each rule reports at most this many findings: a text with more is refused all the same,
# and the cap keeps a text made of nothing but matches as cheap as any other.
_MAX_FINDINGS_PER_RULE = 50
_DIGIT_RE = re.compile(r"\d")
_SPELLED_AT_RE = re.compile(r"\(at\)|\[at\]| at |アットマーク", re.IGNORECASE)


def _matches(regex, view, *needed):
    """Matches of `regex`, or none at all when `view` holds none of the `needed` strings."""
    if needed and not any(word in view for word in needed):
        return ()
    return regex.finditer(view)


def _emails(view):
    for match in _matches(_EMAIL_RE, view, "@"):
        yield EMAIL, match.start(), match.end()
    if _SPELLED_AT_RE.search(view):
        for match in _EMAIL_SPELLED_RE.finditer(view):
            yield EMAIL, match.start(), match.end()


def _phones(view):
    for match in _PHONE_RE.finditer(view):
        if _is_phone_number(_digits(match.group())):
            yield PHONE, match.start(), match.end()
    for match in _matches(_INTERNATIONAL_PHONE_RE, view, "+"):
        digits = _digits(match.group())[2:].removeprefix("0")
        if 9 <= len(digits) <= 10:
            yield PHONE, match.start(), match.end()
    for match in _PHONE_CUE_RE.finditer(view):
        number = match.group("number")
        if 6 <= len(_digits(number)) <= 11 and not _LOOKS_LIKE_A_DATE_RE.match(number):
            yield PHONE, match.start("number"), match.end("number")


def _birth_date_findings(view):
    for start, end in _birth_dates(view):
        yield BIRTH_DATE, start, end


def _addresses(view):
    for regex, needed in [
        (_CHOME_RE, ("丁目",)),
        (_BANCHI_RE, ("番地",)),
        (_BAN_GO_RE, ("号",)),
        (_BAN_NUMBER_RE, ("番",)),
        (_NO_NO_RE, ("の",)),
        (_POSTAL_MARK_RE, ("〒", "郵便番号")),
        (_POSTAL_BEFORE_PLACE_RE, ("-",)),
        (_ADDRESS_CUE_RE, ("住所", "居所", "所在地", "住居")),
    ]:
        for match in _matches(regex, view, *needed):
            yield ADDRESS, match.start(), match.end()
    for match in _matches(_HOUSE_NUMBER_RE, view, "-"):
        if _is_house_number(view, match):
            yield ADDRESS, match.start(), match.end()
    for match in _LOT_NUMBER_RE.finditer(view):
        if not _UNIT_AFTER_RE.match(view, match.end()):
            yield ADDRESS, match.start("number"), match.end("number")


def _rooms(view):
    for regex, needed in zip(_ROOM_RES, _ROOM_NEEDS, strict=True):
        for match in _matches(regex, view, *needed):
            start = match.start()
            if view[max(0, start - 2) : start] in ("国道", "県道") or view[start - 1 : start] == "第":
                continue  # 国道134号, 第1234号
            yield ROOM, start, match.end()


def _compact_date_year(number: str) -> int | None:
    """The year of 20260105 or 19350305 written as one number, or None when it is no date."""
    if len(number) != 8 or number[:2] not in ("19", "20"):
        return None
    month, day = int(number[4:6]), int(number[6:])
    return int(number[:4]) if 1 <= month <= 12 and 1 <= day <= 31 else None


def _id_numbers(view):
    for match in _LONG_NUMBER_RE.finditer(view):
        if _UNIT_AFTER_RE.match(view, match.end()) or view[match.start() - 1 : match.start()] == "¥":
            continue
        year = _compact_date_year(match.group())
        if year is None:
            yield ID_NUMBER, match.start(), match.end()
        elif year < _OLD_DATE_YEAR:
            yield BIRTH_DATE, match.start(), match.end()  # 19350305: as old as a birth date
    for match in _GROUPED_NUMBER_RE.finditer(view):
        yield ID_NUMBER, match.start(), match.end()


def _cued_id_numbers(view):
    # A cue decides: 介護保険 0012345678 is an insurance number, not a phone number.
    for match in _ID_CUE_RE.finditer(view):
        number = match.group("number")
        needed = 4 if match.group("cue").startswith(_WEAK_ID_CUES) else 3
        if len(_digits(number)) >= needed and not _LOOKS_LIKE_A_DATE_RE.match(view, match.start("number")):
            if not _DATE_GOES_ON_RE.match(view, match.end()):
                yield ID_NUMBER, match.start(), match.end()
    for regex, needed in [
        (_SYMBOL_AND_NUMBER_RE, ("記号",)),
        (_INSURANCE_RE, ("保険", "国保", "社保", "けんぽ", "後期高齢")),
    ]:
        for match in _matches(regex, view, *needed):
            yield ID_NUMBER, match.start(), match.end()


_DATE_GOES_ON_RE = re.compile(r"[/年月.]\d")
# Rules of the number view, each with the rank that orders overlapping findings.
_NUMBER_RULES = [
    (_emails, PRIORITY.index(EMAIL)),
    (_phones, PRIORITY.index(PHONE)),
    (_birth_date_findings, PRIORITY.index(BIRTH_DATE)),
    (_addresses, PRIORITY.index(ADDRESS)),
    (_rooms, PRIORITY.index(ROOM)),
    (_id_numbers, PRIORITY.index(ID_NUMBER)),
    (_cued_id_numbers, 0.5),
]


def _number_findings(view):
    """(kind, start, end, rank) in the number view."""
    if not _DIGIT_RE.search(view):
        yield from ((kind, start, end, PRIORITY.index(EMAIL)) for kind, start, end in _emails(view))
        return
    for rule, rank in _NUMBER_RULES:
        for kind, start, end in itertools.islice(rule(view), _MAX_FINDINGS_PER_RULE):
            yield kind, start, end, rank


# -- names -------------------------------------------------------------------------------

_K = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
_KA = "\u30a1-\u30fa\u30fc\u30fd\u30fe\u3099\u309a"
_HI = "\u3041-\u3096\u309d\u309e"
_KANJI_RE = re.compile(f"[{_K}]")
_KATAKANA_RE = re.compile(f"[{_KA}]")
_HIRAGANA_RE = re.compile(f"[{_HI}]")
_LATIN_RE = re.compile("[A-Za-z]")
_HIRAGANA_ONLY_RE = re.compile(f"[{_HI}]+")

# Honorifics that follow a name; each with what follows it when it is something else.
# Not straight after another honorific (様様), nor after the last character of a role or a
# place (看護師さん, 整形外科さん): re skips those without a call into Python.
_AFTER_HONORIFIC = "(?<![様氏殿君{1}]{0})(?<!さん{0})(?<!さま{0})(?<!くん{0})(?<!ちゃん{0})"
_HONORIFIC_RE = re.compile(
    "|".join(
        word + _AFTER_HONORIFIC.format(word, "".join(sorted(words.ROLE_ENDINGS))) + not_followed_by
        for word, not_followed_by in [
            ("様", "(?![子式態相々]|変わり)"),
            ("さま", "(?!ざ|よ|がわ)"),
            ("さん", ""),
            ("氏", "(?!名)"),
            ("殿", f"(?![{_K}])"),
            ("君", f"(?![{_K}])"),
            ("くん", ""),
            ("ちゃん", ""),
        ]
    )
)
# After さん only particles follow a name (さんが, さんから); さんぽ, さんそ are words.
_AFTER_SAN = tuple(
    "が の は に へ と も や よ から まで で だ な ら たち ね っ けど こそ さえ しか ほか より 達".split()
)

_KANJI_TAIL_RE = re.compile(f"(?:[{_K}]{{1,6}} )?[{_K}]{{1,10}}$")
_KATAKANA_TAIL_RE = re.compile(f"[{_KA}](?:[{_KA}]|[ ・](?=[{_KA}])){{0,15}}$")
_HIRAGANA_TAIL_RE = re.compile(f"[{_HI}]{{1,10}}$")
_LATIN_TAIL_RE = re.compile(r"[A-Za-z](?:[A-Za-z'\-]|[ .](?=[A-Za-z])){0,30}$")
# What stands before a name up to a space or a punctuation mark, in any script.
_STRETCH_RE = re.compile(f"[{_K}{_KA}{_HI}A-Za-z]{{1,12}}$")

_PERSON_OR_PLACE = words.PERSON_ROLES | words.PLACE_WORDS
# Short words in hiragana (とう, まご) end many names (さとう): those count only as the whole run.
_SHORT_KANA = frozenset(
    w for w in words.NOT_NAMES if _HIRAGANA_ONLY_RE.fullmatch(w) and len(w) < 4 and w[0] not in "おご"
)
_NOT_A_NAME_ENDING = frozenset(w for w in words.NOT_NAMES | _PERSON_OR_PLACE if len(w) >= 2) - _SHORT_KANA
_NOT_A_NAME_WHOLE = words.WHOLE_WORD_ONLY | frozenset(
    w for w in words.NOT_NAMES | _PERSON_OR_PLACE if len(w) == 1
)
_KATAKANA_NOT_NAMES = words.PERSON_ROLES_KATAKANA | words.PLACE_WORDS_KATAKANA
_KATAKANA_PLACE_PARTS = [w for w in words.PLACE_WORDS_KATAKANA if len(w) >= 3]
_PLACES_ANY_SCRIPT = frozenset(w for w in words.PLACE_WORDS | words.PLACE_WORDS_KATAKANA if len(w) >= 2)


def _ends_with_any(text: str, vocabulary: frozenset, longest: int = 10) -> bool:
    # One set lookup per suffix of the (short) text, not one comparison per word.
    return any(text[-length:] in vocabulary for length in range(1, min(len(text), longest) + 1))


def _strip_leading_words(run: str) -> str:
    """本日木村 → 木村, 長男健一 → 健一: words that stand before a name without a separator."""
    for _round in range(4):
        for length in range(min(5, len(run) - 1), 0, -1):
            if run[:length] in words.LEADING_WORDS:
                run = run[length:]
                break
        else:
            break
    return run


def _stretch_before(view, position) -> str:
    match = _STRETCH_RE.search(view, max(0, position - 12), position)
    return _after_last_honorific(match.group()) if match else ""


def _after_last_honorific(run: str) -> str:
    """山田様田中 → 田中: a run before an honorific starts after the one before it."""
    cut = max(run.rfind(c) for c in "様氏殿君")
    return run[cut + 1 :] if cut >= 0 else run


_KANA_BEFORE_RE = re.compile(f"(?:[{_HI}]{{1,3}}|[{_KA}]{{1,3}})$")


def _kanji_name(view, end):
    match = _KANJI_TAIL_RE.search(view, max(0, end - 18), end)
    run = _after_last_honorific(match.group())
    if not run or run.startswith(" "):
        return None
    start = end - len(run)
    family, _, given = run.rpartition(" ")
    if family and (_ends_with_any(family, _PERSON_OR_PLACE) or family in words.LEADING_WORDS):
        start, family = end - len(given), ""  # 長男 博さん: the role is not part of the name
    core = _strip_leading_words(given)
    if not family:
        start = end - len(core)
    if len(core) == 1 and core in words.GIVEN_NAME_ENDINGS:
        kana = _KANA_BEFORE_RE.search(view, max(0, start - 3), start)
        # ふみ子さん, キヨ子様: a given name in kana with a kanji ending (not お子様, なでしこの里様).
        if kana and kana.group() not in ("お", "ご") and not kana.group().endswith("の"):
            return kana.start()
    if (
        core in _NOT_A_NAME_WHOLE
        or core in words.PERSON_ROLES
        or _ends_with_any(core, _NOT_A_NAME_ENDING)
        or core[-1] in words.ROLE_ENDINGS
        or (core[-1] in "町村" and len(core) >= 3)
        or (core[-1] == "屋" and (len(core) >= 3 or core in words.SHOP_WORDS))
    ):
        return None
    before = view[start - 1] if start else ""
    if before == "の" and core[-1] in words.FACILITY_AFTER_NO and len(core) <= 2:
        # なでしこの里様 is a facility; 長女の森さん is a person.
        owner = _stretch_before(view, start - 1)
        if not _ends_with_any(owner, words.PERSON_ROLES):
            return None
    elif before and _KATAKANA_RE.match(before):
        # ケアパーク平塚様 is a facility; ケアマネ田中さん is a person.
        if not _ends_with_any(_stretch_before(view, start), words.PERSON_ROLES_KATAKANA):
            return None
    elif before and _LATIN_RE.match(before):
        latin = re.search(r"[A-Za-z]{1,10}$", view[max(0, start - 10) : start]).group()
        if latin.lower() not in words.PERSON_ROLES_LATIN:
            return None
    return start


def _katakana_name(view, end):
    match = _KATAKANA_TAIL_RE.search(view, max(0, end - 24), end)
    run = match.group()
    compact = run.replace(" ", "").replace("・", "")
    if len(compact.replace("ー", "")) < 2 or _ends_with_any(compact, _KATAKANA_NOT_NAMES, 14):
        return None
    if any(part in compact for part in _KATAKANA_PLACE_PARTS):
        return None
    if _ends_with_any(_stretch_before(view, match.start()), _PLACES_ANY_SCRIPT):
        return None
    return match.start()


def _hiragana_name(view, end):
    match = _HIRAGANA_TAIL_RE.search(view, max(0, end - 10), end)
    start, run = match.start(), match.group()
    if len(run) >= 4 and run[0] in "のはがをにへとでもや":
        start, run = start + 1, run[1:]
    if len(run) < 2 or _ends_with_any(run, _NOT_A_NAME_ENDING) or run in _NOT_A_NAME_WHOLE | _SHORT_KANA:
        return None
    if run in words.FACILITY_NAMES_KANA or match.group() in words.FACILITY_NAMES_KANA:
        return None  # ひまわり様: a facility called by its name
    if _ends_with_any(_stretch_before(view, match.start()), _PLACES_ANY_SCRIPT):
        return None  # グループホームひだまり様, 老健あおば様
    return start


def _latin_name(view, end):
    match = _LATIN_TAIL_RE.search(view, max(0, end - 32), end)
    last = match.group().split()[-1].strip(".'-")
    if len(last) < 2 or last.lower() in words.PERSON_ROLES_LATIN:
        return None  # A氏 is how a case is made anonymous; MSWさん is a role
    if last.isupper() and len(last) <= 4 and _romaji_key(last) not in _FAMILY_ROMAJI:
        return None  # an abbreviation: ADLさん
    return match.start()


_NAME_BY_SCRIPT = [
    (_KANJI_RE, _kanji_name),
    (_KATAKANA_RE, _katakana_name),
    (_HIRAGANA_RE, _hiragana_name),
    (_LATIN_RE, _latin_name),
]


# An honorific takes two characters with the one before it, so no text the validator reads
# (GUARD_MAX_LENGTH) holds more contexts than this; the bound only keeps find_personal_data()
# fast on any longer text given to it directly.
_MAX_CONTEXTS_JUDGED = GUARD_MAX_LENGTH // 2
# The longest look back of a judgement: a kanji name (18) and the facility kind before it (24).
_CONTEXT_LENGTH = 48


def _honorific_names(view):
    # The same few words stand before most honorifics of a text (患者様, 長女さん): each
    # distinct context is judged once.
    judged = {}
    for match in _HONORIFIC_RE.finditer(view):
        honorific = match.group()
        after = view[match.end() : match.end() + 2]
        if honorific == "さん" and after and _HIRAGANA_RE.match(after) and not after.startswith(_AFTER_SAN):
            continue  # さんぽ, さんそ
        end = match.start()
        for _space in range(2):  # 山田 様
            if end and view[end - 1] == " ":
                end -= 1
        if not end:
            continue
        # Everything the judgement reads lies within this many characters before the honorific.
        context = (
            view[max(0, end - _CONTEXT_LENGTH) : end],
            honorific == "ちゃん" and after.startswith("と"),
        )
        if context not in judged:
            if len(judged) >= _MAX_CONTEXTS_JUDGED:
                return
            judged[context] = _name_before_honorific(view, end, context[1])
        start = judged[context]
        if start is not None:
            yield end - start, match.end()


def _name_before_honorific(view, end, chan_to):
    """How far before `end` the name before an honorific starts, or None when it is no name."""
    stretch = _stretch_before(view, end)
    if stretch and _ends_with_any(stretch, _NOT_A_NAME_ENDING) and not _KATAKANA_RE.match(stretch[-1]):
        return None  # お疲れ様, 長女様, 特養さん, 整形外科さん
    if chan_to and len(_strip_leading_words(stretch)) < 2:
        return None  # 朝ちゃんと食べる
    for script, name_before in _NAME_BY_SCRIPT:
        if script.match(view[end - 1]):
            start = name_before(view, end)
            if start is None or _names_a_facility(view, start, end):
                return None
            return end - start
    return None


# The kind of a facility, written before its proper name: 特別養護老人ホーム　あしたば,
# 介護老人保健施設 さくら, あやめの郷　座間, ホームステーションらいふ二俣川.
_FACILITY_KIND_RE = re.compile("|".join(sorted(words.FACILITY_KINDS, key=len, reverse=True)))
_SAME_NAME_RE = re.compile(r"[^、。,.!?()「」『』\n]{1,24}$")


def _names_a_facility(view, start, end) -> bool:
    """Whether the name before an honorific is the proper name of a facility written after its kind.

    Right after の it stays a person's name: 特養入所中の山田様.
    """
    last_run = start + view[start:end].rfind(" ") + 1
    if view[last_run - 1 : last_run] == "の":
        return False
    before = _SAME_NAME_RE.search(view, max(0, last_run - 24), last_run)
    return before is not None and _FACILITY_KIND_RE.search(before.group()) is not None


# Romaji: Taro Yamada, YAMADA Taro, Mr. Suzuki, Yamada-san.
_ROMAJI_SYLLABLES_RE = re.compile(
    r"(?:(?:sh|ch|ts|[kgsztdnhbpmrfjwyv])?y?[aeiou]|n|k(?=k)|s(?=s)|t(?=t|ch)|p(?=p)|c(?=ch)|m(?=[bmp]))+"
)
_ROMAJI_SPELLINGS = {"ā": "a", "ī": "i", "ū": "u", "ē": "e", "ō": "o", "â": "a", "ô": "o", "û": "u"}
_ROMAJI_SPELLINGS |= {"oh": "o", "ou": "o", "oo": "o", "uu": "u", "m": "n"}
_ROMAJI_SPELLING_RE = re.compile("[āīūēōâôû]|oh(?![aeiouy])|ou|oo|uu|m(?=[bmp])")


@functools.lru_cache(maxsize=4096)
def _romaji_key(word: str) -> str:
    """A romaji word without its long vowels, so that Satō, Satoh, Satou and SATO compare equal."""
    return _ROMAJI_SPELLING_RE.sub(lambda m: _ROMAJI_SPELLINGS[m.group()], word.lower())


@functools.lru_cache(maxsize=4096)
def _is_romaji(word: str) -> bool:
    return len(word) >= 2 and _ROMAJI_SYLLABLES_RE.fullmatch(_romaji_key(word)) is not None


_FAMILY_ROMAJI = frozenset(_romaji_key(romaji) for _kanji, romaji in words.FAMILY_NAMES)
_WORD = r"(?:[A-Z][a-z]{1,14}|[A-Z]{2,15})"
_WORD_START = r"[A-Z](?<![A-Za-z][A-Z])"
# Each pair of words, overlapping: the first letter is read, the rest of both words looked ahead.
_ROMAJI_PAIR_RE = re.compile(rf"{_WORD_START}(?=([a-z]{{1,14}}|[A-Z]{{1,14}}),? ({_WORD})(?![A-Za-z]))")
_ROMAJI_TITLE_RE = re.compile(r"M(?<![A-Za-z]M)(?:rs|r|s|iss|x)\.? ?[A-Z][A-Za-z'\-]{1,20}")
_ROMAJI_HONORIFIC_RE = re.compile(
    rf"({_WORD_START}(?:[a-z]{{1,14}}|[A-Z]{{1,14}}))[ \-]?(?:san|sama|chan|kun|dono|SAN|SAMA)(?![A-Za-z])"
)


def _romaji_names(view):
    for match in _ROMAJI_PAIR_RE.finditer(view):
        first, second = match.group()[0] + match.group(1), match.group(2)
        if not (_is_romaji(first) and _is_romaji(second)):
            continue
        if _romaji_key(first) in _FAMILY_ROMAJI or _romaji_key(second) in _FAMILY_ROMAJI:
            yield (
                match.start(),
                match.start() + len(first) + 1 + len(second) + (view[match.start() + len(first)] == ","),
            )
    for match in _ROMAJI_TITLE_RE.finditer(view):
        yield match.start(), match.end()
    for match in _ROMAJI_HONORIFIC_RE.finditer(view):
        if match.group(1).lower() not in words.PERSON_ROLES_LATIN:
            yield match.start(), match.end()


# Kana → romaji, to compare a name in katakana (ヤマダ) with the romaji of family names.
_KANA_SYLLABLES = dict(
    zip(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
        "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ",
        "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho ma mi mu me mo "
        "ya yu yo ra ri ru re ro wa o n ga gi gu ge go za ji zu ze zo da ji zu de do ba bi bu be bo pa pi pu pe po "
        "vu".split(),
        strict=True,
    )
)
_SMALL_KANA = {"ャ": "ya", "ュ": "yu", "ョ": "yo", "ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o"}


def _kana_romaji(kana: str) -> str | None:
    out, double = [], False
    for char in kana:
        if "\u3041" <= char <= "\u3096":
            char = chr(ord(char) + 0x60)  # hiragana → katakana
        if char == "ッ":
            double = True
            continue
        if char == "ー":
            continue
        if char in _SMALL_KANA and out:
            prev = out.pop()
            small = _SMALL_KANA[char]
            out.append(prev[:-1] + small if prev.endswith("i") and small[0] == "y" else prev[:-1] + small)
            if prev in ("shi", "chi", "ji") and small[0] == "y":
                out[-1] = prev[:-1] + small[1:]
            continue
        syllable = _KANA_SYLLABLES.get(char)
        if syllable is None:
            return None
        if double and syllable[0] not in "aeioun":
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
        double = False
        out.append(syllable)
    return "".join(out)


_KANA_FULL_NAME_RE = re.compile(f"([{_KA}](?<![{_KA}][{_KA}])[{_KA}]{{2,7}})[ ・]([{_KA}]{{2,8}})(?![{_KA}])")


def _trie_pattern(vocabulary) -> str:
    """One alternative per first character (山(?:田|本|口)…), so that re tries few of them at a time."""
    by_first = {}
    for word in vocabulary:
        by_first.setdefault(word[0], []).append(word[1:])
    alternatives = []
    for first, rests in sorted(by_first.items()):
        rests = sorted(rests, key=len, reverse=True)
        alternatives.append(re.escape(first) + "(?:" + "|".join(map(re.escape, rests)) + ")")
    return "(?:" + "|".join(alternatives) + ")"


_FAMILY_KANJI = {kanji for kanji, _romaji in words.FAMILY_NAMES if len(kanji) >= 2}
_KANJI_FULL_NAME_RE = re.compile(_trie_pattern(_FAMILY_KANJI) + f"( ?)([{_K}]{{1,3}})(?![{_K}])")


def _full_names(view):
    """Names written without an honorific: 山田太郎 80代, 渡辺 正男, ヤマダ タロウ."""
    for match in _KANJI_FULL_NAME_RE.finditer(view):
        given = match.group(2)
        if given[-1] in words.GIVEN_NAME_ENDINGS and given not in _PERSON_OR_PLACE:
            if not _KATAKANA_RE.match(view, match.end()):  # 豊田敬愛ホーム is a facility
                yield match.start(), match.end()
    for match in _KANA_FULL_NAME_RE.finditer(view):
        family, given = match.group(1), match.group(2)
        romaji = _kana_romaji(family)
        if (
            romaji
            and _romaji_key(romaji) in _FAMILY_ROMAJI
            and not _ends_with_any(given, _KATAKANA_NOT_NAMES, 8)
        ):
            yield match.start(), match.end()


# 氏名：山田太郎, 患者名 高橋 和子, 本人(中村), Name: Taro Yamada.
_NAME_WORD = f"(?:[{_K}]{{1,6}}|[{_KA}]{{2,10}}|[{_HI}]{{2,10}}|[A-Za-z][A-Za-z'\\-]{{1,20}})"
_NAME_WORD_NEXT = f"(?:[{_K}]{{1,6}}|[{_KA}]{{1,10}}|[{_HI}]{{1,10}}|[A-Za-z][A-Za-z'\\-]{{1,20}})"
_LABEL_RE = re.compile(
    r"(?P<label>患者氏名|利用者氏名|入居者氏名|入所者氏名|対象者氏名|本人氏名|カナ氏名|患者名|利用者名|入居者名|入所者名"
    r"|対象者名|氏名|お名前|名前|フリガナ|ふりがな|Name|NAME|name|本人|患者|利用者|入居者|入所者|Patient|patient|Pt|pt)"
    r"(?P<sep> ?[:=] ?| ?\( ?| +|は)"
    f"(?P<token>{_NAME_WORD}(?:[ ・]?{_NAME_WORD_NEXT})?)"
)
_AFTER_NAME_IN_SENTENCE_RE = re.compile(r"$|[。、,.\s)]|です|でした|と(?:申|言|いい|いう)|様|さん|氏")


# Labels that also start ordinary notes (患者：80代女性): a name must look like one after them.
_WEAK_LABELS = ("患者", "利用者", "入居者", "入所者", "Patient", "patient", "Pt", "pt")
_FAMILY_THEN_GIVEN_RE = re.compile(
    f"([{_K}]{{1,3}})[ ・]?(?:([{_KA}]{{2,3}})|[{_HI}]{{2,3}}|([{_K}]{{1,3}}))"
)


def _looks_like_a_name(token: str) -> bool:
    """岩佐 トシ, 山田太郎, ヤマダ タロウ: a family name followed by a given name."""
    if any(token.startswith(family) for family in _FAMILY_KANJI):
        return True
    match = _FAMILY_THEN_GIVEN_RE.fullmatch(token)
    if match is None or " " not in token and "・" not in token:
        return False
    katakana, kanji = match.group(2), match.group(3)
    if katakana is not None:
        return katakana not in _KATAKANA_NOT_NAMES
    return kanji is None or kanji[-1] in words.GIVEN_NAME_ENDINGS


def _labelled_names(view):
    for match in _LABEL_RE.finditer(view):
        label, sep, token = match.group("label"), match.group("sep").strip(), match.group("token")
        if label in ("本人", "Name", "NAME", "name", *_WEAK_LABELS) and sep not in (":", "=", "("):
            continue  # 本人 希望, 患者 80代: the person, not a label
        if label in _WEAK_LABELS and not _looks_like_a_name(token):
            continue
        if sep == "(" and not view.startswith(")", match.end()):
            continue
        if sep == "は" and not _AFTER_NAME_IN_SENTENCE_RE.match(view, match.end()):
            continue  # 氏名は院内で管理
        if any(token.startswith(word) for word in words.NOT_A_NAME_AFTER_LABEL) or token in _PERSON_OR_PLACE:
            continue
        yield match.start(), match.end()


def _name_findings(view):
    for rule in (_honorific_names, _romaji_names, _full_names, _labelled_names):
        yield from itertools.islice(rule(view), _MAX_FINDINGS_PER_RULE)


# -- all together ------------------------------------------------------------------


def _without_overlaps(candidates):
    """The candidates, best first, that overlap no better one; in order of position.

    The accepted spans never overlap, so they stay sorted by start and end alike and each
    candidate is compared with its two neighbours only.
    """
    starts, accepted = [], []
    for kind, start, end, *_rank in candidates:
        index = bisect.bisect_left(starts, start)
        if index < len(accepted) and accepted[index][1] < end:
            continue
        if index > 0 and start < accepted[index - 1][2]:
            continue
        starts.insert(index, start)
        accepted.insert(index, (kind, start, end))
    return accepted


def _in_original(origin, start, end):
    if origin is None:
        return start, end
    return origin[start], origin[end - 1] + 1


def find_personal_data(text: str) -> list[Finding]:
    """What in `text` looks like personal data, in order of appearance.

    Every finding carries its kind, the matched text as written and its span in the
    original text; overlapping matches are reported once, as the most specific kind.
    """
    if not text:
        return []
    view, view_origin = _normalise(text)
    numbers, numbers_origin = _number_view(view, view_origin)
    candidates = []
    for kind, start, end, rank in _number_findings(numbers):
        candidates.append((kind, *_in_original(numbers_origin, *_trimmed(numbers, start, end)), rank))
    for start, end in _name_findings(view):
        candidates.append(
            (NAME, *_in_original(view_origin, *_trimmed(view, start, end)), PRIORITY.index(NAME))
        )
    accepted = _without_overlaps(sorted(candidates, key=lambda c: (c[3], c[1], -c[2])))
    return [Finding(kind=kind, text=text[start:end], span=(start, end)) for kind, start, end in accepted]


def _trimmed(view, start, end):
    while start < end and view[start] == " ":
        start += 1
    while end > start and view[end - 1] == " ":
        end -= 1
    return start, end


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
