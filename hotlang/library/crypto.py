"""``::hot::crypto`` (integrations-spec §4.9) and ``::hot::hash/ed25519-verify`` (§4.5).

Key derivation, RS256 signatures (JWTs for service accounts, JWKS checks) and Ed25519
verification (Discord-style webhooks), through the ``cryptography`` library, imported on first
use (it adds ~12 MB to a process, and most runs never sign anything). Failures are Err values; a
signature that does not verify is simply false.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from hotlang.library.digest import hashes as hash_lib
from hotlang.library.failures import Refused, data_bytes, err_on_refusal, expect_text
from hotlang.library.registry import Library
from hotlang.runtime.limits import check_bytes
from hotlang.runtime.values import type_name

lib = Library("::hot::crypto")

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")

ONE_CALL_ITERATIONS = 100_000
"""PBKDF2 iterations done in one C call (~50 ms); beyond, the rounds run in Python, where the
run's time limit can stop them, so no iteration count can hold a worker past its deadline."""


def _pbkdf2_slow(password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) one round at a time."""
    inner = hmac.new(password, digestmod=hashlib.sha256)
    blocks = []
    for index in range(1, -(-length // 32) + 1):
        mac = inner.copy()
        mac.update(salt + index.to_bytes(4, "big"))
        u = mac.digest()
        total = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            mac = inner.copy()
            mac.update(u)
            u = mac.digest()
            total ^= int.from_bytes(u, "big")
        blocks.append(total.to_bytes(32, "big"))
    return b"".join(blocks)[:length]


@lib.native("pbkdf2-hmac-sha256", 3, 4, core=False)
@err_on_refusal
def pbkdf2_hmac_sha256(password: Any, salt: Any, iterations: Any, length: Any = 32) -> bytes:
    """The derived key as Bytes (``length`` bytes, 32 by default)."""
    fn = "::hot::crypto/pbkdf2-hmac-sha256"
    secret, seasoning = data_bytes(fn, password), data_bytes(fn, salt)
    if type(iterations) is not int or iterations < 1:
        raise Refused(f"{fn} expects a positive Int of iterations, got {_shown(iterations)}")
    if type(length) is not int or length < 1:
        raise Refused(f"{fn} expects a positive Int length in bytes, got {_shown(length)}")
    check_bytes(length, fn, "Bytes")
    if iterations <= ONE_CALL_ITERATIONS or iterations * -(-length // 32) <= ONE_CALL_ITERATIONS:
        return hashlib.pbkdf2_hmac("sha256", secret, seasoning, iterations, length)
    return _pbkdf2_slow(secret, seasoning, iterations, length)


def _shown(value: Any) -> str:
    return str(value) if type(value) is int else type_name(value)


@lib.native("rsa-sha256-sign", 2, core=False)
@err_on_refusal
def rsa_sha256_sign(private_key_pem: Any, message: Any) -> bytes:
    """An RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature, from a PKCS#8 or PKCS#1 PEM key."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    fn = "::hot::crypto/rsa-sha256-sign"
    pem = expect_text(fn, private_key_pem, "a PEM private key Str")
    data = data_bytes(fn, message)
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8", "surrogatepass"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise Refused(f"{fn}: the key is not an unencrypted PEM private key (PKCS#8 or PKCS#1)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise Refused(f"{fn}: the key is not an RSA key")
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@lib.native("rsa-sha256-verify", 4, core=False)
@err_on_refusal
def rsa_sha256_verify(modulus: Any, exponent: Any, message: Any, signature: Any) -> bool:
    """Whether ``signature`` is an RS256 signature of ``message`` by the key (n, e), big-endian Bytes as in JWKS."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    fn = "::hot::crypto/rsa-sha256-verify"
    n = int.from_bytes(data_bytes(fn, modulus), "big")
    e = int.from_bytes(data_bytes(fn, exponent), "big")
    data, sig = data_bytes(fn, message), data_bytes(fn, signature)
    try:
        key = rsa.RSAPublicNumbers(e, n).public_key()
    except (ValueError, UnsupportedAlgorithm) as error:
        raise Refused(f"{fn}: invalid RSA public key: {error}") from None
    try:
        key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@hash_lib.native("ed25519-verify", 3, core=False)
@err_on_refusal
def ed25519_verify(public_key_hex: Any, message: Any, signature_hex: Any) -> bool:
    """Whether ``signature_hex`` signs ``message`` under the key; bad key hex is an Err, a malformed signature false."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    fn = "::hot::hash/ed25519-verify"
    key_text = expect_text(fn, public_key_hex, "the public key as a hex Str")
    if not _HEX.fullmatch(key_text) or len(key_text) != 64:
        raise Refused(f"{fn}: the public key must be 64 hex characters (32 bytes)")
    data = data_bytes(fn, message)
    if type(signature_hex) is not str or len(signature_hex) != 128 or not _HEX.fullmatch(signature_hex):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_text))
    except ValueError:
        raise Refused(f"{fn}: the public key is not a valid Ed25519 key") from None
    try:
        key.verify(bytes.fromhex(signature_hex), data)
    except InvalidSignature:
        return False
    return True
