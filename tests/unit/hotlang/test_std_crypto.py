"""``::hot::crypto`` and ``::hot::hash/ed25519-verify`` (integrations-spec §4.5, §4.9), from known vectors."""

from __future__ import annotations

import hashlib
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from hotlang import HotTimeLimit, Limits
from hotlang.library.crypto import _pbkdf2_slow
from tests.unit.hotlang.stdns import err_text, hot

# RFC 8032 §7.1, tests 1 and 2.
ED25519 = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("key", "message_hex", "signature"), ED25519)
def test_ed25519_rfc8032_vectors(key: str, message_hex: str, signature: str) -> None:
    message = f'::hot::hex/decode("{message_hex}")'
    assert hot(f'::hot::hash/ed25519-verify("{key}", {message}, "{signature}")') is True
    assert hot(f'::hot::hash/ed25519-verify("{key}", {message}, "{signature.upper()}")') is True
    tampered = signature[:-2] + ("00" if signature[-2:] != "00" else "01")
    assert hot(f'::hot::hash/ed25519-verify("{key}", {message}, "{tampered}")') is False
    assert hot(f'::hot::hash/ed25519-verify("{key}", "other", "{signature}")') is False


def test_ed25519_a_discord_style_check() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    signature = private.sign(b'1700000000{"type":1}').hex()
    check = f'::hot::hash/ed25519-verify("{public}", `${{ts}}{{"type":1}}`, "{signature}")'
    assert hot('ts "1700000000"\n  ' + check) is True
    assert hot('ts "1700000001"\n  ' + check) is False


def test_ed25519_malformed_signature_is_false_bad_key_is_err() -> None:
    key, _message, signature = ED25519[0]
    assert hot(f'::hot::hash/ed25519-verify("{key}", "", "xyz")') is False
    assert hot(f'::hot::hash/ed25519-verify("{key}", "", "{signature[:-2]}")') is False
    assert hot(f'::hot::hash/ed25519-verify("{key}", "", null)') is False
    assert "64 hex characters" in err_text(hot(f'::hot::hash/ed25519-verify("zz", "", "{signature}")'))
    assert "64 hex characters" in err_text(hot(f'::hot::hash/ed25519-verify("{key[:-2]}", "", "{signature}")'))


def test_pbkdf2_rfc7914_vector() -> None:
    expected = (
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
    )
    assert hot('::hot::hex/encode(::hot::crypto/pbkdf2-hmac-sha256("passwd", "salt", 1, 64))') == expected
    assert hot('::hot::crypto/pbkdf2-hmac-sha256("p", Bytes("s"), 2)') == hashlib.pbkdf2_hmac("sha256", b"p", b"s", 2)


def test_pbkdf2_in_python_rounds_equals_the_c_one() -> None:
    assert _pbkdf2_slow(b"pw", b"salt", 1000, 40) == hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 1000, 40)
    many = 100_001  # past the one-call threshold: the rounds run where the time limit reaches them
    assert hot(f'::hot::crypto/pbkdf2-hmac-sha256("pw", "salt", {many}, 16)') == hashlib.pbkdf2_hmac(
        "sha256", b"pw", b"salt", many, 16
    )


def test_pbkdf2_refusals() -> None:
    assert "positive Int of iterations" in err_text(hot('::hot::crypto/pbkdf2-hmac-sha256("p", "s", 0)'))
    assert "positive Int length" in err_text(hot('::hot::crypto/pbkdf2-hmac-sha256("p", "s", 1, 0)'))
    assert "expects Str, Bytes" in err_text(hot('::hot::crypto/pbkdf2-hmac-sha256(1, "s", 1)'))


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("form", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL])
def test_rsa_sign_makes_rs256_signatures(rsa_key: rsa.RSAPrivateKey, form: serialization.PrivateFormat) -> None:
    pem = rsa_key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode()
    assert ("BEGIN PRIVATE KEY" in pem) == (form is serialization.PrivateFormat.PKCS8)
    signature = hot(f'::hot::crypto/rsa-sha256-sign("""{pem}""", "header.payload")')
    assert type(signature) is bytes and len(signature) == 256
    rsa_key.public_key().verify(signature, b"header.payload", padding.PKCS1v15(), hashes.SHA256())


def test_rsa_verify_takes_jwks_style_numbers(rsa_key: rsa.RSAPrivateKey) -> None:
    numbers = rsa_key.public_key().public_numbers()
    n = numbers.n.to_bytes(256, "big").hex()
    e = numbers.e.to_bytes(3, "big").hex()
    signature = rsa_key.sign(b"header.payload", padding.PKCS1v15(), hashes.SHA256()).hex()

    def verify(message: str, sig: str) -> object:
        return hot(
            f'::hot::crypto/rsa-sha256-verify(::hot::hex/decode("{n}"), ::hot::hex/decode("{e}"), '
            f'"{message}", ::hot::hex/decode("{sig}"))'
        )

    assert verify("header.payload", signature) is True
    assert verify("header.payloaD", signature) is False
    assert verify("header.payload", "00" + signature[2:]) is False
    assert verify("header.payload", "") is False


def test_rsa_refusals() -> None:
    assert "not an unencrypted PEM private key" in err_text(hot('::hot::crypto/rsa-sha256-sign("nope", "m")'))
    ed_pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    assert "not an RSA key" in err_text(hot(f'::hot::crypto/rsa-sha256-sign("""{ed_pem}""", "m")'))
    assert "invalid RSA public key" in err_text(
        hot('::hot::crypto/rsa-sha256-verify(Bytes([1]), Bytes([3]), "m", Bytes([1]))')
    )


def test_the_time_limit_stops_an_endless_derivation() -> None:
    started = time.monotonic()
    with pytest.raises(HotTimeLimit):
        hot('::hot::crypto/pbkdf2-hmac-sha256("pw", "salt", 1000000000000)', limits=Limits(max_seconds=0.3))
    assert time.monotonic() - started < 3
