"""``::hot::hash``, ``::hot::hmac`` and ``secure-compare`` (integrations-spec §4.4–4.6).

Inputs are Str (its UTF-8 bytes), Bytes or a Vec of Byte values; digests are lower-case hex.
Failures are Err values (a wrong argument type, invalid expected hex, an unknown algorithm).
Every comparison with a signature is constant-time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac as hmaclib
import re
from collections.abc import Callable
from typing import Any

from blake3 import blake3 as blake3_hash

from hotlang.library.failures import Refused, data_bytes, err_on_refusal
from hotlang.library.registry import Library
from hotlang.runtime.values import type_name

hashes = Library("::hot::hash")
mac = Library("::hot::hmac")
random = Library("::hot::random")

ALGORITHMS = ("sha256", "sha512", "sha1")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")


def _hash(name: str) -> Callable[[Any], str]:
    fn = f"::hot::hash/{name}"

    def digest(data: Any) -> str:
        return hashlib.new(name, data_bytes(fn, data)).hexdigest()

    digest.__doc__ = f"The {name} digest of the data, in lower-case hex."
    return digest


for _name in ("sha256", "sha384", "sha512", "sha1", "md5"):
    hashes.native(_name, 1, core=False)(err_on_refusal(_hash(_name)))


@hashes.native("blake3", 1, core=False)
@err_on_refusal
def blake3(data: Any) -> str:
    """The 32-byte BLAKE3 digest of the data, in lower-case hex."""
    return str(blake3_hash(data_bytes("::hot::hash/blake3", data)).hexdigest())


def _mac(fn: str, key: Any, data: Any, algorithm: str) -> bytes:
    return hmaclib.new(data_bytes(fn, key), data_bytes(fn, data), algorithm).digest()


def _hex_mac(algorithm: str) -> Callable[[Any, Any], str]:
    fn = f"::hot::hmac/hmac-{algorithm}"

    def hex_mac(key: Any, data: Any) -> str:
        return _mac(fn, key, data, algorithm).hex()

    hex_mac.__doc__ = f"HMAC-{algorithm.upper()} of the data under the key, in lower-case hex."
    return hex_mac


for _alg in ALGORITHMS:
    mac.native(f"hmac-{_alg}", 2, core=False)(err_on_refusal(_hex_mac(_alg)))


@mac.native("hmac-sha256-bytes", 2, core=False)
@err_on_refusal
def hmac_sha256_bytes(key: Any, data: Any) -> bytes:
    """HMAC-SHA256 as raw Bytes, for chaining (AWS SigV4 derives its signing key this way)."""
    return _mac("::hot::hmac/hmac-sha256-bytes", key, data, "sha256")


def _algorithm(fn: str, alg: Any, *, any_case: bool) -> str:
    if type(alg) is str and (alg in ALGORITHMS or (any_case and alg.lower() in ALGORITHMS and alg.isupper())):
        return alg.lower()  # type: ignore[no-any-return]
    shown = repr(alg) if type(alg) is str else f"a {type_name(alg)}"
    cases = "sha256, sha512 or sha1 (or upper case)" if any_case else "sha256, sha512 or sha1 (lower case)"
    raise Refused(f"{fn}: unknown algorithm {shown}; expected {cases}")


@mac.native("hmac-verify", 4, core=False)
@err_on_refusal
def hmac_verify(key: Any, data: Any, expected: Any, alg: Any) -> bool:
    """Constant-time check of a hex signature (either case); invalid hex or algorithm is an Err."""
    fn = "::hot::hmac/hmac-verify"
    algorithm = _algorithm(fn, alg, any_case=True)
    if type(expected) is not str:
        raise Refused(f"{fn} expects the signature as a hex Str, got {type_name(expected)}")
    if not _HEX.fullmatch(expected):
        raise Refused(f"{fn}: the expected signature is not valid hex")
    return hmaclib.compare_digest(_mac(fn, key, data, algorithm), bytes.fromhex(expected))


@mac.native("hmac-verify-hex", 4, core=False)
@err_on_refusal
def hmac_verify_hex(key: Any, data: Any, expected: Any, alg: Any) -> bool:
    """Fails closed: an empty or malformed signature is false; ``alg`` must be lower-case."""
    fn = "::hot::hmac/hmac-verify-hex"
    digest = _mac(fn, key, data, _algorithm(fn, alg, any_case=False))
    if type(expected) is not str or not expected:
        return False
    return hmaclib.compare_digest(digest.hex().encode(), expected.lower().encode("utf-8", "surrogatepass"))


@mac.native("hmac-verify-base64", 4, core=False)
@err_on_refusal
def hmac_verify_base64(key: Any, data: Any, expected: Any, alg: Any) -> bool:
    """Exact, constant-time comparison with the standard padded base64 of the digest."""
    fn = "::hot::hmac/hmac-verify-base64"
    digest = _mac(fn, key, data, _algorithm(fn, alg, any_case=False))
    if type(expected) is not str or not expected:
        return False
    return hmaclib.compare_digest(base64.b64encode(digest), expected.encode("utf-8", "surrogatepass"))


@random.native("secure-compare", 2)
@err_on_refusal
def secure_compare(a: Any, b: Any) -> bool:
    """Constant-time equality of two Str/Bytes values; different lengths are simply false."""
    return hmaclib.compare_digest(data_bytes("secure-compare", a), data_bytes("secure-compare", b))
