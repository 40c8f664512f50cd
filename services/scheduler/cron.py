"""Cron expressions: parsing 5-, 6- and 7-field cron and computing the next fire time (UTC).

Pure code: no I/O. Field features follow platform-spec §4.2 (croner semantics): `*`, `?`,
lists, ranges, steps, month and weekday names (0 or 7 = Sunday), `L` and `L-n` in
day-of-month, `nW` / `LW` (nearest weekday), `DAY#n` / `DAY#L` / `DAYL` in day-of-week,
and a leading `+` on day-of-week to AND it with day-of-month instead of the default OR.
"""

from __future__ import annotations

import bisect
import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

NICKNAMES = {
    "@yearly": "0 0 0 1 1 * *",
    "@annually": "0 0 0 1 1 * *",
    "@monthly": "0 0 0 1 * * *",
    "@weekly": "0 0 0 * * 0 *",
    "@daily": "0 0 0 * * * *",
    "@midnight": "0 0 0 * * * *",
    "@hourly": "0 0 * * * * *",
}

YEAR_MIN, YEAR_MAX = 1970, 2199


class CronError(ValueError):
    """An expression that is not valid cron; the message names the field and the token."""


@dataclass(frozen=True)
class DaySpec:
    """Which days of a month match: plain days plus the special `L`, `W` and `#` forms."""

    days: frozenset[int] = frozenset()           # day-of-month numbers
    last_offsets: frozenset[int] = frozenset()   # L (0), L-3 (3): last day minus offset
    nearest_weekday: frozenset[int] = frozenset()  # 15W; 0 stands for LW
    weekdays: frozenset[int] = frozenset()       # 0 = Sunday
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()  # (weekday, n), MON#2
    last_weekdays: frozenset[int] = frozenset()  # FRI#L / 5L


@dataclass(frozen=True)
class CronExpr:
    """A parsed cron expression; `text` is the normalised 7-field form."""

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: frozenset[int] | None  # None: every year
    dom: DaySpec
    dow: DaySpec
    dom_star: bool
    dow_star: bool
    dow_and: bool
    _month_cache: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict, compare=False,
                                                               hash=False, repr=False)

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The matching days of one month, in order (memoised: months repeat)."""
        key = (year, month)
        cached = self._month_cache.get(key)
        if cached is None:
            cached = tuple(d for d in range(1, calendar.monthrange(year, month)[1] + 1)
                           if self._day_matches(year, month, d))
            if len(self._month_cache) > 256:
                self._month_cache.clear()
            self._month_cache[key] = cached
        return cached

    def _day_matches(self, year: int, month: int, day: int) -> bool:
        dom_ok = _dom_matches(self.dom, year, month, day)
        dow_ok = _dow_matches(self.dow, year, month, day)
        if self.dow_and or self.dom_star or self.dow_star:
            # Vixie: a `*` field (or the `+` prefix) makes the two day fields a conjunction.
            return dom_ok and dow_ok
        return dom_ok or dow_ok


def _weekday(year: int, month: int, day: int) -> int:
    return (calendar.weekday(year, month, day) + 1) % 7  # Monday=0 → Sunday=0


def _dom_matches(spec: DaySpec, year: int, month: int, day: int) -> bool:
    if day in spec.days:
        return True
    last = calendar.monthrange(year, month)[1]
    if any(day == last - off for off in spec.last_offsets):
        return True
    for target in spec.nearest_weekday:
        if day == _nearest_weekday(year, month, last if target == 0 else target, last):
            return True
    return False


def _nearest_weekday(year: int, month: int, target: int, last: int) -> int:
    """Quartz `W`: the weekday nearest to `target`, never leaving the month."""
    if target > last:
        return -1
    wd = _weekday(year, month, target)
    if wd == 6:  # Saturday → Friday, or Monday when the 1st is a Saturday
        return target - 1 if target > 1 else target + 2
    if wd == 0:  # Sunday → Monday, or Friday when it is the last day
        return target + 1 if target < last else target - 2
    return target


def _dow_matches(spec: DaySpec, year: int, month: int, day: int) -> bool:
    wd = _weekday(year, month, day)
    if wd in spec.weekdays:
        return True
    if (wd, (day - 1) // 7 + 1) in spec.nth_weekdays:
        return True
    return wd in spec.last_weekdays and day + 7 > calendar.monthrange(year, month)[1]


def _number(token: str, names: tuple[str, ...] | None, base: int, what: str) -> int:
    upper = token.upper()
    if names is not None and upper in names:
        return names.index(upper) + base
    if not token.isdigit():
        raise CronError(f"{what}: {token!r} is not a number{' or name' if names else ''}")
    return int(token)


def _range_values(item: str, lo: int, hi: int, names: tuple[str, ...] | None, name_base: int,
                  what: str) -> list[int]:
    """One list item: `*`, `a`, `a-b`, with an optional `/step`."""
    step = 1
    body = item
    if "/" in item:
        body, _, step_text = item.partition("/")
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{what}: step in {item!r} must be a positive integer")
        step = int(step_text)
    if body in ("*", "?"):
        start, end = lo, hi
    elif "-" in body:
        a, _, b = body.partition("-")
        start, end = _number(a, names, name_base, what), _number(b, names, name_base, what)
    else:
        start = _number(body, names, name_base, what)
        end = hi if "/" in item else start
    if not (lo <= start <= hi and lo <= end <= hi):
        raise CronError(f"{what}: {item!r} is outside {lo}-{hi}")
    if start > end:
        raise CronError(f"{what}: range {item!r} starts after it ends")
    return list(range(start, end + 1, step))


def _simple_field(text: str, lo: int, hi: int, what: str,
                  names: tuple[str, ...] | None = None, name_base: int = 0) -> list[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{what}: empty list item in {text!r}")
        values.update(_range_values(item, lo, hi, names, name_base, what))
    return sorted(values)


def _dom_field(text: str) -> DaySpec:
    days: set[int] = set()
    last: set[int] = set()
    nearest: set[int] = set()
    for item in text.split(","):
        upper = item.upper()
        if upper == "L":
            last.add(0)
        elif upper.startswith("L-") and upper[2:].isdigit() and int(upper[2:]) < 31:
            last.add(int(upper[2:]))
        elif upper == "LW":
            nearest.add(0)
        elif upper.endswith("W") and upper[:-1].isdigit():
            day = int(upper[:-1])
            if not 1 <= day <= 31:
                raise CronError(f"day-of-month: {item!r} is outside 1-31")
            nearest.add(day)
        else:
            days.update(_range_values(item, 1, 31, None, 0, "day-of-month"))
    return DaySpec(days=frozenset(days), last_offsets=frozenset(last), nearest_weekday=frozenset(nearest))


def _dow_number(token: str) -> int:
    value = _number(token, WEEKDAYS, 0, "day-of-week")
    if not 0 <= value <= 7:
        raise CronError(f"day-of-week: {token!r} is outside 0-7")
    return value % 7


def _dow_field(text: str) -> DaySpec:
    weekdays: set[int] = set()
    nth: set[tuple[int, int]] = set()
    last: set[int] = set()
    for item in text.split(","):
        upper = item.upper()
        if "#" in upper:
            day, _, n = upper.partition("#")
            if n == "L":
                last.add(_dow_number(day))
            elif n.isdigit() and 1 <= int(n) <= 5:
                nth.add((_dow_number(day), int(n)))
            else:
                raise CronError(f"day-of-week: {item!r} needs #1 to #5 or #L")
        elif upper.endswith("L") and len(upper) > 1:
            last.add(_dow_number(upper[:-1]))
        else:
            values = _range_values(item, 0, 7, WEEKDAYS, 0, "day-of-week")
            weekdays.update(v % 7 for v in values)
    return DaySpec(weekdays=frozenset(weekdays), nth_weekdays=frozenset(nth), last_weekdays=frozenset(last))


def normalize(expr: str) -> str:
    """The 7-field form of a 5-, 6- or 7-field expression or nickname (seconds and year added)."""
    text = " ".join(expr.split())
    if not text:
        raise CronError("empty cron expression")
    if text.startswith("@"):
        nick = NICKNAMES.get(text.lower())
        if nick is None:
            raise CronError(f"unknown nickname {text!r}; expected one of {', '.join(sorted(NICKNAMES))}")
        return nick
    fields = text.split(" ")
    if len(fields) == 5:
        fields = ["0", *fields, "*"]
    elif len(fields) == 6:
        fields = [*fields, "*"]
    elif len(fields) != 7:
        raise CronError(f"cron needs 5, 6 or 7 fields, got {len(fields)}")
    return " ".join(fields)


def parse_cron(expr: str) -> CronExpr:
    """Parse a cron expression or nickname; raises CronError naming the bad field."""
    text = normalize(expr)
    sec, minute, hour, dom, month, dow, year = text.split(" ")
    dow_and = dow.startswith("+")
    if dow_and:
        dow = dow[1:]
        if not dow:
            raise CronError("day-of-week: '+' must be followed by a day")
    for name, value in (("second", sec), ("minute", minute), ("hour", hour), ("month", month), ("year", year)):
        if "?" in value:
            raise CronError(f"{name}: '?' is only allowed in day-of-month and day-of-week")
    years = None if year in ("*", "?") else frozenset(_simple_field(year, YEAR_MIN, YEAR_MAX, "year"))
    return CronExpr(
        text=text,
        seconds=tuple(_simple_field(sec, 0, 59, "second")),
        minutes=tuple(_simple_field(minute, 0, 59, "minute")),
        hours=tuple(_simple_field(hour, 0, 23, "hour")),
        months=frozenset(_simple_field(month, 1, 12, "month", MONTHS, 1)),
        years=years,
        dom=_dom_field(dom),
        dow=_dow_field(dow),
        dom_star=dom.startswith(("*", "?")),
        dow_star=dow.startswith(("*", "?")),
        dow_and=dow_and,
    )


def is_cron(expr: str) -> bool:
    """True when `expr` parses as cron (used to decide between cron and English)."""
    try:
        parse_cron(expr)
    except CronError:
        return False
    return True


def _first_at_or_after(values: tuple[int, ...], current: int) -> int | None:
    index = bisect.bisect_left(values, current)
    return values[index] if index < len(values) else None


def next_fire_after(expr: CronExpr | str, instant: datetime) -> datetime | None:
    """The first fire time strictly after `instant` (UTC, whole seconds), or None if there is none."""
    cron = parse_cron(expr) if isinstance(expr, str) else expr
    start = instant.astimezone(UTC).replace(microsecond=0, tzinfo=None) + timedelta(seconds=1)
    year, month, day = start.year, start.month, start.day
    hour, minute, second = start.hour, start.minute, start.second
    while year <= YEAR_MAX:
        if cron.years is not None and year not in cron.years:
            later = [y for y in cron.years if y > year]
            if not later:
                return None
            year, month, day, hour, minute, second = min(later), 1, 1, 0, 0, 0
            continue
        if month not in cron.months:
            month, day, hour, minute, second = month + 1, 1, 0, 0, 0
            if month > 12:
                year, month = year + 1, 1
            continue
        days = cron.days_in(year, month)
        index = bisect.bisect_left(days, day)
        if index >= len(days):
            month, day, hour, minute, second = month + 1, 1, 0, 0, 0
            if month > 12:
                year, month = year + 1, 1
            continue
        if days[index] != day:
            day, hour, minute, second = days[index], 0, 0, 0
        found_hour = _first_at_or_after(cron.hours, hour)
        if found_hour is None:
            day, hour, minute, second = day + 1, 0, 0, 0
            continue
        if found_hour != hour:
            hour, minute, second = found_hour, 0, 0
        found_minute = _first_at_or_after(cron.minutes, minute)
        if found_minute is None:
            hour, minute, second = hour + 1, 0, 0
            if hour > 23:
                day, hour = day + 1, 0
            continue
        if found_minute != minute:
            minute, second = found_minute, 0
        found_second = _first_at_or_after(cron.seconds, second)
        if found_second is None:
            minute, second = minute + 1, 0
            if minute > 59:
                hour, minute = hour + 1, 0
                if hour > 23:
                    day, hour = day + 1, 0
            continue
        return datetime(year, month, day, hour, minute, found_second, tzinfo=UTC)
    return None
