"""The connection side of `::hot::http`: one httpx pool per process, and requests a run can stop.

Why a thread per request: a socket read blocks in C, where neither the run's time limit (an
exception raised into the run's thread) nor a stop request can reach it. So the request runs on
a daemon I/O thread that hands the response head and body chunks to the run's thread through a
bounded queue (32 chunks, as upstream); the run's thread waits on the queue in short slices and
checks the host's stop and the request's deadline between them. On every way out (end, error,
stop, time limit) :meth:`Exchange.abort` shuts the request's sockets down, which wakes the I/O
thread at once and closes the connection, so the remote end sees it closed within a slice.

Egress: the pool connects through :class:`GuardedBackend`, which resolves the host itself, checks
every address against the run's :class:`~hotlang.runtime.egress.HttpOptions` and connects only
to a checked address (a name that resolves differently a second time cannot slip past the check:
there is no second lookup). Pools are kept per `HttpOptions`, so a connection opened under one
policy is never reused under another.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from hotlang.runtime.egress import HttpOptions

SLICE_SECONDS = 0.05
"""How often a waiting run checks its stop request and the request's deadline."""
QUEUE_CHUNKS = 32
"""Body chunks read ahead of the run (upstream's channel size)."""

_clients: dict[HttpOptions, httpx.Client] = {}
_clients_lock = threading.Lock()
_current = threading.local()
"""On an I/O thread: the :class:`Exchange` it serves (its connections register their sockets with it)."""


_live: weakref.WeakSet[Exchange] = weakref.WeakSet()
_live_lock = threading.Lock()


def abort_all() -> None:
    """Abort every request still in flight in this process (a run ended: nothing outlives it)."""
    with _live_lock:
        exchanges = list(_live)
    for exchange in exchanges:
        exchange.abort()


class HttpTimeout(Exception):
    """The request's own deadline passed (not the run's: that one ends the run)."""


class TrackedStream(httpcore.NetworkStream):
    """A connection whose socket is registered with the exchange using it, so an abort can shut it down."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def _register(self) -> None:
        exchange = getattr(_current, "exchange", None)
        if exchange is not None:
            exchange.register(self._inner.get_extra_info("socket"))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._register()
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._register()
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        self._register()
        return TrackedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks each address against the egress policy, and connects to a checked one."""

    def __init__(self, options: HttpOptions) -> None:
        self._options = options
        self._plain = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            raise httpcore.ConnectError(f"cannot resolve {host}: {err}") from err
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            refusal = self._options.refusal_for_address(host, address)
            if refusal is not None:
                raise httpcore.ConnectError(refusal)  # the message names the rule; httpx keeps it
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                stream = self._plain.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                error = err
                continue
            tracked = TrackedStream(stream)
            tracked._register()
            return tracked
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from ::hot::http")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a pool that connects through :class:`GuardedBackend`."""

    def __init__(self, options: HttpOptions) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        # httpx has no public way to give its pool a network backend; the pool it built is replaced
        # by the same pool with ours (same SSL context and limits).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(options))


def build_request(options: HttpOptions, method: str, url: str, headers: list[tuple[str, str]],
                  content: bytes | None) -> httpx.Request:
    """An httpx request: the connect timeout bounds connecting and writing; reads are bounded by the
    exchange's deadline (a read timeout would end a slow stream that is still alive)."""
    connect = options.connect_timeout_s
    return client_for(options).build_request(method, url, headers=headers, content=content,
                                             timeout=httpx.Timeout(connect, read=None, write=connect, pool=connect))


def client_for(options: HttpOptions) -> httpx.Client:
    """The process's pooled client for ``options`` (created on first use)."""
    with _clients_lock:
        client = _clients.get(options)
        if client is None:
            client = httpx.Client(transport=GuardedTransport(options), follow_redirects=False, trust_env=False)
            _clients[options] = client
        return client


class Exchange:
    """One request on its I/O thread: :meth:`head` waits for the response, :meth:`chunk` for body parts."""

    def __init__(self, request: httpx.Request, options: HttpOptions, *, deadline: float, budget_s: float,
                 stop_check: Callable[[], None]) -> None:
        self.options = options
        self.deadline = deadline
        self.budget_s = budget_s
        """The whole request's time budget (redirects included), named when it runs out."""
        self._stop_check = stop_check
        self._request = request
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._aborted = threading.Event()
        self._finished = False
        self.ended = False
        """The whole body was read."""
        with _live_lock:
            _live.add(self)
        self._thread = threading.Thread(target=self._serve, name="hot-http", daemon=True)
        self._thread.start()

    # ----- the I/O thread -----------------------------------------------------------------

    def register(self, sock: Any) -> None:
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
        if self._aborted.is_set():
            _shutdown(sock)

    def _serve(self) -> None:
        _current.exchange = self
        response: httpx.Response | None = None
        try:
            response = client_for(self.options).send(self._request, stream=True, follow_redirects=False)
            if not self._put(("head", response)):
                return
            for part in response.iter_bytes():
                if not part:
                    continue
                if not self._put(("chunk", part)):
                    return
            self._put(("end", None))
        except Exception as err:  # noqa: BLE001 - handed to the run's thread, which reports it
            self._put(("error", err))
        finally:
            if response is not None:
                response.close()
            _current.exchange = None

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._aborted.is_set():
            try:
                self._queue.put(item, timeout=SLICE_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    # ----- the run's thread -----------------------------------------------------------------

    def _take(self) -> tuple[str, Any]:
        while True:
            self._stop_check()
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise HttpTimeout(f"request timed out after {self.budget_s:g} seconds")
            try:
                return self._queue.get(timeout=min(SLICE_SECONDS, left))
            except queue.Empty:
                continue

    def head(self) -> httpx.Response:
        """The response (status and headers), or the transport error raised."""
        kind, value = self._take()
        if kind == "error":
            self._finished = True
            raise value
        return value  # type: ignore[no-any-return]

    def chunk(self) -> bytes | None:
        """The next body part; None at the end of the body; the transport error raised."""
        if self._finished:
            return None
        kind, value = self._take()
        if kind == "error":
            self._finished = True
            raise value
        if kind == "end":
            self._finished = True
            self.ended = True
            return None
        return value  # type: ignore[no-any-return]

    def abort(self) -> None:
        """Stop the request and close its connection now (idempotent; safe at any point)."""
        with _live_lock:
            _live.discard(self)
        self._finished = True
        self._aborted.set()
        with self._lock:
            sockets = [] if self.ended else list(self._sockets)  # a finished body's connection is pooled: keep it
        for sock in sockets:
            _shutdown(sock)
        while True:  # unblock an I/O thread waiting to hand over a chunk
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    def finish(self) -> None:
        """After the whole body was read: the connection goes back to the pool (no abort needed)."""
        with _live_lock:
            _live.discard(self)
        self._finished = True
        self._aborted.set()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed or never connected
        sock.shutdown(socket.SHUT_RDWR)
