"""Template helpers shared by every page: Japanese dates and vacancy freshness.

Load with {% load tsunagu_tags %}.
"""

from django import template
from django.conf import settings

from tsunagu.facilities.models import stale_before
from tsunagu.lib import japanese_dates
from tsunagu.network.models import CareLevel

register = template.Library()


@register.filter
def jdate(value):
    """{{ value|jdate }} → 2026年11月21日(土)"""
    return japanese_dates.japanese_date(value)


@register.filter
def jdatetime(value):
    """{{ value|jdatetime }} → 2026年11月21日(土) 14:05"""
    return japanese_dates.japanese_datetime(value)


@register.filter
def relative_day(value):
    """{{ value|relative_day }} → 本日 / 昨日 / 3日前"""
    return japanese_dates.relative_day(value)


@register.filter
def yen(value):
    """{{ 150000|yen }} → 15.0万円; amounts of care homes are read in 万円."""
    if value in (None, ""):
        return ""
    man = value / 10000
    return f"{man:.1f}万円" if man % 1 else f"{int(man)}万円"


@register.filter
def care_level_labels(levels):
    """Labels of CareLevel values, in catalogue order."""
    labels = dict(CareLevel.choices)
    return [labels[level] for level in levels if level in labels]


@register.inclusion_tag("facilities/_freshness.html")
def freshness(updated_at):
    """The freshness badge of a vacancy: 本日更新 / 2日前 / 3日以上未更新 / 未更新."""
    days = japanese_dates.days_ago(updated_at)
    return {
        "updated_at": updated_at,
        "days": days,
        # The same rule as Vacancy.is_stale, so a badge never disagrees with the search.
        "stale": updated_at is None or updated_at < stale_before(),
        "stale_days": settings.VACANCY_STALE_DAYS,
    }
