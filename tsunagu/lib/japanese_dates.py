"""Dates as Japanese readers expect them: 2026年11月21日(土) 14:05, 「3日前」.

Under another interface language (English) the same helpers give that language's
format through Django's localisation: "Sat 21 Nov 2026 14:05".
"""

from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

# Monday first, as datetime.weekday() counts.
WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _japanese() -> bool:
    return (get_language() or "ja").startswith("ja")


def japanese_date(value) -> str:
    """2026年11月21日(土); empty for None."""
    if value is None:
        return ""
    value = _local(value)
    if not _japanese():
        return formats.date_format(value, "D j M Y")
    return f"{value.year}年{value.month}月{value.day}日({WEEKDAYS[value.weekday()]})"


def japanese_datetime(value) -> str:
    """2026年11月21日(土) 14:05 in the site's time zone; empty for None."""
    if value is None:
        return ""
    value = _local(value)
    if not isinstance(value, datetime):
        return japanese_date(value)
    return f"{japanese_date(value)} {value:%H:%M}"


def days_ago(value, today: date | None = None) -> int | None:
    """Whole calendar days between the value's local date and today (0 = today)."""
    if value is None:
        return None
    value = _local(value)
    day = value.date() if isinstance(value, datetime) else value
    today = today or timezone.localdate()
    return (today - day).days


def relative_day(value, today: date | None = None) -> str:
    """「本日」「昨日」「3日前」; a future date reads as its date."""
    days = days_ago(value, today)
    if days is None:
        return ""
    if days <= 0:
        return _("本日") if days == 0 else japanese_date(value)
    if days == 1:
        return _("昨日")
    return ngettext("%(days)d日前", "%(days)d日前", days) % {"days": days}
