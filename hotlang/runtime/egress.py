"""Where `::hot::http` may connect, and how long and how much it may read: :class:`HttpOptions`.

The options are plain data the host hands to the language (`Host.http_options`); the checks are
pure functions of them, so they are tested without a network. The HTTP client
(`hotlang.library.http_transport`) applies them to every hop: the host name before the request
(:meth:`HttpOptions.refusal_for_host`), and every address the name resolves to before it connects
(:meth:`HttpOptions.refusal_for_address`), connecting only to an address that passed.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset({
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean…
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task credentials
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
})
"""Cloud metadata endpoints: they hand out credentials, so even `allow_private` does not open them."""

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal"})
"""Names of metadata services, refused before any lookup."""

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not "private" to Python, not public either


@dataclass(frozen=True)
class HttpOptions:
    """Limits and egress policy of `::hot::http` in one process (settings: `services.core.config.HttpSettings`).

    * ``connect_timeout_s`` (30): seconds to open a connection (TLS included).
    * ``request_timeout_s`` (120): seconds for a whole buffered request, body included.
    * ``stream_timeout_s`` (300): seconds for a whole streamed response; a longer stream fails part-way.
    * ``max_response_bytes`` (10 MiB): largest buffered body; a larger Content-Length is refused
      before reading, a body growing past it is an error.
    * ``max_stream_bytes`` (16 MiB): bytes one streamed body may deliver in total.
    * ``max_redirects`` (10): redirects followed per request.
    * ``allow`` / ``deny``: host patterns (``api.example.com``, ``*.example.com``) or networks
      (``10.1.0.0/16``). ``deny`` always wins; when ``allow`` is not empty only what it matches may
      be called, and what it matches may also be a non-public address.
    * ``allow_private`` (False): non-public addresses (loopback, private, link-local, CGNAT,
      unique-local…) may be called. Metadata endpoints still need an ``allow`` entry.
    """

    connect_timeout_s: float = 30.0
    request_timeout_s: float = 120.0
    stream_timeout_s: float = 300.0
    max_response_bytes: int = 10 * 1024 * 1024
    max_stream_bytes: int = 16 * 1024 * 1024
    max_redirects: int = 10
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    allow_private: bool = False

    def refusal_for_host(self, host: str) -> str | None:
        """Why a request to ``host`` (a name or an IP literal) is refused before any lookup, or None."""
        name = host.strip("[]").rstrip(".").lower()
        if _matches(self.deny, name, None):
            return f"host {name} is denied by HOT_HTTP_DENY"
        if self.allow and not _matches(self.allow, name, _address(name)):
            return f"host {name} is not in HOT_HTTP_ALLOW"
        if name in METADATA_HOSTS and not _matches(self.allow, name, None):
            return f"host {name} is a cloud metadata service (allow it with HOT_HTTP_ALLOW)"
        return None

    def refusal_for_address(self, host: str, address: str) -> str | None:
        """Why connecting to ``address`` (one address ``host`` resolved to) is refused, or None."""
        name = host.strip("[]").rstrip(".").lower()
        ip = _address(address)
        if ip is None:
            return f"address {address} of {name} is not an IP address"
        if _matches(self.deny, name, ip):
            return f"address {ip} of {name} is denied by HOT_HTTP_DENY"
        allowed = _matches(self.allow, name, ip)
        if self.allow and not allowed:
            return f"address {ip} of {name} is not in HOT_HTTP_ALLOW"
        if allowed:
            return None
        if ip in METADATA_ADDRESSES:
            return (f"outbound connection to {ip} is blocked: a cloud metadata address "
                    "(allow it with HOT_HTTP_ALLOW)")
        if not is_public(ip) and not self.allow_private:
            return (f"outbound connection to non-public address {ip} is blocked "
                    "(allow it with HOT_HTTP_ALLOW_PRIVATE=1 or HOT_HTTP_ALLOW)")
        return None


def is_public(ip: IpAddress) -> bool:
    """Whether ``ip`` is a global unicast address (not loopback, private, link-local, CGNAT, TEST-NET…)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)
    if ip in _SHARED:
        return False
    return ip.is_global and not ip.is_multicast


def parse_patterns(text: str) -> tuple[str, ...]:
    """``"a.com, *.b.com,10.0.0.0/8"`` → its non-empty, lower-cased entries."""
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def _address(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _network(pattern: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return None


def _matches(patterns: tuple[str, ...], name: str, ip: IpAddress | None) -> bool:
    """Whether a host name (glob patterns) or an address (network or address patterns) matches."""
    for pattern in patterns:
        network = _network(pattern)
        if network is not None:
            if ip is not None and ip.version == network.version and ip in network:
                return True
            if _address(name) is not None and _address(name) in network:
                return True
            continue
        if fnmatch.fnmatchcase(name, pattern) or (pattern.startswith("*.") and name == pattern[2:]):
            return True
    return False
