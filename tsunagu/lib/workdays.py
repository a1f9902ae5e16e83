"""Working days in Japan: weekends and the national holidays (国民の祝日) of 2026–2027.

Reply deadlines default to the next working day at 17:00 Japan time. The holiday table is
small on purpose; years outside it fall back to skipping weekends only.
Source: 内閣府「国民の祝日について」 (substitute holidays 振替休日 and 国民の休日 included).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
DEADLINE_TIME = time(17, 0)

HOLIDAYS = {
    date(2026, 1, 1),
    date(2026, 1, 12),
    date(2026, 2, 11),
    date(2026, 2, 23),
    date(2026, 3, 20),
    date(2026, 4, 29),
    date(2026, 5, 3),
    date(2026, 5, 4),
    date(2026, 5, 5),
    date(2026, 5, 6),
    date(2026, 7, 20),
    date(2026, 8, 11),
    date(2026, 9, 21),
    date(2026, 9, 22),
    date(2026, 9, 23),
    date(2026, 10, 12),
    date(2026, 11, 3),
    date(2026, 11, 23),
    date(2027, 1, 1),
    date(2027, 1, 11),
    date(2027, 2, 11),
    date(2027, 2, 23),
    date(2027, 3, 21),
    date(2027, 3, 22),
    date(2027, 4, 29),
    date(2027, 5, 3),
    date(2027, 5, 4),
    date(2027, 5, 5),
    date(2027, 7, 19),
    date(2027, 8, 11),
    date(2027, 9, 20),
    date(2027, 9, 23),
    date(2027, 10, 11),
    date(2027, 11, 3),
    date(2027, 11, 23),
}


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def next_working_day(day: date) -> date:
    """The first working day strictly after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def default_reply_deadline(now: datetime) -> datetime:
    """17:00 (Japan time) of the next working day after `now`."""
    today = now.astimezone(JST).date()
    return datetime.combine(next_working_day(today), DEADLINE_TIME, tzinfo=JST)
