"""Table-driven tests of the pure schedule code: cron fields, English phrases, durations, next fire."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from services.scheduler.cron import CronError, next_fire_after, parse_cron
from services.scheduler.english import EnglishError, english_to_cron
from services.scheduler.expressions import (
    Once,
    Recurring,
    ScheduleError,
    parse_duration,
    parse_dynamic,
    parse_recurring,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


# Every phrase verified by upstream tests (platform-spec §4.2), with the cron it must produce.
VERIFIED = [
    ("every minute", "0 * * * * ? *"),
    ("every 15 minutes", "0 0/15 * * * ? *"),
    ("every 5 second", "0/5 * * * * ? *"),
    ("every 15 seconds", "0/15 * * * * ? *"),
    ("every 3 hours", "0 0 0/3 * * ? *"),
    ("every hour only on weekends", "0 0 * ? * SAT,SUN *"),
    ("every day", "0 0 0 */1 * ? *"),
    ("every 4 days", "0 0 0 */4 * ? *"),
    ("every day at 4:00 pm", "0 0 16 */1 * ? *"),
    ("every 5 day at 4:30 pm only in September", "0 30 16 */5 SEP ? *"),
    ("every 3 days at noon", "0 0 12 */3 * ? *"),
    ("every 2nd day of the month", "0 0 0 2 * ? *"),
    ("every day from January to March", "0 0 0 */1 JAN-MAR ? *"),
    ("every 10 minutes Monday through Friday every month", "0 0/10 * ? * MON-FRI *"),
    ("every 5 minutes Monday through Thursday between 6:00 am and 9:00 am", "0 0/5 6-9 ? * MON-THU *"),
    ("Every 5 minutes, only on Friday", "0 0/5 * ? * FRI *"),
    ("at 10:00 am", "0 0 10 * * ? *"),
    ("at 12:15 pm", "0 15 12 * * ? *"),
    ("at 6:00 pm every Monday through Friday", "0 0 18 ? * MON-FRI *"),
    ("at noon every Sunday", "0 0 12 ? * SUN *"),
    ("on Sunday at 12:00", "0 0 12 ? * SUN *"),
    ("run at midnight on the 1st and 15th of the month", "0 0 0 1,15 * ? *"),
    ("midnight on Tuesdays", "0 0 0 ? * TUE *"),
    ("5:15am every Tuesday", "0 15 5 ? * TUE *"),
    ("7pm every Thursday", "0 0 19 ? * THU *"),
    ("every 2 day from January to August in 2020 and 2024", "0 0 0 */2 JAN-AUG ? 2020,2024"),
]

# Phrases the docs claim (§4.2), with the obvious meaning.
CLAIMED = [
    ("every day at 9am", "0 0 9 */1 * ? *"),
    ("every day at 9:00 am", "0 0 9 */1 * ? *"),
    ("every Monday at 2 PM", "0 0 14 ? * MON *"),
    ("every monday at 9am", "0 0 9 ? * MON *"),
    ("every 30 seconds", "0/30 * * * * ? *"),
    ("every 1 hour", "0 0 0/1 * * ? *"),
    ("daily at 9 AM", "0 0 9 */1 * ? *"),
    ("daily at 14:30", "0 30 14 */1 * ? *"),
    ("every weekday at 8:00 AM", "0 0 8 ? * MON-FRI *"),
    ("every Friday at 5 PM", "0 0 17 ? * FRI *"),
    ("monthly on the 15th", "0 0 0 15 * ? *"),
    ("daily", "@daily"),
    ("weekly", "@weekly"),
    ("hourly", "@hourly"),
    ("monthly", "@monthly"),
    # a few more of our grammar
    ("every 2 hours between 9am and 5pm", "0 0 9-17/2 * * ? *"),
    ("every week", "0 0 0 ? * SUN *"),
    ("every month", "0 0 0 1 * ? *"),
    ("every second", "* * * * * ? *"),
    ("at 9am and 5pm on weekdays", "0 0 9,17 ? * MON-FRI *"),
]


@pytest.mark.parametrize(("phrase", "cron"), VERIFIED + CLAIMED)
def test_english_phrase_normalises_to_cron(phrase: str, cron: str) -> None:
    assert english_to_cron(phrase) == cron
    parse_cron(cron)  # and the result is valid cron


@pytest.mark.parametrize(("phrase", "cron"), VERIFIED + CLAIMED)
def test_recurring_keeps_text_and_normalises(phrase: str, cron: str) -> None:
    schedule = parse_recurring(phrase)
    assert schedule.text == phrase
    assert schedule.cron == parse_cron(cron).text


@pytest.mark.parametrize(("phrase", "problem"), [
    ("every 500 milliseconds", "milliseconds"),
    ("every 10 ms", "'ms'"),
    ("every 3 microseconds", "microseconds"),
    ("every 2 nanoseconds", "nanoseconds"),
    ("invalid cron", "invalid"),
    ("every banana", "banana"),
    ("at 25:00", "25:00"),
    ("at 13 pm", "13 pm"),
    ("every 0 minutes", "never fires"),
    ("every 5", "not followed by a unit"),
    ("", "empty"),
    ("every day between 9am and 5pm", "time window"),
    ("on the 40th", "day 40"),
])
def test_nonsense_is_rejected_with_the_problem_named(phrase: str, problem: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_recurring(phrase)
    assert problem in str(info.value)
    assert str(info.value).startswith("Could not parse")


def test_english_error_type() -> None:
    with pytest.raises(EnglishError):
        english_to_cron("every purple hour")


# Cron features: expression, instant, next fire.
NEXT_FIRE = [
    # 5 fields: fires at second 0
    ("*/5 * * * *", utc(2024, 1, 1, 0, 0, 0), utc(2024, 1, 1, 0, 5, 0)),
    ("0 9 * * *", utc(2024, 1, 1, 9, 0, 0), utc(2024, 1, 2, 9, 0, 0)),
    # 6 fields with seconds
    ("*/2 * * * * *", utc(2024, 1, 1, 0, 0, 1, 500000), utc(2024, 1, 1, 0, 0, 2)),
    ("30 * * * * *", utc(2024, 1, 1, 0, 0, 30), utc(2024, 1, 1, 0, 1, 30)),
    # 7 fields with a year
    ("0 0 0 1 1 * 2030", utc(2024, 5, 1), utc(2030, 1, 1)),
    ("0 0 0 1 1 * 2020", utc(2024, 5, 1), None),
    # lists, ranges, steps
    ("0 0 1,15 * *", utc(2024, 1, 2), utc(2024, 1, 15)),
    ("0 9-17/4 * * *", utc(2024, 1, 1, 10), utc(2024, 1, 1, 13)),
    ("0 0 * * 1-5", utc(2024, 1, 6), utc(2024, 1, 8)),  # Sat → Mon
    ("0 10/20 * * * *", utc(2024, 1, 1, 0, 10), utc(2024, 1, 1, 0, 30)),
    ("0 0 0 * * 7", utc(2024, 1, 1), utc(2024, 1, 7)),  # 7 = Sunday
    # names
    ("0 0 1 FEB-MAR *", utc(2024, 1, 5), utc(2024, 2, 1)),
    ("0 0 * * SAT,SUN", utc(2024, 1, 1), utc(2024, 1, 6)),
    ("0 0 * * mon", utc(2024, 1, 1), utc(2024, 1, 8)),
    # ? equals *
    ("0 0 12 ? * WED", utc(2024, 1, 1), utc(2024, 1, 3, 12)),
    # L: last day of month; L-2; FRI#L and 5L: last Friday
    ("0 0 L * *", utc(2024, 2, 1), utc(2024, 2, 29)),
    ("0 0 L-2 * *", utc(2024, 2, 1), utc(2024, 2, 27)),
    ("0 0 * * FRI#L", utc(2024, 1, 1), utc(2024, 1, 26)),
    ("0 0 * * 5L", utc(2024, 1, 1), utc(2024, 1, 26)),
    # #n: nth weekday
    ("0 0 * * MON#2", utc(2024, 1, 1), utc(2024, 1, 8)),
    ("0 0 * * 1#1", utc(2024, 1, 2), utc(2024, 2, 5)),
    # W: nearest weekday (15 Jun 2024 is a Saturday → Friday 14th; 1 Jun Sat → Mon 3rd)
    ("0 0 15W * *", utc(2024, 6, 1), utc(2024, 6, 14)),
    ("0 0 1W * *", utc(2024, 5, 31), utc(2024, 6, 3)),
    ("0 0 LW * *", utc(2024, 8, 1), utc(2024, 8, 30)),  # 31 Aug 2024 is a Saturday
    # default OR of dom and dow (Vixie): the 13th or any Friday
    ("0 0 13 * FRI", utc(2024, 1, 1), utc(2024, 1, 5)),
    # + prefix: AND — Christmas at noon only when it is a Friday
    ("0 0 12 25 12 +FRI", utc(2024, 1, 1), utc(2026, 12, 25, 12)),
    # a * day field makes the other one decide
    ("0 0 */10 * *", utc(2024, 1, 1), utc(2024, 1, 11)),
    # nicknames
    ("@yearly", utc(2024, 3, 1), utc(2025, 1, 1)),
    ("@annually", utc(2024, 3, 1), utc(2025, 1, 1)),
    ("@monthly", utc(2024, 3, 5), utc(2024, 4, 1)),
    ("@weekly", utc(2024, 1, 1), utc(2024, 1, 7)),
    ("@daily", utc(2024, 1, 1, 5), utc(2024, 1, 2)),
    ("@hourly", utc(2024, 1, 1, 5, 1), utc(2024, 1, 1, 6)),
    # month and year roll-over, leap day
    ("0 0 29 2 *", utc(2024, 3, 1), utc(2028, 2, 29)),
    ("59 59 23 31 12 *", utc(2024, 12, 31, 23, 59, 59), utc(2025, 12, 31, 23, 59, 59)),
    # English-produced crons evaluate too
    ("0 0 0 ? * SAT,SUN *", utc(2024, 1, 1), utc(2024, 1, 6)),
]


@pytest.mark.parametrize(("expr", "after", "expected"), NEXT_FIRE)
def test_next_fire_after(expr: str, after: datetime, expected: datetime | None) -> None:
    assert next_fire_after(expr, after) == expected


def test_next_fire_is_strictly_after_and_sequence_is_increasing() -> None:
    expr = parse_cron("*/7 * * * * *")
    at = utc(2024, 1, 1)
    seen = []
    for _ in range(20):
        nxt = next_fire_after(expr, at)
        assert nxt is not None and nxt > at
        seen.append(nxt)
        at = nxt
    assert all(b - a in (timedelta(seconds=7), timedelta(seconds=4)) for a, b in itertools.pairwise(seen))


@pytest.mark.parametrize(("expr", "problem"), [
    ("* * * *", "5, 6 or 7 fields"),
    ("60 * * * * *", "second"),
    ("60 * * * *", "minute"),
    ("* 24 * * *", "hour"),
    ("* * 32 * *", "day-of-month"),
    ("* * * 13 *", "month"),
    ("* * * FOO *", "month"),
    ("* * * * 8", "day-of-week"),
    ("*/0 * * * *", "step"),
    ("5-1 * * * *", "starts after it ends"),
    ("@reboot", "nickname"),
    ("? * * * *", "'?'"),
    ("* * * * MON#6", "#1 to #5"),
    ("0 0 0 1 1 * 1800", "year"),
])
def test_invalid_cron(expr: str, problem: str) -> None:
    with pytest.raises(CronError) as info:
        parse_cron(expr)
    assert problem in str(info.value)


NOW = utc(2026, 1, 1, 12, 0, 0)


@pytest.mark.parametrize(("text", "delta"), [
    ("10 minutes", timedelta(minutes=10)),
    ("2h", timedelta(hours=2)),
    ("1 day 3 hours", timedelta(days=1, hours=3)),
    ("1h30m", timedelta(hours=1, minutes=30)),
    ("in 10 minutes", timedelta(minutes=10)),
    ("in 3 seconds", timedelta(seconds=3)),
    ("2 hours from now", timedelta(hours=2)),
    ("after 1 day", timedelta(days=1)),
    ("1w", timedelta(weeks=1)),
    ("1M", timedelta(days=30.44)),
    ("1y", timedelta(days=365.25)),
    ("500ms", timedelta(milliseconds=500)),
])
def test_dynamic_durations_are_one_time(text: str, delta: timedelta) -> None:
    parsed = parse_dynamic(text, NOW)
    assert isinstance(parsed, Once)
    assert parsed.run_at == NOW + delta
    assert parsed.cron.startswith("@at:")


def test_dynamic_rfc3339_is_one_time_even_in_the_past() -> None:
    parsed = parse_dynamic("2024-01-15T10:30:00Z", NOW)
    assert isinstance(parsed, Once) and parsed.run_at == utc(2024, 1, 15, 10, 30)
    offset = parse_dynamic("2026-01-15T10:30:00+02:00", NOW)
    assert isinstance(offset, Once) and offset.run_at == utc(2026, 1, 15, 8, 30)
    assert offset.cron == "@at:2026-01-15T08:30:00.000000Z"


@pytest.mark.parametrize("text", ["every day at 9am", "*/2 * * * * *", "@hourly", "every 10 minutes"])
def test_dynamic_recurring(text: str) -> None:
    parsed = parse_dynamic(text, NOW)
    assert isinstance(parsed, Recurring) and parsed.text == text


@pytest.mark.parametrize("text", ["every 500 milliseconds", "invalid cron", "tomorrow-ish", "10 parsecs"])
def test_dynamic_invalid(text: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_dynamic(text, NOW)
    assert str(info.value).startswith("Invalid schedule expression")


def test_duration_units_are_case_sensitive() -> None:
    assert parse_duration("1m") == timedelta(minutes=1)
    assert parse_duration("1M") == timedelta(days=30.44)
    with pytest.raises(ScheduleError):
        parse_duration("1 Minutes")
