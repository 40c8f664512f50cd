"""English schedules ("every day at 9am", "at noon every Sunday") converted to 7-field cron.

Pure code. The grammar is small and token based (platform-spec §4.2): a phrase is a bag of
clauses — an interval (`every 15 minutes`), clock times (`at 4:30 pm`, `noon`), an hour
window (`between 6:00 am and 9:00 am`), weekdays (`Monday through Friday`, `weekends`),
days of the month (`the 1st and 15th`), months (`from January to March`, `in September`)
and years (`in 2020 and 2024`). Filler words (`every`, `run`, `at`, `on`, `the`, …) carry
no meaning. Anything else is rejected with a sentence naming the word that was not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.scheduler.cron import MONTHS, WEEKDAYS

SUB_SECOND = re.compile(
    r"(?<![a-z])(ms|msecs?|milliseconds?|us|usecs?|microseconds?|ns|nsecs?|nanoseconds?)(?![a-z])", re.I)

_UNITS = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second",
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour",
    "day": "day", "days": "day",
    "week": "week", "weeks": "week",
    "month": "month", "months": "month",
}
_ADVERBS = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
_BARE_NICKNAMES = {"hourly": "@hourly", "daily": "@daily", "weekly": "@weekly", "monthly": "@monthly",
                   "yearly": "@yearly", "annually": "@annually"}
_FILLER = frozenset({"every", "each", "run", "at", "on", "the", "of", "only", "in", "a", "an", "from",
                     "starting", "this", "job", "once", "per"})
_RANGE_WORDS = frozenset({"to", "through", "thru", "till", "until", "-"})
_MONTH_NAMES = {name.lower(): i for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"))}
_WEEKDAY_NAMES = {name.lower(): i for i, name in enumerate(
    ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))}

_CLOCK_12 = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\b\.?", re.I)
_CLOCK_24 = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_ORDINAL = re.compile(r"^(\d{1,2})(st|nd|rd|th)$")


class EnglishError(ValueError):
    """A phrase the English grammar does not understand; the message says what was wrong."""


@dataclass
class _Token:
    kind: str    # time, ordinal, number, unit, adverb, month, weekday, weekend, weekdays, range, and, between
    value: int = 0
    text: str = ""
    minute: int = 0


@dataclass
class _Phrase:
    """What the clauses of a phrase said, before it becomes cron."""

    intervals: list[tuple[int, str]] = field(default_factory=list)  # (n, unit); n=0: no number given
    times: list[tuple[int, int]] = field(default_factory=list)
    hour_window: tuple[int, int] | None = None
    weekdays: list[str] = field(default_factory=list)
    days: list[int] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


def _weekday_token(word: str) -> int | None:
    stem = word[:-1] if word.endswith("s") and word[:-1] in _WEEKDAY_NAMES else word
    if stem in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[stem]
    if len(stem) >= 3:
        for name, index in _WEEKDAY_NAMES.items():
            if name.startswith(stem) and stem[:3] == WEEKDAYS[index].lower():
                return index
    return None


def _month_token(word: str) -> int | None:
    if word in _MONTH_NAMES:
        return _MONTH_NAMES[word]
    if len(word) >= 3:
        for name, index in _MONTH_NAMES.items():
            if name.startswith(word) and word[:3] == MONTHS[index].lower():
                return index
    return None


def _clock(hour: int, minute: int, meridiem: str | None, text: str) -> tuple[int, int]:
    if meridiem:
        if not 1 <= hour <= 12:
            raise EnglishError(f"'{text}' is not a time of day (hours run 1-12 with am/pm)")
        hour = hour % 12 + (12 if meridiem.lower() == "p" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise EnglishError(f"'{text}' is not a time of day")
    return hour, minute


def _tokenize(phrase: str) -> list[_Token]:
    times: list[tuple[int, int]] = []

    def keep(hour: int, minute: int) -> str:
        times.append((hour, minute))
        return f" \x00{len(times) - 1} "

    text = phrase.lower().replace(",", " ")
    text = _CLOCK_12.sub(lambda m: keep(*_clock(int(m[1]), int(m[2] or 0), m[3], m[0].strip())), text)
    text = _CLOCK_24.sub(lambda m: keep(*_clock(int(m[1]), int(m[2]), None, m[0])), text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " - ", text)
    tokens: list[_Token] = []
    for word in text.split():
        if word.startswith("\x00"):
            hour, minute = times[int(word[1:])]
            tokens.append(_Token("time", hour, word, minute))
        elif word in ("noon", "midday"):
            tokens.append(_Token("time", 12, word))
        elif word == "midnight":
            tokens.append(_Token("time", 0, word))
        elif word in _UNITS:
            tokens.append(_Token("unit", text=_UNITS[word]))
        elif word in _ADVERBS:
            tokens.append(_Token("adverb", text=_ADVERBS[word]))
        elif word in ("weekend", "weekends"):
            tokens.append(_Token("weekend", text=word))
        elif word in ("weekday", "weekdays"):
            tokens.append(_Token("weekdays", text=word))
        elif word in _RANGE_WORDS:
            tokens.append(_Token("range", text=word))
        elif word in ("and", "&"):
            tokens.append(_Token("and", text=word))
        elif word == "between":
            tokens.append(_Token("between", text=word))
        elif word.isdigit():
            tokens.append(_Token("number", int(word), word))
        elif (ordinal := _ORDINAL.match(word)) is not None:
            tokens.append(_Token("ordinal", int(ordinal[1]), word))
        elif (wd := _weekday_token(word)) is not None:
            tokens.append(_Token("weekday", wd, word))
        elif (mo := _month_token(word)) is not None:
            tokens.append(_Token("month", mo, word))
        elif word in _FILLER:
            continue
        else:
            raise EnglishError(f"the word '{word}' is not part of a supported schedule")
    return tokens


def _range_or_list(tokens: list[_Token], i: int, kind: str) -> tuple[list[tuple[int, int]], int]:
    """Items of `kind` joined by `and` or a range word, from index i; returns (ranges, next index)."""
    spans = [(tokens[i].value, tokens[i].value)]
    i += 1
    while i + 1 < len(tokens) and tokens[i + 1].kind == kind and tokens[i].kind in ("range", "and"):
        if tokens[i].kind == "range":
            spans[-1] = (spans[-1][0], tokens[i + 1].value)
        else:
            spans.append((tokens[i + 1].value, tokens[i + 1].value))
        i += 2
    while i < len(tokens) and tokens[i].kind == kind:  # "1st 15th" without a joiner
        spans.append((tokens[i].value, tokens[i].value))
        i += 1
    return spans, i


def _named(spans: list[tuple[int, int]], names: tuple[str, ...], what: str) -> list[str]:
    parts = []
    for start, end in spans:
        if start == end:
            parts.append(names[start])
        elif start < end:
            parts.append(f"{names[start]}-{names[end]}")
        else:
            raise EnglishError(f"the {what} range {names[start]} to {names[end]} runs backwards")
    return parts


def _read(tokens: list[_Token]) -> _Phrase:
    out = _Phrase()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "number" and nxt is not None and nxt.kind == "unit":
            if tok.value <= 0:
                raise EnglishError(f"an interval of {tok.value} {nxt.text}s never fires")
            out.intervals.append((tok.value, nxt.text))
            i += 2
        elif tok.kind == "number" and 1970 <= tok.value <= 2199:
            spans, i = _range_or_list(tokens, i, "number")
            for start, end in spans:
                out.years.extend(range(start, end + 1))
        elif tok.kind == "number":
            raise EnglishError(f"the number {tok.value} is not followed by a unit such as minutes or days")
        elif tok.kind == "unit" or tok.kind == "adverb":
            out.intervals.append((0, tok.text))
            i += 1
        elif tok.kind == "ordinal" and nxt is not None and nxt.kind == "unit" and nxt.text == "day":
            out.days.append(tok.value)  # "the 2nd day of the month"
            i += 2
        elif tok.kind == "ordinal":
            spans, i = _range_or_list(tokens, i, "ordinal")
            for start, end in spans:
                out.days.extend(range(start, end + 1))
        elif tok.kind == "weekday":
            spans, i = _range_or_list(tokens, i, "weekday")
            out.weekdays.extend(_named(spans, WEEKDAYS, "weekday"))
        elif tok.kind == "weekend":
            out.weekdays.extend(["SAT", "SUN"])
            i += 1
        elif tok.kind == "weekdays":
            out.weekdays.append("MON-FRI")
            i += 1
        elif tok.kind == "month":
            spans, i = _range_or_list(tokens, i, "month")
            out.months.extend(_named(spans, MONTHS, "month"))
        elif tok.kind == "between" or (tok.kind == "time" and nxt is not None and nxt.kind == "range"):
            start = i + 1 if tok.kind == "between" else i
            if start + 2 >= len(tokens) or tokens[start].kind != "time" \
                    or tokens[start + 1].kind not in ("and", "range") or tokens[start + 2].kind != "time":
                raise EnglishError("a time window reads 'between 6:00 am and 9:00 am'")
            first, last = tokens[start].value, tokens[start + 2].value
            if first > last:
                raise EnglishError("the time window ends before it starts")
            out.hour_window = (first, last)
            i = start + 3
        elif tok.kind == "time":
            out.times.append((tok.value, tok.minute))
            i += 1
        elif tok.kind == "and":
            i += 1
        else:
            raise EnglishError(f"'{tok.text}' is out of place")
    return out


def _interval(phrase: _Phrase) -> tuple[int, str] | None:
    """The finest interval named; coarser ones ("every month" after "every 10 minutes") add nothing."""
    order = ("second", "minute", "hour", "day", "week", "month")
    if not phrase.intervals:
        return None
    return min(phrase.intervals, key=lambda item: order.index(item[1]))


def _cron(phrase: _Phrase) -> str:
    sec, minute, hour, dom, month, dow, year = "0", "0", "0", "*", "*", "?", "*"
    interval = _interval(phrase)
    unit = interval[1] if interval else None
    n = interval[0] if interval else 0
    if unit == "second":
        sec, minute, hour = ("*" if n <= 1 else f"0/{n}"), "*", "*"
    elif unit == "minute":
        minute, hour = ("*" if n <= 1 else f"0/{n}"), "*"
    elif unit == "hour":
        hour = "*" if n == 0 else f"0/{n}"
    elif unit == "day":
        dom = f"*/{max(n, 1)}"
    elif unit == "week":
        if n > 1:
            raise EnglishError("'every N weeks' cannot be written as cron; use weekdays or days of the month")
        if not phrase.weekdays:
            phrase.weekdays.append("SUN")
    elif unit == "month":
        if n > 1:
            month = f"*/{n}"
        if not phrase.days and not phrase.weekdays:
            dom = "1"
    if phrase.times:
        if unit in ("second", "minute", "hour"):
            raise EnglishError("a clock time cannot be combined with an interval shorter than a day")
        minutes = {m for _, m in phrase.times}
        if len(minutes) > 1:
            raise EnglishError("clock times with different minutes cannot share one schedule")
        hour = ",".join(str(h) for h in sorted({h for h, _ in phrase.times}))
        minute = str(minutes.pop())
    if phrase.hour_window is not None:
        if unit not in ("second", "minute", "hour"):
            raise EnglishError("a time window needs an interval such as 'every 5 minutes'")
        first, last = phrase.hour_window
        window = f"{first}-{last}" if first != last else str(first)
        hour = window if hour == "*" else f"{first}-{last}/{hour.split('/')[1]}"
    if phrase.days:
        if phrase.weekdays:
            raise EnglishError("a schedule cannot name both days of the month and weekdays")
        bad = [d for d in phrase.days if not 1 <= d <= 31]
        if bad:
            raise EnglishError(f"day {bad[0]} of the month does not exist")
        dom = ",".join(str(d) for d in sorted(set(phrase.days)))
    if phrase.weekdays:
        dom, dow = "?", ",".join(dict.fromkeys(phrase.weekdays))
    if phrase.months:
        month = ",".join(dict.fromkeys(phrase.months))
    if phrase.years:
        year = ",".join(str(y) for y in sorted(set(phrase.years)))
    if interval is None and not phrase.times and not phrase.weekdays and not phrase.days and not phrase.months:
        raise EnglishError("it names no interval, time, day or month")
    return f"{sec} {minute} {hour} {dom} {month} {dow} {year}"


def english_to_cron(phrase: str) -> str:
    """Convert an English schedule to 7-field cron (`sec min hour dom month dow year`).

    Raises EnglishError with a sentence naming what was not understood.
    """
    text = " ".join(phrase.strip().split())
    if not text:
        raise EnglishError("the schedule is empty")
    unit = SUB_SECOND.search(text)
    if unit is not None:
        raise EnglishError(f"sub-second units such as '{unit[0]}' are not supported; the finest unit is a second")
    nickname = _BARE_NICKNAMES.get(text.lower())
    if nickname is not None:
        return nickname
    return _cron(_read(_tokenize(text)))
