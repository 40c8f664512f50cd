"""Size limits hold before the work: every native that can grow a value refuses a bomb in a moment,
with a message naming the limit, while a value just under the limit is built as usual."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hotlang import HotLimitExceeded, HotRuntimeError, HotSyntaxError, Limits, Program, load_program

SOURCE = """::bombs ns
pow-of fn (base, n) { pow(base, n) }
square fn (x, n) { if(eq(n, 0), x, square(mul(x, x), sub(n, 1))) }
double fn (x, n) { if(eq(n, 0), x, double(add(x, x), sub(n, 1))) }
shift fn (x, n) { if(eq(n, 0), x, shift(::hot::bit/shift-left(x, 63), sub(n, 1))) }
to-int fn (n) { ::hot::bytes/to-int(::hot::bytes/from-int(1, n)) }
from-int fn (n) { length(::hot::bytes/from-int(1, n)) }
int-of fn (text) { Int(text) }
dec-int fn (text) { Int(Dec(text)) }
round-of fn (text) { round(Dec(text)) }
replace-all fn (n, with) { length(replace(pad-start("", n, "a"), "", with)) }
concat-twice fn (s, n) { if(eq(n, 0), length(s), concat-twice(concat(s, s), sub(n, 1))) }
template-twice fn (s, n) { if(eq(n, 0), length(s), template-twice(`${s}${s}`, sub(n, 1))) }
join-of fn (n, part) { length(join(map(range(n), (i) { part }), "")) }
pad fn (n) { length(pad-end("x", n)) }
upper fn (n) { length(uppercase(pad-end("", n, "ß"))) }
split-chars fn (n) { length(split(pad-end("", n, "a"), "")) }
range-of fn (n) { length(range(n)) }
range-pow fn (e) { length(range(0, pow(10, e))) }
concat-vecs fn (n) { v range(n)
  length(concat(v, v)) }
concat-bytes fn (n) { b ::hot::bytes/from-int(0, n)
  length(concat(b, b)) }
assoc-at fn (n) { length(assoc([], n, 1)) }
assign-at fn (n) {
  v []
  v[n] 1
  length(v)
}
mapcat-of fn (n) { v range(n)
  length(mapcat(v, (i) { v })) }
flatten-of fn (n) { v range(n)
  length(flatten(map(v, (i) { v }))) }
collect-of fn (n) { length(::hot::iter/collect(::hot::iter/range(0, n))) }
take-of fn (n) { length(::hot::iter/take(::hot::iter/range(0, n), n)) }
shared-str fn (n) { v range(n)
  length(Str(map(v, (i) { v }))) }
shared-json fn (n) { v range(n)
  length(to-json(map(v, (i) { v }))) }
"""


@pytest.fixture(scope="module")
def program() -> Program:
    return load_program({"bombs.hot": SOURCE})


def refused(program: Program, name: str, args: list[Any], limits: Limits | None = None) -> HotLimitExceeded:
    """Call and expect a size limit; the refusal must come quickly (the bomb itself would not finish)."""
    started = time.monotonic()
    with pytest.raises(HotLimitExceeded) as caught:
        program.call(f"::bombs/{name}", args, limits=limits)
    assert time.monotonic() - started < 5, "the bomb was built before it was refused"
    return caught.value


# -- Ints: max_int_digits ------------------------------------------------------------------


def test_pow_of_a_billion_digits_is_refused_in_microseconds(program: Program) -> None:
    started = time.perf_counter()
    error = refused(program, "pow-of", [2, 1_000_000_000])
    assert time.perf_counter() - started < 0.5
    assert str(error) == (
        "pow would produce an Int of ~301,030,000 digits, more than the limit of 100,000 digits (max_int_digits)"
    )
    assert error.limit == "max_int_digits"
    assert error.stack, "the error carries the Hot call stack"


def test_pow_just_under_the_digit_cap_works(program: Program) -> None:
    value = program.call("::bombs/pow-of", [10, 99_999])
    assert value == 10**99_999
    assert program.call("::bombs/pow-of", [1, 10**30]) == 1  # bases -1, 0, 1 never grow
    assert program.call("::bombs/pow-of", [-1, 10**30 + 1]) == -1


def test_pow_exponent_too_large_for_a_float_is_still_estimated(program: Program) -> None:
    error = refused(program, "pow-of", [3, 10**400])
    assert "max_int_digits" in str(error)


def test_repeated_squaring_stops_at_the_digit_cap(program: Program) -> None:
    error = refused(program, "square", [3, 40])
    assert str(error).startswith("mul would produce an Int of ~")
    assert program.call("::bombs/square", [3, 10]) == 3**1024


def test_add_and_shift_are_held_to_the_digit_cap(program: Program) -> None:
    small = Limits(max_int_digits=50)
    assert "add would produce an Int" in str(refused(program, "double", [1, 200], small))
    assert program.call("::bombs/double", [1, 150], limits=small) == 2**150  # 46 digits
    assert "shift-left would produce" in str(refused(program, "shift", [1, 4], small))


def test_the_digit_cap_is_configurable(program: Program) -> None:
    assert "limit of 10 digits" in str(refused(program, "pow-of", [10, 10], Limits(max_int_digits=10)))
    assert program.call("::bombs/pow-of", [10, 9], limits=Limits(max_int_digits=10)) == 10**9
    assert program.call("::bombs/pow-of", [10, 200_000], limits=Limits(max_int_digits=300_000)) == 10**200_000


def test_conversions_to_int_are_held_to_the_digit_cap(program: Program) -> None:
    assert "::hot::bytes/to-int would produce an Int" in str(refused(program, "to-int", [50_000]))
    assert program.call("::bombs/to-int", [40_000]) == 1
    assert "Int would produce an Int of ~200,000 digits" in str(refused(program, "int-of", ["9" * 200_000]))
    assert "Int would produce an Int of ~1,000,000 digits" in str(refused(program, "dec-int", ["1e999999"]))
    assert "round would produce" in str(refused(program, "round-of", ["1e999999"]))
    assert program.call("::bombs/dec-int", ["1e1000"]) == 10**1000


def test_ints_past_pythons_text_limit_convert_both_ways() -> None:
    source = """::big ns
    text fn () { Str(pow(7, 20000)) }
    back fn () { Int(Str(pow(7, 20000))) }
    json fn () { from-json(to-json([pow(7, 20000)])) }
    """
    program = load_program({"big.hot": source})
    assert len(program.call("::big/text", [])) == 16_902
    assert program.call("::big/back", []) == 7**20000
    assert program.call("::big/json", []) == [7**20000]


def test_a_huge_integer_literal_is_a_syntax_error() -> None:
    with pytest.raises(HotSyntaxError, match="does not fit in 64 bits"):
        load_program({"lit.hot": "x " + "9" * 5000})


# -- Str and Bytes: max_bytes ----------------------------------------------------------------


def test_replace_with_an_empty_pattern_is_refused_before_it_amplifies(program: Program) -> None:
    error = refused(program, "replace-all", [1_000_000, "b" * 100])
    assert str(error) == (
        "replace would produce a Str of 101,000,100 bytes, more than the limit of 67,108,864 bytes (max_bytes)"
    )
    assert error.limit == "max_bytes"
    assert program.call("::bombs/replace-all", [100_000, "b" * 100]) == 10_100_100


def test_a_ten_megabyte_string_is_ordinary(program: Program) -> None:
    assert program.call("::bombs/concat-twice", ["a" * 10_000_000, 1]) == 20_000_000
    assert program.call("::bombs/pad", [10_000_000]) == 10_000_000


def test_doubling_concat_and_templates_stop_at_max_bytes(program: Program) -> None:
    assert "concat would produce a Str of 134,217,728 bytes" in str(refused(program, "concat-twice", ["ab", 40]))
    assert "a string template would produce a Str" in str(refused(program, "template-twice", ["ab", 40]))
    assert program.call("::bombs/template-twice", ["ab", 20]) == 2 * 2**20


def test_max_bytes_counts_utf8_bytes_and_is_configurable(program: Program) -> None:
    small = Limits(max_bytes=1000)
    error = refused(program, "upper", [501], small)  # 501 "ß" are 501 characters but 1,002 bytes
    assert str(error) == "pad-end would produce a Str of 1,002 bytes, more than the limit of 1,000 bytes (max_bytes)"
    assert program.call("::bombs/upper", [500], limits=small) == 1000  # "SS" × 500
    assert "pad-end would produce a Str of 1,001 bytes" in str(refused(program, "pad", [1001], small))
    assert program.call("::bombs/pad", [1000], limits=small) == 1000


def test_join_and_pad_are_checked_before_building(program: Program) -> None:
    assert "join would produce a Str" in str(refused(program, "join-of", [1000, "x" * 100_000]))
    assert program.call("::bombs/join-of", [100, "x" * 100_000]) == 10_000_000
    assert "pad-end would produce a Str of 1,000,000,000 bytes" in str(refused(program, "pad", [1_000_000_000]))


def test_bytes_from_a_huge_size_is_refused(program: Program) -> None:
    error = refused(program, "from-int", [10**11])
    assert str(error) == (
        "::hot::bytes/from-int would produce Bytes of 100,000,000,000 bytes, "
        "more than the limit of 67,108,864 bytes (max_bytes)"
    )
    assert program.call("::bombs/from-int", [1_000_000]) == 1_000_000
    assert "concat would produce Bytes" in str(refused(program, "concat-bytes", [40_000_000]))


def test_from_int_that_does_not_fit_names_the_sizes() -> None:
    program = load_program({"f.hot": "::f ns\nf fn () { ::hot::bytes/from-int(pow(10, 5000), 2) }"})
    with pytest.raises(HotRuntimeError, match="an Int of 5,001 digits does not fit in 2 bytes"):
        program.call("::f/f", [])


# -- collections: max_items -----------------------------------------------------------------


def test_ranges_are_refused_by_their_count(program: Program) -> None:
    assert "range would hold 100,000,000 items" in str(refused(program, "range-of", [100_000_000]))
    assert "range would hold 1,000,000,000,000,000,000,000,000,000,000 items" in str(
        refused(program, "range-pow", [30])
    )
    assert program.call("::bombs/range-of", [1000], limits=Limits(max_items=1000)) == 1000
    assert "limit of 999 items (max_items)" in str(refused(program, "range-of", [1000], Limits(max_items=999)))


@pytest.mark.parametrize(
    ("name", "what", "over", "under"),
    [
        ("concat-vecs", "concat", 600, 500),
        ("assoc-at", "assoc", 2000, 999),
        ("assign-at", "assigning at", 2000, 999),
        ("mapcat-of", "mapcat", 40, 31),
        ("flatten-of", "flatten", 40, 31),
        ("collect-of", "collecting an Iter", 2000, 1000),
        ("take-of", "take", 2000, 1000),
        ("split-chars", "split", 2000, 1000),
    ],
)
def test_collection_builders_are_held_to_max_items(
    program: Program, name: str, what: str, over: int, under: int
) -> None:
    limits = Limits(max_items=1000)
    error = refused(program, name, [over], limits)
    assert str(error).startswith(what)
    assert str(error).endswith("more than the limit of 1,000 items (max_items)")
    assert error.limit == "max_items"
    program.call(f"::bombs/{name}", [under], limits=limits)


def test_shared_references_cannot_amplify_str_or_json(program: Program) -> None:
    """A Vec holding one big Vec a million times would print as terabytes."""
    assert "Str would produce a Str longer than the limit" in str(refused(program, "shared-str", [100_000]))
    assert "to-json would write more than the limit of 100,000 values (max_items)" in str(
        refused(program, "shared-json", [1000], Limits(max_items=100_000))
    )
    assert program.call("::bombs/shared-json", [300]) > 0


def test_astronomical_sizes_are_named_without_writing_them_out() -> None:
    program = load_program({"a.hot": "::a ns\nr fn () { range(0, pow(10, 90000)) }\np fn () { pow(3, pow(10, 5000)) }"})
    with pytest.raises(HotLimitExceeded, match=r"range would hold 10\^90,000 items"):
        program.call("::a/r", [])
    with pytest.raises(HotLimitExceeded, match=r"pow would produce an Int of ~10\^4,999 digits"):
        program.call("::a/p", [])
