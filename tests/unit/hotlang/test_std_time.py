"""``::hot::time`` values (integrations-spec §4.8): Instant, Plain*, ZonedDateTime and Duration,
their arithmetic, text forms, parsing, comparisons and JSON round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hotlang import HotRuntimeError, RecordingHost, load_program
from hotlang.runtime.values import Tagged
from hotlang.tools.cli import main
from tests.unit.hotlang.stdns import err_text, hot

CLOCK = datetime(2024, 3, 10, 7, 30, 15, 123456, tzinfo=UTC)
"""The host's clock in these tests: 1710055815.123456 seconds after the epoch."""


def at(expr: str) -> Any:
    return hot(expr, clock=CLOCK)


def test_existing_functions_keep_their_behaviour() -> None:
    assert at("::time/now()") == "2024-03-10T07:30:15.123456+00:00"
    assert at("::time/epoch-millis(0)") == "1970-01-01T00:00:00+00:00"
    assert at("::time/to-nanos(::time/Second(2))") == 2_000_000_000
    assert at("Int(::time/Nanosecond(5000))") == 5000
    assert at("Int(::time/Month(3))") == 3


def test_instant_now_and_epoch_readers() -> None:
    now = at("::time/Instant()")
    assert type(now) is Tagged and now.type_path == "::hot::time/Instant"
    assert now.payload == {"epochNanoseconds": 1_710_055_815_123_456_000}
    assert at("::time/epoch-millis(::time/Instant())") == 1_710_055_815_123
    assert at("::time/epoch-nanos(::time/Instant())") == 1_710_055_815_123_456_000
    assert at("::time/epoch-seconds()") == 1_710_055_815
    assert at("::time/epoch-millis(::time/Instant(::time/Nanosecond(-5500000)))") == -5  # truncated
    assert "expects an Instant" in err_text(at("::time/epoch-nanos(5)"))


def test_instant_constructors() -> None:
    assert at("::time/epoch-nanos(::time/Instant(::time/Millisecond(1700000000123)))") == 1_700_000_000_123_000_000
    assert at("::time/epoch-nanos(::time/Instant(::time/Microsecond(5)))") == 5000
    assert at("Str(::time/Instant(::time/PlainDate(2024, 1, 1)))") == "2024-01-01T00:00:00Z"
    assert at("Str(::time/Instant(::time/PlainDateTime(2024, 1, 1, 10, 20, 30)))") == "2024-01-01T10:20:30Z"
    assert at("Str(::time/Instant(::time/PlainTime(1, 2, 3)))") == "1970-01-01T01:02:03Z"
    assert at('Str(::time/Instant("2024-01-01T00:00:00+01:00"))') == "2023-12-31T23:00:00Z"
    assert at('::time/epoch-nanos(::time/Instant("2024-01-01T00:00:00.5Z"))') == 1_704_067_200_500_000_000
    assert "with Z or an offset" in err_text(at('::time/Instant("2024-01-01T00:00:00")'))
    assert "Millisecond(n)" in err_text(at("::time/Instant(5)"))
    assert "outside the supported range" in err_text(at("::time/Instant(::time/Day(200000000))"))


def test_str_of_an_instant_is_whole_seconds_utc() -> None:
    assert at("Str(::time/Instant())") == "2024-03-10T07:30:15Z"
    assert at("`at ${::time/Instant(::time/Second(0))}`") == "at 1970-01-01T00:00:00Z"


def test_plain_values_default_to_now_in_utc() -> None:
    assert at("Str(::time/PlainDate())") == "2024-03-10"
    assert at("Str(::time/PlainTime())") == "07:30:15"
    assert at("Str(::time/PlainDateTime())") == "2024-03-10T07:30:15"
    assert at("::time/PlainTime().millisecond") == 123
    assert at("::time/PlainTime().microsecond") == 456


def test_plain_constructors_and_their_fields() -> None:
    assert at("::time/PlainDate(2024, 12, 25)").payload == {"year": 2024, "month": 12, "day": 25, "calendar": "iso8601"}
    assert at("::time/PlainTime(10, 30, 5)").payload == {
        "hour": 10,
        "minute": 30,
        "second": 5,
        "millisecond": 0,
        "microsecond": 0,
        "nanosecond": 0,
    }
    assert at("Str(::time/PlainDateTime(2024, 2, 29, 23, 59, 1))") == "2024-02-29T23:59:01"
    assert at('Str(::time/PlainDate("2024-12-25"))') == "2024-12-25"
    assert at('Str(::time/PlainTime("10:30"))') == "10:30:00"
    assert at('Str(::time/PlainDateTime("2024-12-25T10:30:00.250"))') == "2024-12-25T10:30:00"
    assert at('::time/PlainDateTime("2024-12-25T10:30:00.250").millisecond') == 250
    assert at("::time/PlainDate(::time/PlainDateTime(2024, 2, 29, 10, 0, 0)).day") == 29


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("::time/PlainDate(2023, 2, 29)", "invalid date 2023-02-29"),
        ("::time/PlainDate(10000, 1, 1)", "invalid date"),
        ("::time/PlainTime(24, 0, 0)", "invalid time 24:00:00"),
        ('::time/PlainDate("12/25/2024")', "cannot read"),
        ('::time/PlainDateTime("2024-12-25T10:00:00Z")', "no Z"),
        ('::time/PlainDate("2024", 1, 1)', "expects Int fields"),
    ],
)
def test_invalid_plain_values_are_err_values(expr: str, message: str) -> None:
    assert message in err_text(at(expr))


def test_zoned_date_times() -> None:
    assert at('Str(::time/now-zoned("America/Chicago"))') == "2024-03-10T01:30:15-06:00[America/Chicago]"
    zoned = at('::time/ZonedDateTime(::time/Instant(::time/Second(0)), "Asia/Kolkata")')
    assert type(zoned) is Tagged and zoned.payload["offset"] == "+05:30" and zoned.payload["hour"] == 5
    assert zoned.payload["timezone"] == "Asia/Kolkata" and zoned.payload["epochNanoseconds"] == 0
    assert at(
        'Str(::time/with-timezone(::time/ZonedDateTime("2024-07-04T12:00:00-05:00[America/Chicago]"), "UTC"))'
    ) == ("2024-07-04T17:00:00+00:00[UTC]")
    assert at('Str(::time/to-instant(::time/ZonedDateTime("2024-07-04T12:00:00-05:00[America/Chicago]")))') == (
        "2024-07-04T17:00:00Z"
    )
    assert at('Str(::time/to-plain-date-time(::time/ZonedDateTime("2024-07-04T12:00:00-05:00[America/Chicago]")))') == (
        "2024-07-04T12:00:00"
    )
    assert at("Str(::time/to-plain-date(::time/Instant(::time/Second(0))))") == "1970-01-01"
    assert at("Str(::time/to-plain-time(::time/Instant(::time/Second(61))))") == "00:01:01"
    assert "unknown time zone 'Mars/Base'" in err_text(at('::time/now-zoned("Mars/Base")'))


def test_zoned_wall_clock_in_a_gap_moves_forward_and_in_an_overlap_takes_the_earlier_offset() -> None:
    gap = '::time/ZonedDateTime(::time/PlainDateTime(2024, 3, 10, 2, 30, 0), "America/Chicago")'
    assert at(f"Str({gap})") == "2024-03-10T03:30:00-05:00[America/Chicago]"
    overlap = '::time/ZonedDateTime(::time/PlainDateTime(2024, 11, 3, 1, 30, 0), "America/Chicago")'
    assert at(f"Str({overlap})") == "2024-11-03T01:30:00-05:00[America/Chicago]"
    later = '::time/ZonedDateTime("2024-11-03T01:30:00-06:00[America/Chicago]")'
    assert at(f"Str({later})") == "2024-11-03T01:30:00-06:00[America/Chicago]"
    assert "not valid for America/Chicago" in err_text(
        at('::time/ZonedDateTime("2024-11-03T01:30:00-07:00[America/Chicago]")')
    )


def test_durations_parse_and_print_as_iso_8601() -> None:
    assert at('Str(::time/Duration("P1Y2M3W4DT5H6M7.008009010S"))') == "P1Y2M3W4DT5H6M7.00800901S"
    assert at('::time/Duration("P1Y2M3W4DT5H6M7.008009010S").nanoseconds') == Decimal("10.0")
    assert at('Str(::time/Duration("-P1D"))') == "-P1D"
    assert at('Str(::time/Duration("PT1.5H"))') == "PT1H30M"
    assert at('Str(::time/Duration("PT90M"))') == "PT90M"
    assert at("Str(::time/Duration())") == "PT0S"
    assert at("Str(::time/Duration(::time/Second(90)))") == "PT1M30S"
    for bad in ("P", "PT", "P1DT", "1D", "PT1.5H30M", "P1.5D"):
        assert "Unable to parse ISO 8601 duration" in err_text(at(f'::time/Duration("{bad}")')), bad


def test_duration_fields_are_decs_and_weeks_and_sub_seconds_count() -> None:
    assert at("::time/hours(2).hours") == Decimal("2.0")
    assert at("Str(::time/weeks(2))") == "P2W"  # upstream: a zero duration; ours honours weeks
    assert at("Str(::time/Duration({weeks: 1, milliseconds: 500}))") == "P1WT0.5S"
    assert at("Str(::time/Duration({hours: 1, minutes: 1.0}))") == "PT1H1M"
    assert "must not mix positive and negative" in err_text(at("::time/Duration({hours: 1, minutes: -5})"))
    assert "unknown Duration field 'fortnights'" in err_text(at("::time/Duration({fortnights: 1})"))
    assert "must be an Int" in err_text(at("::time/Duration({hours: 1.5})"))
    assert [at(f"Str(::time/{unit}(3))") for unit in ("years", "months", "days", "minutes", "seconds")] == [
        "P3Y",
        "P3M",
        "P3D",
        "PT3M",
        "PT3S",
    ]


def test_calendar_arithmetic_on_plain_values() -> None:
    assert at("Str(::time/add(::time/PlainDate(2024, 1, 31), ::time/months(1)))") == "2024-02-29T00:00:00"
    assert at("Str(::time/subtract(::time/PlainDate(2024, 3, 31), ::time/months(1)))") == "2024-02-29T00:00:00"
    assert at("Str(::time/add(::time/PlainDateTime(2024, 2, 29, 23, 0, 0), ::time/years(1)))") == "2025-02-28T23:00:00"
    assert at("Str(::time/add(::time/PlainDateTime(2024, 12, 31, 23, 0, 0), ::time/hours(2)))") == (
        "2025-01-01T01:00:00"
    )
    assert at('Str(::time/add(::time/PlainDateTime(2024, 1, 1, 0, 0, 0), "P1M2W3DT4H"))') == "2024-02-18T04:00:00"
    assert at("Str(::time/add(::time/PlainTime(23, 30, 0), ::time/hours(1)))") == "00:30:00"
    assert "outside the years 1 to 9999" in err_text(at("::time/add(::time/PlainDate(9999, 12, 1), ::time/months(1))"))
    assert "expects a Duration" in err_text(at("::time/add(::time/PlainDate(2024, 1, 1), 5)"))


def test_instant_arithmetic_takes_exact_units_only() -> None:
    assert at("Str(::time/add(::time/Instant(::time/Second(0)), ::time/hours(1)))") == "1970-01-01T01:00:00Z"
    assert at("Str(::time/subtract(::time/Instant(::time/Second(0)), ::time/Second(1)))") == "1969-12-31T23:59:59Z"
    assert "an Instant has no calendar" in err_text(at("::time/add(::time/Instant(::time/Second(0)), ::time/days(1))"))


def test_zoned_arithmetic_days_follow_the_wall_clock_hours_the_exact_time() -> None:
    noon = '::time/ZonedDateTime("2024-03-09T12:00:00-06:00[America/Chicago]")'
    assert at(f"Str(::time/add({noon}, ::time/days(1)))") == "2024-03-10T12:00:00-05:00[America/Chicago]"
    assert at(f"Str(::time/add({noon}, ::time/hours(24)))") == "2024-03-10T13:00:00-05:00[America/Chicago]"


def test_until_and_since_balance_up_to_days() -> None:
    assert at("Str(::time/until(::time/PlainDate(2024, 1, 1), ::time/PlainDate(2025, 1, 1)))") == "P366D"
    start, end = "::time/PlainDateTime(2024, 1, 1, 0, 0, 0)", "::time/PlainDateTime(2024, 1, 2, 3, 4, 5)"
    assert at(f"Str(::time/until({start}, {end}))") == "P1DT3H4M5S"
    assert at(f"Str(::time/since({start}, {end}))") == "-P1DT3H4M5S"
    assert at("Str(::time/until(::time/Instant(::time/Second(0)), ::time/Instant(::time/Millisecond(90061001))))") == (
        "P1DT1H1M1.001S"
    )
    assert at("Str(::time/until(::time/PlainTime(10, 0, 0), ::time/PlainTime(9, 30, 0)))") == "-PT30M"
    assert "two values of one kind" in err_text(at("::time/until(::time/PlainDate(2024, 1, 1), ::time/Instant())"))


def test_start_and_end_of_day() -> None:
    assert at("Str(::time/start-of-day(::time/PlainDateTime(2024, 2, 29, 23, 0, 0)))") == "2024-02-29T00:00:00"
    assert at("Str(::time/end-of-day(::time/PlainDate(2024, 2, 29)))") == "2024-02-29T23:59:59"


def test_within_seconds_of_now() -> None:
    assert at("::time/within-seconds-of-now(1710055815, 0)") is True
    assert at('::time/within-seconds-of-now("1710055515", 300)') is True
    assert at('::time/within-seconds-of-now("1710056115", 300)') is True
    assert at('::time/within-seconds-of-now("1710055514", 300)') is False
    assert at('::time/within-seconds-of-now("1710056116", 300)') is False
    assert at('::time/within-seconds-of-now("abc", 300)') is False
    assert at("::time/within-seconds-of-now(null, 300)") is False
    assert "tolerance" in err_text(at('::time/within-seconds-of-now(1, "x")'))


def test_parse_tries_date_time_then_time_then_date() -> None:
    assert at('::time/parse("2024-12-25")').type_path == "::hot::time/PlainDate"  # ours: a date stays a date
    assert at('Str(::time/parse("2024-12-25T10:00:00"))') == "2024-12-25T10:00:00"
    assert at('::time/parse("2024-12-25T10:00:00")').type_path == "::hot::time/PlainDateTime"
    assert at('::time/parse("10:30")').type_path == "::hot::time/PlainTime"
    assert at('Str(::time/parse("2024-12-25T10:00:00Z"))') == "2024-12-25T10:00:00Z"
    assert at('::time/parse("2024-12-25T10:00:00Z")').type_path == "::hot::time/Instant"
    assert at('::time/parse("2024-12-25T10:00:00+01:00[Europe/Paris]")').type_path == "::hot::time/ZonedDateTime"
    assert err_text(at('::time/parse("nope")')).startswith(
        "::hot::time/parse: Unable to parse string as temporal object"
    )
    assert "expects a Str" in err_text(at("::time/parse(5)"))


def test_format_tokens() -> None:
    zoned = '::time/ZonedDateTime("2024-07-04T15:05:09.123-05:00[America/Chicago]")'
    assert at(f'::time/format({zoned}, "ddd, MMM D, YYYY hh:mm:ss.SSS a z Z X [YYYY]")') == (
        "Thu, Jul 4, 2024 03:05:09.123 pm CDT -05:00 1720123509 YYYY"
    )
    assert at(f'::time/format({zoned}, "dddd MMMM DD YY H h A")') == "Thursday July 04 24 15 3 PM"
    assert at('::time/format(::time/PlainDate(2024, 7, 4), "dddd DD/MM/YY M/D")') == "Thursday 04/07/24 7/4"
    assert at('::time/format(::time/Instant(::time/Second(0)), "YYYY-MM-DD HH:mm z Z X")') == (
        "1970-01-01 00:00 UTC +00:00 0"
    )
    assert at('::time/format(::time/PlainTime(0, 5, 0), "h:mm A")') == "12:05 AM"
    assert "expects a PlainDate" in err_text(at('::time/format(5, "YYYY")'))


def test_comparisons() -> None:
    one, two = "::time/Instant(::time/Nanosecond(1))", "::time/Instant(::time/Nanosecond(2))"
    assert at(f"lt({one}, {two})") is True
    assert at(f"gt({one}, {two})") is False
    assert at(f"eq({one}, ::time/Instant(::time/Nanosecond(1)))") is True
    ordered = at(
        "sort([::time/Instant(::time/Second(3)), ::time/Instant(::time/Second(1)), ::time/Instant(::time/Second(2))])"
    )
    assert [value.payload["epochNanoseconds"] for value in ordered] == [1_000_000_000, 2_000_000_000, 3_000_000_000]
    # sub-second order is not lost to the whole-second text form
    assert at("lt(::time/Instant(::time/Millisecond(1500)), ::time/Instant(::time/Millisecond(1700)))") is True
    assert at("lt(::time/PlainDate(2024, 1, 2), ::time/PlainDate(2024, 10, 1))") is True
    assert at("lt(::time/PlainTime(1, 2, 3), ::time/PlainTime(1, 2, 4))") is True
    assert at("::time/compare(::time/PlainDate(2024, 1, 2), ::time/PlainDate(2024, 1, 1))") == 1
    assert at("::time/compare(::time/Instant(), ::time/Instant())") == 0
    assert at('eq(::time/Duration("PT1H"), ::time/hours(1))') is True


@pytest.mark.parametrize(
    "expr",
    [
        "::time/Instant()",
        "::time/PlainDate(2024, 2, 29)",
        "::time/PlainTime(1, 2, 3, 4, 5, 6)",
        "::time/PlainDateTime(2024, 2, 29, 1, 2, 3)",
        '::time/now-zoned("Europe/Paris")',
        '::time/Duration("P1DT0.5S")',
    ],
)
def test_json_round_trip(expr: str) -> None:
    assert at(f"v {expr}\n  eq(v, from-json(to-json(v)))") is True


def test_annotated_parameters_take_the_time_types() -> None:
    """Parameters and results annotated with the time types, as a package would write them."""
    program = load_program(
        {
            "d.hot": """::d ns
::time ::hot::time
deadline fn (start: ::time/Instant, wait: ::time/Duration): ::time/Instant { ::time/add(start, wait) }
good fn () { ::time/epoch-nanos(deadline(::time/Instant(::time/Second(0)), ::time/minutes(5))) }
bad fn () { ::time/epoch-nanos(deadline(::time/Instant(::time/Second(0)), 5)) }
"""
        }
    )
    assert program.call("::d/good", [], host=RecordingHost()) == 300_000_000_000
    with pytest.raises(HotRuntimeError, match="::hot::time/add expects a Duration"):
        program.call("::d/bad", [], host=RecordingHost())


def test_values_print_by_their_text_inside_collections_and_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert at("Str([::time/Instant(::time/Second(0)), ::time/hours(2)])") == '["1970-01-01T00:00:00Z", "PT2H"]'
    assert at('Str({u: ::hot::uri/Uri("https://x.com/a")})') == '{u: "https://x.com/a"}'
    source = tmp_path / "show.hot"
    source.write_text("::show ns\nmain fn () {\n  {at: ::hot::time/Instant(::hot::time/Second(0))}\n}\n")
    assert main(["run", str(source)]) == 0
    assert capsys.readouterr().out.strip() == '{at: "1970-01-01T00:00:00Z"}'
