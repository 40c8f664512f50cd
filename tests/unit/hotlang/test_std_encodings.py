"""``::hot::base64``, ``::hot::hex``, ``::hot::hash``, ``::hot::hmac``, ``secure-compare`` and
``::hot::uuid`` (integrations-spec §4.1–4.6, hotlang-std-spec §11), from known vectors."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from hotlang import HotLimitExceeded, HotRuntimeError, Limits
from hotlang.runtime.values import Tagged
from tests.unit.hotlang.stdns import err_text, hot

RFC4648 = [
    ("", "", ""),
    ("f", "Zg==", "Zg"),
    ("fo", "Zm8=", "Zm8"),
    ("foo", "Zm9v", "Zm9v"),
    ("foob", "Zm9vYg==", "Zm9vYg"),
    ("fooba", "Zm9vYmE=", "Zm9vYmE"),
    ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
]


@pytest.mark.parametrize(("plain", "padded", "url"), RFC4648)
def test_base64_rfc4648_vectors(plain: str, padded: str, url: str) -> None:
    assert hot(f'::hot::base64/encode(Bytes("{plain}"))') == padded
    assert hot(f'::hot::base64/encode("{plain}")') == padded  # a Str is its UTF-8 bytes
    assert hot(f'::hot::base64/decode("{padded}")') == plain.encode()
    assert hot(f'::hot::base64/encode-url("{plain}")') == url
    assert hot(f'::hot::base64/decode-url("{url}")') == plain.encode()
    assert hot(f'::hot::base64/decode-url("{padded}")') == plain.encode()  # ours: padding accepted too


def test_base64_alphabets_differ_in_two_characters() -> None:
    assert hot("::hot::base64/encode(Bytes([251, 255, 191]))") == "+/+/"
    assert hot("::hot::base64/encode-url(Bytes([251, 255, 191]))") == "-_-_"
    assert hot('::hot::base64/encode-url("Hi?")') == "SGk_"
    assert hot('::hot::base64/decode-url("-_-_")') == bytes([251, 255, 191])
    assert err_text(hot('::hot::base64/decode-url("+/+/")')).startswith("Base64 URL decode error: ")
    assert err_text(hot('::hot::base64/decode("-_-_")')).startswith("Base64 decode error: ")


@pytest.mark.parametrize("text", ["SGk", "SGk=\n", " SGk=", "S=Gk", "SGk==", "SGl=", "a!b", "Zg=", "Zh=="])
def test_base64_decode_is_strict(text: str) -> None:
    literal = text.replace("\n", "\\n")
    message = err_text(hot(f'::hot::base64/decode("{literal}")'))
    assert message.startswith("Base64 decode error: ")
    assert hot(f'::hot::base64/is-valid("{literal}")') is False


def test_base64_is_valid_and_round_trip() -> None:
    assert hot('::hot::base64/is-valid("SGk=")') is True
    assert hot("::hot::base64/is-valid(5)") is False
    assert hot('::hot::base64/decode-url(::hot::base64/encode-url("héllo ✓"))') == "héllo ✓".encode()
    assert hot("::hot::base64/encode([104, 105])") == "aGk="


@pytest.mark.parametrize(
    "call",
    [
        "::hot::base64/decode(5)",
        "::hot::base64/encode(5)",
        "::hot::base64/encode([1, 300])",
        "::hot::base64/decode-url(null)",
        '::hot::base64/decode-url("a")',
        '::hot::base64/decode-url("Zh")',
    ],
)
def test_base64_bad_arguments_are_err_values(call: str) -> None:
    assert hot(f"is-err({call})") is True


def test_a_consumed_err_halts_at_the_line_that_uses_it() -> None:
    with pytest.raises(HotRuntimeError, match="Base64 decode error") as caught:
        hot('x ::hot::base64/decode("SGk")\n  length(x)')
    assert caught.value.stack[0].line == 5


def test_encoders_respect_max_bytes() -> None:
    with pytest.raises(HotLimitExceeded, match=r"::hot::base64/encode would produce .* \(max_bytes\)"):
        hot('::hot::base64/encode(::hot::str/pad-start("", 90, "x"))', limits=Limits(max_bytes=100))
    with pytest.raises(HotLimitExceeded, match=r"::hot::hex/encode .* \(max_bytes\)"):
        hot('::hot::hex/encode(::hot::str/pad-start("", 60, "x"))', limits=Limits(max_bytes=100))
    assert hot('::hot::hex/encode(::hot::str/pad-start("", 50, "x"))', limits=Limits(max_bytes=100)) == "78" * 50


def test_hex() -> None:
    assert hot('::hot::hex/encode("hi")') == "6869"
    assert hot("::hot::hex/encode(Bytes([0, 171, 255]))") == "00abff"
    assert hot('::hot::hex/decode("00AbfF")') == bytes([0, 171, 255])
    assert err_text(hot('::hot::hex/decode("abc")')).startswith("::hot::hex/decode: Invalid hex: odd length")
    assert err_text(hot('::hot::hex/decode("zz")')).startswith("::hot::hex/decode: Invalid hex: invalid character")
    assert [hot(f'::hot::hex/is-valid("{text}")') for text in ("", "0aF9", "abc", "0g")] == [True, True, False, False]
    assert hot("::hot::hex/is-valid(12)") is False


HASHES = {
    "sha256": (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    "sha1": ("a9993e364706816aba3e25717850c26c9cd0d89d", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    "md5": ("900150983cd24fb0d6963f7d28e17f72", "d41d8cd98f00b204e9800998ecf8427e"),
    "blake3": ("6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
               "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
    "sha384": (
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        None,
    ),
    "sha512": (
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        None,
    ),
}


@pytest.mark.parametrize("name", list(HASHES))
def test_hashes_of_known_strings(name: str) -> None:
    of_abc, of_empty = HASHES[name]
    assert hot(f'::hot::hash/{name}("abc")') == of_abc
    assert hot(f'::hot::hash/{name}(Bytes("abc"))') == of_abc
    if of_empty is not None:
        assert hot(f'::hot::hash/{name}("")') == of_empty


def test_hash_refusals_are_err_values() -> None:
    assert (
        err_text(hot("::hot::hash/sha256(5)"))
        == "::hot::hash/sha256 expects Str, Bytes or a Vec of Byte values, got Int"
    )
    assert "::hot::hash/blake3 expects Str" in err_text(hot("::hot::hash/blake3(null)"))


# RFC 4231 test cases 1, 2, 3 and 6 (HMAC-SHA256 and, for case 2, HMAC-SHA512); RFC 2202 case 2 (HMAC-SHA1).
RFC4231 = [
    (
        '::hot::hex/decode("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")',
        '"Hi There"',
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    ('"Jefe"', '"what do ya want for nothing?"', "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (
        '::hot::hex/decode("' + "aa" * 20 + '")',
        '::hot::hex/decode("' + "dd" * 50 + '")',
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        '::hot::hex/decode("' + "aa" * 131 + '")',
        '"Test Using Larger Than Block-Size Key - Hash Key First"',
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
]


@pytest.mark.parametrize(("key", "data", "expected"), RFC4231)
def test_hmac_sha256_rfc4231(key: str, data: str, expected: str) -> None:
    assert hot(f"::hot::hmac/hmac-sha256({key}, {data})") == expected
    assert hot(f"::hot::hmac/hmac-sha256-bytes({key}, {data})") == bytes.fromhex(expected)
    assert hot(f'::hot::hmac/hmac-verify({key}, {data}, "{expected.upper()}", "SHA256")') is True
    assert hot(f'::hot::hmac/hmac-verify-hex({key}, {data}, "{expected.upper()}", "sha256")') is True


def test_hmac_sha512_and_sha1() -> None:
    assert hot('::hot::hmac/hmac-sha512("Jefe", "what do ya want for nothing?")') == (
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
    )
    assert hot('::hot::hmac/hmac-sha1("Jefe", "what do ya want for nothing?")') == (
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    )


def test_hmac_verify_variants_follow_the_spec() -> None:
    sig = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    args = '"Jefe", "what do ya want for nothing?"'
    assert hot(f'::hot::hmac/hmac-verify({args}, "{sig[:-1]}4", "sha256")') is False
    assert "not valid hex" in err_text(hot(f'::hot::hmac/hmac-verify({args}, "xyz", "sha256")'))
    assert "unknown algorithm" in err_text(hot(f'::hot::hmac/hmac-verify({args}, "{sig}", "md5")'))
    # hmac-verify-hex fails closed and wants the algorithm in lower case
    assert hot(f'::hot::hmac/hmac-verify-hex({args}, "", "sha256")') is False
    assert hot(f'::hot::hmac/hmac-verify-hex({args}, "sha256={sig}", "sha256")') is False
    assert hot(f'::hot::hmac/hmac-verify-hex({args}, "xyz", "sha256")') is False
    assert "unknown algorithm" in err_text(hot(f'::hot::hmac/hmac-verify-hex({args}, "{sig}", "SHA256")'))
    # hmac-verify-base64 compares with the standard padded base64 of the digest, exactly
    b64 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    assert hot(f'::hot::hmac/hmac-verify-base64({args}, "{b64}", "sha256")') is True
    assert hot(f'::hot::hmac/hmac-verify-base64({args}, "{b64.rstrip("=")}", "sha256")') is False
    assert hot(f'::hot::hmac/hmac-verify-base64({args}, "", "sha256")') is False


def test_a_stripe_style_signature_check() -> None:
    """``v1`` of ``stripe-signature`` is HMAC-SHA256 hex of ``"<t>.<body>"``, compared in constant time."""
    signature = hmac.new(b"whsec_test", b"1700000000.{}", hashlib.sha256).hexdigest()
    check = 'secure-compare(::hot::hmac/hmac-sha256("whsec_test", `${t}.{}`), "%s")'
    assert hot("t 1700000000\n  " + check % signature) is True
    assert hot("t 1700000001\n  " + check % signature) is False


def test_secure_compare() -> None:
    assert hot('secure-compare("abc", "abc")') is True
    assert hot('secure-compare("abc", Bytes("abc"))') is True
    assert hot('secure-compare("abc", "abd")') is False
    assert hot('secure-compare("abc", "abcd")') is False
    assert hot('::hot::random/secure-compare("", "")') is True
    assert hot('is-err(secure-compare(1, "a"))') is True


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_uuid_v4_and_v7_are_typed_values_with_canonical_text() -> None:
    v4 = hot("::hot::uuid/Uuid()")
    assert type(v4) is Tagged and v4.type_path == "::hot::uuid/Uuid"
    assert UUID_TEXT.fullmatch(v4.payload) and v4.payload[14] == "4"
    assert hot("::hot::uuid/Uuid(4)").payload[14] == "4"
    v7 = hot("Str(::hot::uuid/Uuid(7))")
    assert UUID_TEXT.fullmatch(v7) and v7[14] == "7"
    assert re.fullmatch("id-" + UUID_TEXT.pattern, hot("u ::hot::uuid/Uuid(7)\n  `id-${u}`"))
    assert hot("is-type(::hot::uuid/Uuid(), ::hot::uuid/Uuid)") is True
    assert hot("to-json(::hot::uuid/Uuid(null))") == '"00000000-0000-0000-0000-000000000000"'


def test_uuid_v7_values_increase_in_creation_order() -> None:
    texts = hot("map(range(2000), (i) { Str(::hot::uuid/Uuid(7)) })")
    assert len(set(texts)) == 2000
    assert texts == sorted(texts)


def test_uuid_rejections_and_is_uuid() -> None:
    assert err_text(hot("::hot::uuid/Uuid(5)")).startswith("Invalid UUID version 5")
    assert err_text(hot('::hot::uuid/Uuid("6f1c…")')).startswith("Invalid UUID version")
    accepted = [
        "6F1C2B9E-8F1A-4C3B-9D2E-1A2B3C4D5E6F",
        "6f1c2b9e8f1a4c3b9d2e1a2b3c4d5e6f",
        "{6f1c2b9e-8f1a-4c3b-9d2e-1a2b3c4d5e6f}",
        "urn:uuid:6f1c2b9e-8f1a-4c3b-9d2e-1a2b3c4d5e6f",
    ]
    for text in accepted:
        assert hot(f'::hot::uuid/is-uuid("{text}")') is True, text
    for text in ["", "6f1c2b9e-8f1a-4c3b-9d2e-1a2b3c4d5e6", "6f1c2b9e_8f1a_4c3b_9d2e_1a2b3c4d5e6f", "g" * 32]:
        assert hot(f'::hot::uuid/is-uuid("{text}")') is False, text
    assert hot("::hot::uuid/is-uuid(::hot::uuid/Uuid(7))") is True
    assert hot("::hot::uuid/is-uuid(42)") is False


def test_a_uuid_survives_a_json_round_trip() -> None:
    assert hot("u ::hot::uuid/Uuid()\n  eq(u, from-json(to-json(u)))") is True
