"""``::hot::time`` values, Temporal-style (integrations-spec §4.8): Instant, Plain*, Zoned, Duration.

Every value is a map tagged ``::hot::time/<Type>``:

* ``Instant`` ``{epochNanoseconds}``: an exact point in time, at most 10^8 days from the epoch;
* ``PlainDate`` ``{year, month, day, calendar}``, ``PlainTime`` ``{hour, minute, second,
  millisecond, microsecond, nanosecond}`` and ``PlainDateTime`` (both): wall-clock values without
  a zone, ISO calendar, years 1 to 9999;
* ``ZonedDateTime``: a PlainDateTime plus ``timezone`` (an IANA name, ``UTC`` or ``±HH:MM``),
  ``offset`` (``"-06:00"``) and ``epochNanoseconds``;
* ``Duration`` ``{years, months, weeks, days, hours, minutes, seconds, milliseconds,
  microseconds, nanoseconds}``, all Dec with integral values and one sign.

They compare with ``eq``/``lt``/``sort`` (exact values by their nanoseconds, plain values by
their fields), print through their ``-> Str`` arrows and travel through JSON as tagged maps.
Bad input (an invalid date, an unknown zone, text that does not parse, a value out of range)
is an Err value naming the function, never a crash. ``now()`` keeps returning the ISO text it
always did; ``Instant()`` is the current Instant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotlang.errors import HotRuntimeError
from hotlang.library.failures import Refused, err_on_refusal, expect_text
from hotlang.library.lang import unit_nanos
from hotlang.library.registry import Library
from hotlang.library.types import NativeType
from hotlang.runtime.equality import ORDER_KEYS
from hotlang.runtime.limits import check_text
from hotlang.runtime.run import current_run
from hotlang.runtime.typevalues import StructType
from hotlang.runtime.values import Tagged, type_name

time = Library("::hot::time")

NS = "::hot::time/"
INSTANT, PLAIN_DATE, PLAIN_TIME = NS + "Instant", NS + "PlainDate", NS + "PlainTime"
PLAIN_DATE_TIME, ZONED, DURATION = NS + "PlainDateTime", NS + "ZonedDateTime", NS + "Duration"

SECOND = 1_000_000_000
MINUTE, HOUR, DAY = 60 * SECOND, 3600 * SECOND, 86_400 * SECOND
MAX_INSTANT = 10**8 * DAY
"""Temporal's range: an Instant lies within 100,000,000 days of the epoch."""
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DURATION_FIELDS = (
    "years",
    "months",
    "weeks",
    "days",
    "hours",
    "minutes",
    "seconds",
    "milliseconds",
    "microseconds",
    "nanoseconds",
)
TIME_UNITS = {
    "hours": HOUR,
    "minutes": MINUTE,
    "seconds": SECOND,
    "milliseconds": 1_000_000,
    "microseconds": 1_000,
    "nanoseconds": 1,
}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

time.value("Month", StructType(NS + "Month", (), nominal=True), core=False)

Clock = tuple[int, int, int, int]
"""A wall-clock time: hour, minute, second, nanoseconds within the second."""


# -- building and reading values ------------------------------------------------------------


def make_instant(nanos: int, fn: str) -> Tagged:
    if not -MAX_INSTANT <= nanos <= MAX_INSTANT:
        raise Refused(f"{fn}: the instant is outside the supported range (100,000,000 days around 1970)")
    return Tagged(INSTANT, {"epochNanoseconds": nanos})


def _date_fields(day: date) -> dict[str, Any]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _time_fields(clock: Clock) -> dict[str, Any]:
    hour, minute, second, sub = clock
    return {
        "hour": hour,
        "minute": minute,
        "second": second,
        "millisecond": sub // 1_000_000,
        "microsecond": sub // 1_000 % 1_000,
        "nanosecond": sub % 1_000,
    }


def make_date(day: date) -> Tagged:
    return Tagged(PLAIN_DATE, {**_date_fields(day), "calendar": "iso8601"})


def make_time(clock: Clock) -> Tagged:
    return Tagged(PLAIN_TIME, _time_fields(clock))


def make_date_time(day: date, clock: Clock) -> Tagged:
    return Tagged(PLAIN_DATE_TIME, {**_date_fields(day), **_time_fields(clock), "calendar": "iso8601"})


def _payload(value: Any, path: str) -> dict[str, Any] | None:
    if type(value) is Tagged and value.type_path == path and type(value.payload) is dict:
        return value.payload  # type: ignore[no-any-return]
    return None


def _int_field(fields: dict[str, Any], name: str, fn: str, default: int | None = None) -> int:
    value = fields.get(name, default)
    if type(value) is Decimal and value == value.to_integral_value():
        value = int(value)
    if type(value) is not int:
        raise Refused(f"{fn}: `{name}` must be an Int, got {type_name(value)}")
    return value  # type: ignore[no-any-return]


def _build_date(year: int, month: int, day: int, fn: str) -> date:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        raise Refused(f"{fn}: invalid date {year:04d}-{month:02d}-{day:02d} (years 1 to 9999)") from None


def _build_clock(hour: int, minute: int, second: int, sub: int, fn: str) -> Clock:
    if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60 and 0 <= sub < SECOND):
        raise Refused(f"{fn}: invalid time {hour:02d}:{minute:02d}:{second:02d}")
    return hour, minute, second, sub


def read_date(fields: dict[str, Any], fn: str) -> date:
    return _build_date(
        _int_field(fields, "year", fn), _int_field(fields, "month", fn), _int_field(fields, "day", fn), fn
    )


def read_clock(fields: dict[str, Any], fn: str) -> Clock:
    parts = [_int_field(fields, name, fn, 0) for name in ("millisecond", "microsecond", "nanosecond")]
    if not all(0 <= part < 1000 for part in parts):
        raise Refused(f"{fn}: millisecond, microsecond and nanosecond must each be 0 to 999")
    sub = parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]
    hour, minute, second = (_int_field(fields, name, fn, 0) for name in ("hour", "minute", "second"))
    return _build_clock(hour, minute, second, sub, fn)


def instant_nanos(value: Any, fn: str) -> int:
    """The epoch nanoseconds of an Instant or a ZonedDateTime."""
    fields = _payload(value, INSTANT) or _payload(value, ZONED)
    if fields is None:
        raise Refused(f"{fn} expects an Instant or a ZonedDateTime, got {type_name(value)}")
    nanos = _int_field(fields, "epochNanoseconds", fn)
    if not -MAX_INSTANT <= nanos <= MAX_INSTANT:
        raise Refused(f"{fn}: the instant is outside the supported range")
    return nanos


def local_nanos(day: date, clock: Clock) -> int:
    """Nanoseconds from 1970-01-01T00:00 to the wall-clock value (no zone: as if it were UTC)."""
    hour, minute, second, sub = clock
    return (day.toordinal() - EPOCH_ORDINAL) * DAY + hour * HOUR + minute * MINUTE + second * SECOND + sub


def from_local_nanos(nanos: int, fn: str) -> tuple[date, Clock]:
    days, rest = divmod(nanos, DAY)
    ordinal = EPOCH_ORDINAL + days
    if not date.min.toordinal() <= ordinal <= date.max.toordinal():
        raise Refused(f"{fn}: the date is outside the years 1 to 9999")
    hour, rest = divmod(rest, HOUR)
    minute, rest = divmod(rest, MINUTE)
    second, sub = divmod(rest, SECOND)
    return date.fromordinal(ordinal), (hour, minute, second, sub)


def wall_clock(value: Any, fn: str) -> tuple[str, date, Clock]:
    """The kind and wall-clock date and time of a PlainDate (at midnight), PlainDateTime or Zoned value."""
    for path in (PLAIN_DATE_TIME, ZONED):
        fields = _payload(value, path)
        if fields is not None:
            return path, read_date(fields, fn), read_clock(fields, fn)
    fields = _payload(value, PLAIN_DATE)
    if fields is not None:
        return PLAIN_DATE, read_date(fields, fn), (0, 0, 0, 0)
    raise Refused(f"{fn} expects a PlainDate, PlainDateTime or ZonedDateTime, got {type_name(value)}")


# -- time zones -------------------------------------------------------------------------------

_OFFSET = re.compile(r"([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?")


def zone_of(name: Any, fn: str) -> tzinfo:
    text = expect_text(fn, name, 'a time zone name such as "America/Chicago" or "UTC"')
    if text.upper() in ("UTC", "Z"):
        return UTC
    offset = _OFFSET.fullmatch(text)
    if offset:
        sign, hours, minutes, seconds = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
        if delta >= timedelta(days=1):
            raise Refused(f"{fn}: invalid UTC offset {text!r}")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(f"{fn}: unknown time zone {text[:80]!r}") from None


def _zone_name(zone: tzinfo) -> str:
    if zone is UTC:
        return "UTC"
    if isinstance(zone, ZoneInfo):
        return str(zone.key)
    return _offset_text(zone.utcoffset(None) or timedelta(0))


def _offset_text(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _aware(nanos: int, zone: tzinfo, fn: str) -> datetime:
    try:
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanos // 1000)).astimezone(zone)
    except (OverflowError, ValueError):
        raise Refused(f"{fn}: the date is outside the years 1 to 9999") from None


def make_zoned(nanos: int, zone: tzinfo, fn: str) -> Tagged:
    make_instant(nanos, fn)
    offset = _aware(nanos, zone, fn).utcoffset() or timedelta(0)
    offset_ns = int(offset.total_seconds()) * SECOND
    day, clock = from_local_nanos(nanos + offset_ns, fn)
    return Tagged(
        ZONED,
        {
            **_date_fields(day),
            **_time_fields(clock),
            "calendar": "iso8601",
            "timezone": _zone_name(zone),
            "offset": _offset_text(offset),
            "epochNanoseconds": nanos,
        },
    )


def resolve_local(day: date, clock: Clock, zone: tzinfo, fn: str) -> int:
    """The instant of a wall-clock value in ``zone``: earlier offset in an overlap, pushed forward in a gap."""
    hour, minute, second, sub = clock
    wall = datetime(day.year, day.month, day.day, hour, minute, second, sub // 1000, tzinfo=zone, fold=0)
    offset = wall.utcoffset() or timedelta(0)
    return local_nanos(day, clock) - int(offset.total_seconds()) * SECOND


def zoned_zone(value: Any, fn: str) -> tzinfo:
    fields = _payload(value, ZONED)
    if fields is None:
        raise Refused(f"{fn} expects a ZonedDateTime, got {type_name(value)}")
    return zone_of(fields.get("timezone"), fn)


# -- ISO 8601 text ------------------------------------------------------------------------------

_DATE_TEXT = r"([+-]\d{6}|\d{4})-?(\d{2})-?(\d{2})"
_TIME_TEXT = r"(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?"
_ZONE_TEXT = r"(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(?:\[!?([^\]=]+)\])?(?:\[[^\]]*=[^\]]*\])*"
DATE_RE = re.compile(_DATE_TEXT + r"(?:\[u-ca=iso8601\])?")
TIME_RE = re.compile(r"[Tt]?" + _TIME_TEXT)
DATE_TIME_RE = re.compile(_DATE_TEXT + r"(?:[Tt ]" + _TIME_TEXT + r")?" + _ZONE_TEXT)


def _parse_date(match: re.Match[str], fn: str) -> date:
    year, month, day = match.group(1, 2, 3)
    return _build_date(int(year), int(month), int(day), fn)


def _parse_clock(groups: tuple[str | None, ...], fn: str) -> Clock:
    hour, minute, second, fraction = groups
    sub = int((fraction or "").ljust(9, "0")) if fraction else 0
    second_value = int(second or 0)
    if second_value == 60:
        second_value = 59  # a leap second reads as the last second of the minute, as in Temporal
    return _build_clock(int(hour or 0), int(minute or 0), second_value, sub, fn)


def parse_date_time(text: str, fn: str) -> tuple[date, Clock, str | None, str | None] | None:
    """``(date, time, offset or "Z", zone)`` of an ISO date-time text, None when it is not one."""
    match = DATE_TIME_RE.fullmatch(text.strip())
    if match is None:
        return None
    day = _parse_date(match, fn)
    clock = _parse_clock(match.group(4, 5, 6, 7), fn) if match.group(4) else (0, 0, 0, 0)
    return day, clock, match.group(8), match.group(9)


def _offset_seconds(text: str) -> int:
    match = _OFFSET.fullmatch(text)
    if match is None:
        return 0  # "Z"
    sign, hours, minutes, seconds = match.groups()
    total = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return -total if sign == "-" else total


def parse_instant(text: str, fn: str) -> int:
    parsed = parse_date_time(text, fn)
    if parsed is None or parsed[2] is None:
        raise Refused(f"{fn}: cannot read {text[:80]!r} as an instant (an ISO date-time with Z or an offset)")
    day, clock, offset, _zone = parsed
    return local_nanos(day, clock) - _offset_seconds(offset) * SECOND  # type: ignore[arg-type]


def parse_plain(text: str, fn: str) -> Tagged:
    """``parse(s)``: a PlainDateTime, then a PlainTime, then a PlainDate (a date alone is a PlainDate).

    Ours: a date-time with ``Z`` or an offset is an Instant, and one with a ``[zone]`` a
    ZonedDateTime, rather than dropping what the text says about the zone."""
    stripped = text.strip()
    if DATE_RE.fullmatch(stripped):
        match = DATE_RE.fullmatch(stripped)
        return make_date(_parse_date(match, fn))  # type: ignore[arg-type]
    parsed = parse_date_time(stripped, fn)
    if parsed is not None:
        day, clock, offset, zone = parsed
        if zone is not None:
            return _zoned_from_text(stripped, fn)
        if offset is not None:
            return make_instant(local_nanos(day, clock) - _offset_seconds(offset) * SECOND, fn)
        return make_date_time(day, clock)
    match = TIME_RE.fullmatch(stripped)
    if match is not None:
        return make_time(_parse_clock(match.group(1, 2, 3, 4), fn))
    raise Refused(f"{fn}: Unable to parse string as temporal object: {text[:80]!r}")


def _zoned_from_text(text: str, fn: str) -> Tagged:
    parsed = parse_date_time(text, fn)
    if parsed is None or parsed[3] is None:
        raise Refused(
            f"{fn}: cannot read {text[:80]!r} as a zoned date-time (e.g. 2024-03-10T09:00:00-05:00[America/Chicago])"
        )
    day, clock, offset, zone_name = parsed
    zone = zone_of(zone_name, fn)
    if offset is not None and offset not in ("Z", "z"):
        nanos = local_nanos(day, clock) - _offset_seconds(offset) * SECOND
        if make_zoned(nanos, zone, fn).payload["offset"] != _offset_text(timedelta(seconds=_offset_seconds(offset))):
            raise Refused(f"{fn}: the offset {offset} is not valid for {zone_name} at that time")
    elif offset is not None:
        nanos = local_nanos(day, clock)
    else:
        nanos = resolve_local(day, clock, zone, fn)
    return make_zoned(nanos, zone, fn)


# -- text forms -------------------------------------------------------------------------------


def _year_text(year: int) -> str:
    return f"{year:04d}"


def _date_text(fields: dict[str, Any], fn: str) -> str:
    day = read_date(fields, fn)
    return f"{_year_text(day.year)}-{day.month:02d}-{day.day:02d}"


def _clock_text(fields: dict[str, Any], fn: str) -> str:
    hour, minute, second, _sub = read_clock(fields, fn)
    return f"{hour:02d}:{minute:02d}:{second:02d}"


def _dec_text(value: int) -> str:
    return str(value)


def duration_text(fields: dict[str, int]) -> str:
    """ISO 8601 as Temporal writes it: ``P1Y2M3W4DT5H6M7.5S``, ``-P1D``, ``PT0S`` when zero.

    Ours writes weeks and folds the sub-second fields into fractional seconds (upstream leaves
    both out, so ``Str(weeks(2))`` would be ``PT0S``)."""
    sign = -1 if any(value < 0 for value in fields.values()) else 1
    part = {name: abs(value) for name, value in fields.items()}
    date_part = "".join(
        f"{part[name]}{mark}"
        for name, mark in (("years", "Y"), ("months", "M"), ("weeks", "W"), ("days", "D"))
        if part[name]
    )
    sub = part["milliseconds"] * 1_000_000 + part["microseconds"] * 1_000 + part["nanoseconds"]
    whole, fraction = divmod(part["seconds"] * SECOND + sub, SECOND)
    seconds = str(whole) + (f".{fraction:09d}".rstrip("0") if fraction else "")
    time_part = "".join(f"{part[name]}{mark}" for name, mark in (("hours", "H"), ("minutes", "M")) if part[name])
    if whole or fraction:
        time_part += seconds + "S"
    if not date_part and not time_part:
        return "PT0S"
    return ("-" if sign < 0 else "") + "P" + date_part + ("T" + time_part if time_part else "")


def _arrow(path: str, write: Callable[[dict[str, Any], str], str]) -> None:
    def to_text(value: Any) -> str:
        fields = _payload(value, path)
        if fields is None:
            raise HotRuntimeError(f"{path} -> Str expects a {path.rpartition('/')[2]}, got {type_name(value)}")
        try:
            return write(fields, "Str")
        except Refused as refusal:
            raise HotRuntimeError(refusal.message) from None

    time.arrow(path, "::hot::type/Str", to_text)


def _instant_text(fields: dict[str, Any], fn: str) -> str:
    day, clock = from_local_nanos(_int_field(fields, "epochNanoseconds", fn), fn)
    return f"{_year_text(day.year)}-{day.month:02d}-{day.day:02d}T{clock[0]:02d}:{clock[1]:02d}:{clock[2]:02d}Z"


_arrow(INSTANT, _instant_text)
_arrow(PLAIN_DATE, _date_text)
_arrow(PLAIN_TIME, _clock_text)
_arrow(PLAIN_DATE_TIME, lambda fields, fn: f"{_date_text(fields, fn)}T{_clock_text(fields, fn)}")
_arrow(
    ZONED,
    lambda fields, fn: (
        f"{_date_text(fields, fn)}T{_clock_text(fields, fn)}{fields.get('offset')}[{fields.get('timezone')}]"
    ),
)
_arrow(DURATION, lambda fields, fn: duration_text(read_duration(Tagged(DURATION, fields), fn)))


def _order_key(path: str) -> Callable[[Any], Any]:
    def key(value: Any) -> Any:
        fields = value.payload if type(value.payload) is dict else {}
        if path in (INSTANT, ZONED):
            return (fields.get("epochNanoseconds") if type(fields.get("epochNanoseconds")) is int else 0,)
        names = ("year", "month", "day", "hour", "minute", "second", "millisecond", "microsecond", "nanosecond")
        return tuple(fields.get(name) if type(fields.get(name)) is int else 0 for name in names)

    return key


for _path in (INSTANT, ZONED, PLAIN_DATE, PLAIN_TIME, PLAIN_DATE_TIME):
    ORDER_KEYS[_path] = _order_key(_path)


# -- Duration ---------------------------------------------------------------------------------

_DURATION_RE = re.compile(
    r"([+-])?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)(?:[.,](\d{1,9}))?H)?(?:(\d+)(?:[.,](\d{1,9}))?M)?(?:(\d+)(?:[.,](\d{1,9}))?S)?)?",
    re.IGNORECASE,
)


def _balance_time(nanos: int) -> dict[str, int]:
    """Hours down to nanoseconds of a non-negative count of nanoseconds."""
    out = {}
    for name, size in TIME_UNITS.items():
        out[name], nanos = divmod(nanos, size)
    return out


def parse_duration(text: str, fn: str) -> dict[str, int]:
    """The ten fields of an ISO 8601 duration; only the smallest time unit may have a fraction,
    which is spread over the smaller fields (``PT1.5H`` is 1 hour 30 minutes)."""
    stripped = text.strip()
    match = _DURATION_RE.fullmatch(stripped)
    body = stripped.upper().lstrip("+-")
    if match is None or body in ("P", "PT") or body.endswith("T"):
        raise Refused(f"{fn}: Unable to parse ISO 8601 duration {text[:80]!r}")
    sign, years, months, weeks, days, hours, hfrac, minutes, mfrac, seconds, sfrac = match.groups()
    if (hfrac and (minutes is not None or seconds is not None)) or (mfrac and seconds is not None):
        raise Refused(
            f"{fn}: Unable to parse ISO 8601 duration {text[:80]!r}: only the smallest unit may have a fraction"
        )
    result = dict.fromkeys(DURATION_FIELDS, 0)
    for name, found in (
        ("years", years),
        ("months", months),
        ("weeks", weeks),
        ("days", days),
        ("hours", hours),
        ("minutes", minutes),
        ("seconds", seconds),
    ):
        result[name] = int(found or 0)
    fraction, size = (hfrac, HOUR) if hfrac else (mfrac, MINUTE) if mfrac else (sfrac, SECOND)
    if fraction:
        for name, part in _balance_time(int(fraction.ljust(9, "0")) * size // SECOND).items():
            result[name] += part
    return {name: -value for name, value in result.items()} if sign == "-" else result


def _check_signs(fields: dict[str, int], fn: str) -> dict[str, int]:
    if any(value > 0 for value in fields.values()) and any(value < 0 for value in fields.values()):
        raise Refused(f"{fn}: a Duration's fields must not mix positive and negative values")
    return fields


def make_duration(fields: dict[str, int]) -> Tagged:
    """A Duration whose fields are Decs written with one decimal (``1.0``), as upstream's floats are: they
    stay Decs through ``to-json``/``from-json``."""
    return Tagged(DURATION, {name: Decimal(f"{fields.get(name, 0)}.0") for name in DURATION_FIELDS})


def read_duration(value: Any, fn: str) -> dict[str, int]:
    fields = _payload(value, DURATION)
    if fields is None:
        raise Refused(f"{fn} expects a Duration, got {type_name(value)}")
    return _check_signs({name: _int_field(fields, name, fn, 0) for name in DURATION_FIELDS}, fn)


def duration_from_map(fields: dict[Any, Any], fn: str) -> dict[str, int]:
    """Ours: every one of the ten fields counts (upstream keeps only years … seconds)."""
    unknown = [key for key in fields if key not in DURATION_FIELDS]
    if unknown:
        raise Refused(f"{fn}: unknown Duration field {str(unknown[0])!r}; the fields are {', '.join(DURATION_FIELDS)}")
    return _check_signs({name: _int_field(fields, name, fn, 0) for name in DURATION_FIELDS}, fn)


def construct_duration(*args: Any) -> Tagged:
    """``Duration("P1DT2H")``, ``Duration({hours: 2})``, ``Duration()`` (zero) or a Duration as is."""
    fn = "::hot::time/Duration"
    if not args:
        return make_duration({})
    if len(args) > 1:
        raise Refused(f"{fn} takes an ISO 8601 text or a Map of fields, but was given {len(args)} arguments")
    value = args[0]
    if _payload(value, DURATION) is not None:
        return make_duration(read_duration(value, fn))
    if type(value) is dict:
        return make_duration(duration_from_map(value, fn))
    if type(value) is str:
        return make_duration(parse_duration(value, fn))
    nanos = unit_nanos(value)
    if nanos is not None:
        sign = -1 if nanos < 0 else 1
        return make_duration({name: sign * part for name, part in _balance_time(abs(nanos)).items()})
    raise Refused(f"{fn} expects an ISO 8601 Str or a Map of fields, got {type_name(value)}")


time.value("Duration", NativeType(DURATION, err_on_refusal(construct_duration)), core=False)


def _unit_duration(unit: str) -> Callable[[Any], Any]:
    fn = f"::hot::time/{unit}"

    def build(count: Any) -> Tagged:
        if type(count) is Decimal and count == count.to_integral_value():
            count = int(count)
        if type(count) is not int:
            raise Refused(f"{fn} expects an Int, got {type_name(count)}")
        return make_duration({unit: count})

    return err_on_refusal(build)


for _unit in ("years", "months", "weeks", "days", "hours", "minutes", "seconds", "milliseconds"):
    time.native(_unit, 1, core=False)(_unit_duration(_unit))


# -- constructors -----------------------------------------------------------------------------


def _now_nanos() -> int:
    moment = current_run().host.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds * 1000


@err_on_refusal
def construct_instant(*args: Any) -> Tagged:
    """``Instant()`` now; ``Instant(Millisecond(n) | Microsecond(n) | Nanosecond(n) | Second(n))``;
    ``Instant(PlainDate | PlainTime | PlainDateTime)`` read as UTC (a PlainTime on 1970-01-01);
    ``Instant(ZonedDateTime)``; ``Instant("2024-01-01T00:00:00Z")`` (Z or an offset required)."""
    fn = "::hot::time/Instant"
    if not args:
        return make_instant(_now_nanos(), fn)
    if len(args) > 1:
        raise Refused(f"{fn} takes 0 or 1 argument, but was given {len(args)}")
    value = args[0]
    if _payload(value, INSTANT) is not None or _payload(value, ZONED) is not None:
        return make_instant(instant_nanos(value, fn), fn)
    nanos = unit_nanos(value)
    if nanos is not None:
        return make_instant(nanos, fn)
    fields = _payload(value, PLAIN_TIME)
    if fields is not None:
        return make_instant(local_nanos(date(1970, 1, 1), read_clock(fields, fn)), fn)
    if type(value) is Tagged and value.type_path in (PLAIN_DATE, PLAIN_DATE_TIME):
        _kind, day, clock = wall_clock(value, fn)
        return make_instant(local_nanos(day, clock), fn)
    if type(value) is str:
        return make_instant(parse_instant(value, fn), fn)
    if type(value) is dict:
        return make_instant(_int_field(value, "epochNanoseconds", fn), fn)
    raise Refused(
        f"{fn} expects a time unit such as Millisecond(n), a Plain value or an ISO Str, got {type_name(value)}"
    )


time.value("Instant", NativeType(INSTANT, construct_instant), core=False)


def _ints(fn: str, values: tuple[Any, ...]) -> list[int]:
    out = []
    for value in values:
        if type(value) is not int:
            raise Refused(f"{fn} expects Int fields, got {type_name(value)}")
        out.append(value)
    return out


def _now_wall(fn: str) -> tuple[date, Clock]:
    return from_local_nanos(_now_nanos(), fn)


@err_on_refusal
def construct_date(*args: Any) -> Tagged:
    """``PlainDate()`` today in UTC, ``PlainDate(y, m, d)``, ``PlainDate("2024-12-25")``, or the date of a value."""
    fn = "::hot::time/PlainDate"
    if not args:
        return make_date(_now_wall(fn)[0])
    if len(args) == 3:
        year, month, day = _ints(fn, args)
        return make_date(_build_date(year, month, day, fn))
    if len(args) != 1:
        raise Refused(f"{fn} takes 0, 1 or 3 arguments, but was given {len(args)}")
    value = args[0]
    if type(value) is str:
        match = DATE_RE.fullmatch(value.strip())
        if match is None:
            parsed = parse_date_time(value, fn)
            if parsed is None:
                raise Refused(f"{fn}: cannot read {value[:80]!r} as a date (YYYY-MM-DD)")
            return make_date(parsed[0])
        return make_date(_parse_date(match, fn))
    if type(value) is dict:
        return make_date(read_date(value, fn))
    return make_date(wall_clock(value, fn)[1])


@err_on_refusal
def construct_time(*args: Any) -> Tagged:
    """``PlainTime()`` now in UTC, ``PlainTime(h, mi, s[, ms, µs, ns])``, ``PlainTime("10:30:00")``,
    or the time of a value."""
    fn = "::hot::time/PlainTime"
    if not args:
        return make_time(_now_wall(fn)[1])
    if len(args) == 1:
        value = args[0]
        if type(value) is str:
            match = TIME_RE.fullmatch(value.strip())
            if match is not None:
                return make_time(_parse_clock(match.group(1, 2, 3, 4), fn))
            parsed = parse_date_time(value, fn)
            if parsed is None or parsed[2] is not None:
                raise Refused(f"{fn}: cannot read {value[:80]!r} as a time (HH:MM:SS)")
            return make_time(parsed[1])
        if type(value) is dict:
            return make_time(read_clock(value, fn))
        if _payload(value, PLAIN_TIME) is not None:
            return make_time(read_clock(value.payload, fn))
        return make_time(wall_clock(value, fn)[2])
    if len(args) > 6:
        raise Refused(f"{fn} takes at most 6 fields, but was given {len(args)}")
    hour, minute, second, ms, us, ns = [*_ints(fn, args), 0, 0, 0, 0, 0][:6]
    return make_time(
        read_clock(
            {"hour": hour, "minute": minute, "second": second, "millisecond": ms, "microsecond": us, "nanosecond": ns},
            fn,
        )
    )


@err_on_refusal
def construct_date_time(*args: Any) -> Tagged:
    """``PlainDateTime()`` now in UTC, ``PlainDateTime(y, mo, d[, h, mi, s, ms, µs, ns])``, ISO text,
    or a value's wall clock."""
    fn = "::hot::time/PlainDateTime"
    if not args:
        return make_date_time(*_now_wall(fn))
    if len(args) == 1:
        value = args[0]
        if type(value) is str:
            parsed = parse_date_time(value, fn)
            if parsed is None or parsed[2] in ("Z", "z"):
                raise Refused(f"{fn}: cannot read {value[:80]!r} as a date-time (YYYY-MM-DDTHH:MM:SS, no Z)")
            return make_date_time(parsed[0], parsed[1])
        if type(value) is dict:
            return make_date_time(read_date(value, fn), read_clock(value, fn))
        _kind, day, clock = wall_clock(value, fn)
        return make_date_time(day, clock)
    if not 3 <= len(args) <= 9:
        raise Refused(f"{fn} takes 0, 1 or 3 to 9 arguments, but was given {len(args)}")
    values = _ints(fn, args) + [0] * (9 - len(args))
    fields = dict(
        zip(
            ("year", "month", "day", "hour", "minute", "second", "millisecond", "microsecond", "nanosecond"),
            values,
            strict=True,
        )
    )
    return make_date_time(read_date(fields, fn), read_clock(fields, fn))


@err_on_refusal
def construct_zoned(*args: Any) -> Tagged:
    """``ZonedDateTime("2024-03-10T09:00:00-05:00[America/Chicago]")``, ``(instant, tz)`` or ``(plainDateTime, tz)``."""
    fn = "::hot::time/ZonedDateTime"
    if len(args) == 1:
        if _payload(args[0], ZONED) is not None:
            return make_zoned(instant_nanos(args[0], fn), zoned_zone(args[0], fn), fn)
        return _zoned_from_text(expect_text(fn, args[0], "an ISO text with a [zone], or (instant, zone)"), fn)
    if len(args) != 2:
        raise Refused(f"{fn} takes 1 or 2 arguments, but was given {len(args)}")
    value, zone = args[0], zone_of(args[1], fn)
    if _payload(value, INSTANT) is not None or _payload(value, ZONED) is not None:
        return make_zoned(instant_nanos(value, fn), zone, fn)
    _kind, day, clock = wall_clock(value, fn)
    return make_zoned(resolve_local(day, clock, zone, fn), zone, fn)


time.value("PlainDate", NativeType(PLAIN_DATE, construct_date), core=False)
time.value("PlainTime", NativeType(PLAIN_TIME, construct_time), core=False)
time.value("PlainDateTime", NativeType(PLAIN_DATE_TIME, construct_date_time), core=False)
time.value("ZonedDateTime", NativeType(ZONED, construct_zoned), core=False)


# -- functions --------------------------------------------------------------------------------


@time.native("epoch-nanos", 1, core=False)
@err_on_refusal
def epoch_nanos(value: Any) -> int:
    return instant_nanos(value, "::hot::time/epoch-nanos")


@time.native("epoch-seconds", 0, core=False)
def epoch_seconds() -> int:
    """The current Unix time in whole seconds (floor), by the host's clock."""
    return _now_nanos() // SECOND


@time.native("now-zoned", 1, core=False)
@err_on_refusal
def now_zoned(zone: Any) -> Tagged:
    return make_zoned(_now_nanos(), zone_of(zone, "::hot::time/now-zoned"), "::hot::time/now-zoned")


@time.native("with-timezone", 2, core=False)
@err_on_refusal
def with_timezone(value: Any, zone: Any) -> Tagged:
    """The same instant seen in another zone."""
    fn = "::hot::time/with-timezone"
    return make_zoned(instant_nanos(value, fn), zone_of(zone, fn), fn)


@time.native("to-instant", 1, core=False)
@err_on_refusal
def to_instant(value: Any) -> Tagged:
    return construct_instant(value)  # type: ignore[no-any-return]


@time.native("to-plain-date-time", 1, core=False)
@err_on_refusal
def to_plain_date_time(value: Any) -> Tagged:
    _kind, day, clock = wall_clock(
        _zoned_or_utc(value, "::hot::time/to-plain-date-time"), "::hot::time/to-plain-date-time"
    )
    return make_date_time(day, clock)


@time.native("to-plain-date", 1, core=False)
@err_on_refusal
def to_plain_date(value: Any) -> Tagged:
    return make_date(wall_clock(_zoned_or_utc(value, "::hot::time/to-plain-date"), "::hot::time/to-plain-date")[1])


@time.native("to-plain-time", 1, core=False)
@err_on_refusal
def to_plain_time(value: Any) -> Tagged:
    return make_time(wall_clock(_zoned_or_utc(value, "::hot::time/to-plain-time"), "::hot::time/to-plain-time")[2])


def _zoned_or_utc(value: Any, fn: str) -> Any:
    """An Instant is read in UTC; other values are used as they are."""
    if _payload(value, INSTANT) is not None:
        return make_zoned(instant_nanos(value, fn), UTC, fn)
    return value


@time.native("parse", 1, core=False)
@err_on_refusal
def parse(text: Any) -> Tagged:
    return parse_plain(expect_text("::hot::time/parse", text), "::hot::time/parse")


def _calendar_add(day: date, years: int, months: int, days: int, fn: str) -> date:
    month_index = day.year * 12 + (day.month - 1) + years * 12 + months
    year, month = divmod(month_index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise Refused(f"{fn}: the result is outside the years 1 to 9999")
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day if year < 9999 or month < 12 else 31
    moved = date(year, month, min(day.day, last))
    ordinal = moved.toordinal() + days
    if not date.min.toordinal() <= ordinal <= date.max.toordinal():
        raise Refused(f"{fn}: the result is outside the years 1 to 9999")
    return date.fromordinal(ordinal)


def _time_nanos(fields: dict[str, int]) -> int:
    return sum(fields[name] * size for name, size in TIME_UNITS.items())


def add_duration(value: Any, fields: dict[str, int], fn: str) -> Tagged:
    calendar = (fields["years"], fields["months"], fields["weeks"] * 7 + fields["days"])
    exact = _time_nanos(fields)
    if _payload(value, INSTANT) is not None:
        if any(calendar):
            raise Refused(
                f"{fn}: an Instant has no calendar, so years, months, weeks and days cannot be added; "
                "use hours, or convert to a ZonedDateTime or PlainDateTime"
            )
        return make_instant(instant_nanos(value, fn) + exact, fn)
    fields_time = _payload(value, PLAIN_TIME)
    if fields_time is not None:
        clock = read_clock(fields_time, fn)
        return make_time(from_local_nanos((local_nanos(date(1970, 1, 1), clock) + exact) % DAY, fn)[1])
    kind, day, clock = wall_clock(value, fn)
    moved = _calendar_add(day, *calendar, fn)
    if kind == ZONED:
        zone = zoned_zone(value, fn)
        return make_zoned(resolve_local(moved, clock, zone, fn) + exact, zone, fn)
    return make_date_time(*from_local_nanos(local_nanos(moved, clock) + exact, fn))


@time.native("add", 2, core=False)
@err_on_refusal
def add(value: Any, duration: Any) -> Tagged:
    """Calendar arithmetic: years and months first (the day clamped to the month's end), then days, then time.

    A PlainDate is promoted to a PlainDateTime at midnight; an Instant takes time units only."""
    fn = "::hot::time/add"
    return add_duration(value, read_duration(_as_duration(duration, fn), fn), fn)


@time.native("subtract", 2, core=False)
@err_on_refusal
def subtract(value: Any, duration: Any) -> Tagged:
    fields = read_duration(_as_duration(duration, "::hot::time/subtract"), "::hot::time/subtract")
    return add_duration(value, {name: -part for name, part in fields.items()}, "::hot::time/subtract")


def _as_duration(value: Any, fn: str) -> Any:
    """A Duration, or one built from an ISO text, a Map or a time unit such as Second(5)."""
    if _payload(value, DURATION) is not None:
        return value
    if type(value) in (str, dict) or unit_nanos(value) is not None:
        return construct_duration(value)
    raise Refused(f"{fn} expects a Duration (or an ISO 8601 Str, a Map of fields, a unit such as Second(5)), "
                  f"got {type_name(value)}")


def _difference(start: Any, end: Any, fn: str) -> tuple[int, bool]:
    """Nanoseconds from ``start`` to ``end``, and whether they are times of day (largest unit hours)."""
    kinds = {type(value) is Tagged and value.type_path for value in (start, end)}
    if kinds <= {INSTANT, ZONED}:
        return instant_nanos(end, fn) - instant_nanos(start, fn), False
    start_time, end_time = _payload(start, PLAIN_TIME), _payload(end, PLAIN_TIME)
    if start_time is not None and end_time is not None:
        return (
            local_nanos(date(1970, 1, 1), read_clock(end_time, fn))
            - local_nanos(date(1970, 1, 1), read_clock(start_time, fn))
        ), True
    if kinds <= {PLAIN_DATE, PLAIN_DATE_TIME}:
        _k1, day1, clock1 = wall_clock(start, fn)
        _k2, day2, clock2 = wall_clock(end, fn)
        return local_nanos(day2, clock2) - local_nanos(day1, clock1), False
    raise Refused(
        f"{fn} expects two values of one kind (Instant, PlainDate[Time], PlainTime or ZonedDateTime), got "
        f"{type_name(start)} and {type_name(end)}"
    )


def _balanced_duration(nanos: int, *, days: bool) -> Tagged:
    sign = -1 if nanos < 0 else 1
    whole_days, rest = divmod(abs(nanos), DAY) if days else (0, abs(nanos))
    fields = {"days": whole_days, **_balance_time(rest)}
    return make_duration({name: sign * value for name, value in fields.items()})


@time.native("until", 2, core=False)
@err_on_refusal
def until(start: Any, end: Any) -> Tagged:
    """The Duration from ``start`` to ``end``, in days and smaller units (hours for two PlainTimes)."""
    nanos, clock_only = _difference(start, end, "::hot::time/until")
    return _balanced_duration(nanos, days=not clock_only)


@time.native("since", 2, core=False)
@err_on_refusal
def since(start: Any, end: Any) -> Tagged:
    """``until`` with the sign reversed: how long ``start`` is after ``end``."""
    nanos, clock_only = _difference(start, end, "::hot::time/since")
    return _balanced_duration(-nanos, days=not clock_only)


@time.native("start-of-day", 1, core=False)
@err_on_refusal
def start_of_day(value: Any) -> Tagged:
    return make_date_time(
        wall_clock(_zoned_or_utc(value, "::hot::time/start-of-day"), "::hot::time/start-of-day")[1], (0, 0, 0, 0)
    )


@time.native("end-of-day", 1, core=False)
@err_on_refusal
def end_of_day(value: Any) -> Tagged:
    return make_date_time(
        wall_clock(_zoned_or_utc(value, "::hot::time/end-of-day"), "::hot::time/end-of-day")[1], (23, 59, 59, 0)
    )


_UNIX = re.compile(r"[+-]?\d{1,19}")


@time.native("within-seconds-of-now", 2, core=False)
@err_on_refusal
def within_seconds_of_now(stamp: Any, tolerance: Any) -> bool:
    """Whether Unix seconds ``stamp`` (an Int or a numeric Str) is at most ``tolerance`` seconds from now."""
    fn = "::hot::time/within-seconds-of-now"
    if type(tolerance) not in (int, Decimal):
        raise Refused(f"{fn} expects the tolerance in seconds as a number, got {type_name(tolerance)}")
    if type(stamp) is str and _UNIX.fullmatch(stamp):
        stamp = int(stamp)
    if type(stamp) is not int:
        return False
    return bool(abs(_now_nanos() // SECOND - stamp) <= tolerance)


@time.native("compare", 2, core=False)
@err_on_refusal
def compare(left: Any, right: Any) -> int:
    """-1, 0 or 1 as ``left`` is before, equal to or after ``right`` (Temporal's ``compare``)."""
    fn = "::hot::time/compare"
    nanos, _clock = _difference(right, left, fn)
    return (nanos > 0) - (nanos < 0)


_TOKENS = re.compile(r"\[([^\]]*)\]|YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd|HH|H|hh|h|mm|ss|SSS|A|a|z|Z|X")


def _format_parts(value: Any, fn: str) -> tuple[date, Clock, str, str, int | None]:
    """Date, time, zone abbreviation, offset and Unix seconds (None for plain values) of a value to format."""
    if _payload(value, INSTANT) is not None:
        nanos = instant_nanos(value, fn)
        day, clock = from_local_nanos(nanos, fn)
        return day, clock, "UTC", "+00:00", nanos // SECOND
    if _payload(value, ZONED) is not None:
        nanos = instant_nanos(value, fn)
        zone = zoned_zone(value, fn)
        aware = _aware(nanos, zone, fn)
        _kind, day, clock = wall_clock(value, fn)
        return (
            day,
            clock,
            aware.tzname() or _zone_name(zone),
            _offset_text(aware.utcoffset() or timedelta(0)),
            nanos // SECOND,
        )
    fields = _payload(value, PLAIN_TIME)
    if fields is not None:
        return date(1970, 1, 1), read_clock(fields, fn), "", "", None
    _kind, day, clock = wall_clock(value, fn)
    return day, clock, "", "", None


@time.native("format", 2, core=False)
@err_on_refusal
def format_(value: Any, pattern: Any) -> str:
    """Format with dayjs-style tokens (English names); ``[text]`` is written as is.

    An Instant is formatted in UTC; ``z``/``Z`` are empty for plain values, and ``X`` (Unix
    seconds) too."""
    fn = "::hot::time/format"
    template = expect_text(fn, pattern, "a pattern Str")
    day, (hour, minute, second, sub), zone, offset, unix = _format_parts(value, fn)
    hour12 = hour % 12 or 12
    tokens = {
        "YYYY": f"{day.year:04d}",
        "YY": f"{day.year % 100:02d}",
        "MMMM": MONTHS[day.month - 1],
        "MMM": MONTHS[day.month - 1][:3],
        "MM": f"{day.month:02d}",
        "M": str(day.month),
        "DD": f"{day.day:02d}",
        "D": str(day.day),
        "dddd": WEEKDAYS[day.weekday()],
        "ddd": WEEKDAYS[day.weekday()][:3],
        "HH": f"{hour:02d}",
        "H": str(hour),
        "hh": f"{hour12:02d}",
        "h": str(hour12),
        "mm": f"{minute:02d}",
        "ss": f"{second:02d}",
        "SSS": f"{sub // 1_000_000:03d}",
        "A": "AM" if hour < 12 else "PM",
        "a": "am" if hour < 12 else "pm",
        "z": zone,
        "Z": offset,
        "X": "" if unix is None else str(unix),
    }
    text = _TOKENS.sub(lambda match: match.group(1) if match.group(1) is not None else tokens[match.group()], template)
    return check_text(text, fn)
