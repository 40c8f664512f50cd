"""Schedule expressions as users write them: recurring (cron or English) and dynamic (§4.2, §4.3).

Pure code. `parse_recurring` is used for `meta {schedule: …}`; `parse_dynamic` for
`hot:schedule:new`, which first tries an RFC 3339 instant, then a duration from now, then a
recurring expression. The text as written is always kept; the cron is normalised to 7 fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.scheduler.cron import CronError, CronExpr, next_fire_after, normalize, parse_cron
from services.scheduler.english import SUB_SECOND, EnglishError, english_to_cron

MIN_INTERVAL_S = 1.0
"""`schedule.min-interval-seconds`: the smallest gap allowed between two fires of one schedule."""


class ScheduleError(ValueError):
    """An expression that is neither cron nor a supported English or dynamic schedule."""


@dataclass(frozen=True)
class Recurring:
    """A recurring schedule: the text as written and its normalised 7-field cron."""

    text: str
    cron: str

    def compiled(self) -> CronExpr:
        return parse_cron(self.cron)


@dataclass(frozen=True)
class Once:
    """A one-time schedule at `run_at` (UTC)."""

    text: str
    run_at: datetime

    @property
    def cron(self) -> str:
        """The upstream `@at:<rfc3339>` spelling kept in the `cron` column."""
        return "@at:" + self.run_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_recurring(text: str) -> Recurring:
    """Cron first, then English; sub-second units are rejected before either is tried."""
    stripped = " ".join(text.split())
    unit = SUB_SECOND.search(stripped)
    if unit is not None:
        raise ScheduleError(f"Could not parse '{text}': sub-second units such as '{unit[0]}' are not supported")
    try:
        return Recurring(text, parse_cron(stripped).text)
    except CronError as cron_err:
        try:
            cron = normalize(english_to_cron(stripped))
            parse_cron(cron)
        except (EnglishError, CronError) as err:
            looks_like_cron = stripped.startswith("@") or all(
                re.fullmatch(r"[\d*/,?#LW+A-Za-z-]+", f) and any(c in f for c in "0123456789*?")
                for f in stripped.split(" "))
            reason = cron_err if looks_like_cron else err
            raise ScheduleError(f"Could not parse '{text}' as cron or supported English schedule: {reason}") from None
        return Recurring(text, cron)


def check_min_interval(schedule: Recurring, now: datetime, min_interval_s: float = MIN_INTERVAL_S) -> None:
    """Policy: the next 64 fires must be at least `min_interval_s` apart."""
    expr = schedule.compiled()
    previous = next_fire_after(expr, now)
    for _ in range(63):
        if previous is None:
            return
        current = next_fire_after(expr, previous)
        if current is None:
            return
        if (current - previous).total_seconds() < min_interval_s:
            raise ScheduleError(f"'{schedule.text}' fires more often than every {min_interval_s:g} s")
        previous = current


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

# humantime units (case-sensitive, as upstream): month = 30.44 days, year = 365.25 days.
_DURATION_UNITS: dict[str, float] = {}
for _names, _seconds in (
    (("ns", "nsec", "nanosecond", "nanoseconds"), 1e-9),
    (("us", "usec", "microsecond", "microseconds"), 1e-6),
    (("ms", "msec", "millisecond", "milliseconds"), 1e-3),
    (("s", "sec", "secs", "second", "seconds"), 1.0),
    (("m", "min", "mins", "minute", "minutes"), 60.0),
    (("h", "hr", "hrs", "hour", "hours"), 3600.0),
    (("d", "day", "days"), 86400.0),
    (("w", "week", "weeks"), 604800.0),
    (("M", "month", "months"), 30.44 * 86400),
    (("y", "year", "years"), 365.25 * 86400),
):
    for _name in _names:
        _DURATION_UNITS[_name] = _seconds
_SPAN = re.compile(r"\s*(\d+)\s*([A-Za-z]+)")


def parse_duration(text: str) -> timedelta:
    """A humantime duration: one or more `<int><unit>` spans (`1h30m`, `1 day 3 hours`)."""
    rest = text.strip()
    if not rest:
        raise ScheduleError("empty duration")
    total = 0.0
    pos = 0
    while pos < len(rest):
        match = _SPAN.match(rest, pos)
        if match is None:
            raise ScheduleError(f"'{text}' is not a duration: expected a number and a unit at '{rest[pos:]}'")
        unit = _DURATION_UNITS.get(match[2])
        if unit is None:
            raise ScheduleError(f"'{text}' is not a duration: unknown unit '{match[2]}'")
        total += int(match[1]) * unit
        pos = match.end()
        while pos < len(rest) and rest[pos] == " ":
            pos += 1
    return timedelta(seconds=total)


def _duration_text(text: str) -> str:
    body = text.strip()
    if body.startswith("in "):
        body = body[3:]
    if body.endswith(" from now"):
        body = body[: -len(" from now")]
    if body.startswith("after "):
        body = body[6:]
    return body


def parse_dynamic(text: str, now: datetime) -> Once | Recurring:
    """§4.3 parse order: RFC 3339 instant, then duration from `now`, then recurring cron/English."""
    stripped = text.strip()
    if _RFC3339.match(stripped):
        try:
            instant = datetime.fromisoformat(stripped.replace("z", "Z").replace("t", "T"))
        except ValueError as exc:
            raise ScheduleError(f"Invalid schedule expression '{text}': {exc}") from None
        return Once(text, instant.astimezone(UTC))
    try:
        return Once(text, now.astimezone(UTC) + parse_duration(_duration_text(stripped)))
    except ScheduleError:
        pass
    try:
        schedule = parse_recurring(stripped)
        check_min_interval(schedule, now)
    except ScheduleError as err:
        raise ScheduleError(f"Invalid schedule expression '{text}': {err}") from None
    return Recurring(text, schedule.cron)
