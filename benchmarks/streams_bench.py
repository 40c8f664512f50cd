"""Live-path benchmarks (docs/targets.md T2, T3, T4, T8) against a real `hot dev`.

- T2: `POST /v1/events` → `run:start` seen on the stream's SSE, at 100 events/s.
- T3: `::hot::stream/data` → SSE client. The publish moment is taken by a plain core NATS
  subscriber on the same subject (it sees the message as soon as NATS forwards it).
- T4: 5,000 SSE subscribers of one stream on one gateway process, 20 msg/s published on the
  stream's live subject; every message must reach every subscriber. T8: gateway RSS then.

Clients are aiohttp (cheap enough to generate load on a 2-core box); the fan-out clients
live in separate worker processes so their parsing does not share the publisher's loop.
Run alone with `python -m benchmarks.streams_bench`.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import nats

from benchmarks.table import Row, print_table
from services.core import subjects
from services.core.config import EnvReader
from tests.support.platform import DevPlatform

T2_RATE = 100
T2_SECONDS = 10
T2_STREAMS = 20
DEFAULT_FANOUT_CLIENTS = 5000
FANOUT_WORKERS = 2
FANOUT_RATE = 20
FANOUT_SECONDS = 10


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _read_sse(session: aiohttp.ClientSession, url: str, on_event: Any, stop: asyncio.Event) -> None:
    async with session.get(url) as resp:
        resp.raise_for_status()
        buffer = b""
        while not stop.is_set():
            chunk = await resp.content.readany()
            if not chunk:
                return
            now = time.time()
            buffer += chunk
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"data: "):
                        on_event(json.loads(line[6:]), now)


async def _latency(state: dict[str, Any]) -> tuple[list[float], list[float], int]:
    """T2 and T3 samples in ms, and how many events were published."""
    base, env_id = state["gateway_url"], state["env_id"]
    headers = {"Authorization": f"Bearer {state['api_key']}"}
    starts: dict[str, float] = {}
    data_seen: dict[str, float] = {}
    data_published: dict[str, float] = {}
    pinged: dict[str, float] = {}
    stop = asyncio.Event()
    nc = await nats.connect(state["nats_url"])

    async def on_nats(msg: Any) -> None:
        body = json.loads(msg.data)
        if body.get("type") == "stream:data":
            data_published[body["stream_data_id"]] = time.time()
        elif body.get("type") == "run:start":
            pinged[body["event_id"]] = time.time()

    await nc.subscribe(f"hot.live.{env_id}.*", cb=on_nats)
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=0)) as session:
        streams = []
        for _ in range(T2_STREAMS):
            async with session.post(f"{base}/v1/events", json={"event_type": "bench:noop", "event_data": {}}) as r:
                streams.append((await r.json())["data"]["stream_id"])

        def on_event(event: dict[str, Any], now: float) -> None:
            if event["type"] == "run:start":
                starts.setdefault(event["run"]["event_id"], now)
            elif event["type"] == "stream:data":
                data_seen.setdefault(event["stream_data_id"], now)

        readers = [asyncio.create_task(_read_sse(session, f"{base}/v1/streams/{s}/subscribe", on_event, stop))
                   for s in streams]
        await asyncio.sleep(1.0)
        sent: dict[str, float] = {}
        acked: list[float] = []

        async def post(i: int) -> None:
            t0 = time.time()
            async with session.post(f"{base}/v1/events", json={"event_type": "chat:message",
                                                               "event_data": {"message": f"m{i}"},
                                                               "stream_id": streams[i % T2_STREAMS]}) as r:
                sent[(await r.json())["data"]["event_id"]] = t0
                acked.append((time.time() - t0) * 1000)

        tasks = []
        begin = time.monotonic()
        for i in range(T2_RATE * T2_SECONDS):
            await asyncio.sleep(max(0.0, begin + i / T2_RATE - time.monotonic()))
            tasks.append(asyncio.create_task(post(i)))
        await asyncio.gather(*tasks)
        await asyncio.sleep(2.0)
        stop.set()
        for reader in readers:
            reader.cancel()
    await nc.drain()
    t2 = [(starts[e] - t0) * 1000 for e, t0 in sent.items() if e in starts]
    t3 = [(data_seen[d] - t0) * 1000 for d, t0 in data_published.items() if d in data_seen]
    ping = [(starts[e] - t) * 1000 for e, t in pinged.items() if e in starts]
    print(f"T2 detail: POST /v1/events answered p50 {_pct(acked, .5):.1f} ms, p99 {_pct(acked, .99):.1f} ms; "
          f"executor's run:start ping → SSE p50 {_pct(ping, .5):.1f} ms, p99 {_pct(ping, .99):.1f} ms")
    return t2, t3, len(sent)


class _CountingClient(asyncio.Protocol):
    """A minimal SSE reader: counts frames carrying `"sent":<time>` and records their latency."""

    def __init__(self, request: bytes, latencies: list[float], connected: asyncio.Event) -> None:
        self._request = request
        self._latencies = latencies
        self._connected = connected
        self._tail = b""
        self.count = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self._request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self._connected.is_set():
            self._connected.set()
        data = self._tail + data
        cut = data.rfind(b"\n\n")
        if cut < 0:
            self._tail = data
            return
        self._tail = data[cut + 2:]
        at = data.find(b'"sent":')
        while 0 <= at < cut:
            end = data.find(b"}", at)
            self._latencies.append((now - float(data[at + 7:end])) * 1000)
            self.count += 1
            at = data.find(b'"sent":', end)


def _fanout_worker(host: str, port: int, path: str, token: str, clients: int, ready: Any, results: Any) -> None:
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        protocols: list[_CountingClient] = []
        transports = []
        for i in range(clients):
            connected = asyncio.Event()
            transport, protocol = await loop.create_connection(
                lambda c=connected: _CountingClient(request, latencies, c), host, port)  # type: ignore[misc]
            protocols.append(protocol)
            transports.append(transport)
            await connected.wait()
            if i % 200 == 199:
                await asyncio.sleep(0)
        ready.put(len(protocols))
        expected = await loop.run_in_executor(None, results.get)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(p.count < expected for p in protocols):
            await asyncio.sleep(0.2)
        for transport in transports:
            transport.close()
        ready.put((latencies, [p.count for p in protocols]))

    try:
        import uvloop
        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _publish_fanout(state: dict[str, Any], stream_id: str) -> int:
    nc = await nats.connect(state["nats_url"])
    subject = subjects.live_subject(state["env_id"], stream_id)
    total = FANOUT_RATE * FANOUT_SECONDS
    begin = time.monotonic()
    for i in range(total):
        await asyncio.sleep(max(0.0, begin + i / FANOUT_RATE - time.monotonic()))
        body = {"type": "stream:data", "stream_data_id": str(i), "run_id": "bench", "env_id": state["env_id"],
                "stream_id": stream_id, "data_type": "bench", "payload": {"i": i, "sent": time.time()}}
        await nc.publish(subject, json.dumps(body).encode())
        await nc.flush()
    await nc.drain()
    return total


def fanout_clients(env: Mapping[str, str] = os.environ) -> int:
    """SSE subscribers of the T4 fan-out (`HOT_BENCH_FANOUT`, default 5000), read when the benchmark runs."""
    return EnvReader(env).integer("HOT_BENCH_FANOUT", DEFAULT_FANOUT_CLIENTS, minimum=FANOUT_WORKERS)


def _fanout(state: dict[str, Any], clients: int) -> tuple[list[float], int, int, int, float, float]:
    """(latencies ms, messages published, subscribers, subscribers that got everything, gateway RSS MB,
    gateway CPU share while publishing)."""
    import httpx

    resp = httpx.post(f"{state['gateway_url']}/v1/events", json={"event_type": "bench:noop", "event_data": {}},
                      headers={"Authorization": f"Bearer {state['api_key']}"})
    stream_id = resp.json()["data"]["stream_id"]
    gateway = httpx.URL(state["gateway_url"])
    path = f"/v1/streams/{stream_id}/subscribe"
    ctx = multiprocessing.get_context("spawn")
    per = clients // FANOUT_WORKERS
    channels = [(ctx.Queue(), ctx.Queue()) for _ in range(FANOUT_WORKERS)]
    workers = [ctx.Process(target=_fanout_worker,
                           args=(gateway.host, gateway.port, path, state["api_key"], per, ready, done))
               for ready, done in channels]
    for w in workers:
        w.start()
    connected = sum(ready.get(timeout=300) for ready, _ in channels)
    time.sleep(2.0)
    rss = _rss_mb(state["pids"]["gateway"])
    cpu_before, wall_before = _cpu_s(state["pids"]["gateway"]), time.monotonic()
    published = asyncio.run(_publish_fanout(state, stream_id))
    gateway_cpu = (_cpu_s(state["pids"]["gateway"]) - cpu_before) / (time.monotonic() - wall_before)
    latencies: list[float] = []
    complete = 0
    for _, done in channels:
        done.put(published)
    for ready, _ in channels:
        lat, counts = ready.get(timeout=120)
        latencies += lat
        complete += sum(1 for c in counts if c == published)
    for w in workers:
        w.join(30)
    return latencies, published, connected, complete, rss, gateway_cpu


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run() -> list[Row]:
    clients = fanout_clients()
    dev = DevPlatform({}, env={"HOT_SSE_MAX_SECONDS": "900", "HOT_LOG_LEVEL": "WARNING"}).start()
    try:
        state = dev.state
        t2, t3, sent = asyncio.run(_latency(state))
        rows = [
            Row("T2", f"POST /v1/events → run:start on SSE @ {T2_RATE}/s ({len(t2)}/{sent} seen)",
                f"p50 {_pct(t2, .5):.1f} ms, p99 {_pct(t2, .99):.1f} ms", "p50 ≤ 5 ms, p99 ≤ 25 ms",
                _pct(t2, .5) <= 5 and _pct(t2, .99) <= 25 and len(t2) == sent),
            Row("T3", f"stream/data → SSE client ({len(t3)} chunks)",
                f"p50 {_pct(t3, .5):.1f} ms, p99 {_pct(t3, .99):.1f} ms", "p50 ≤ 2 ms, p99 ≤ 10 ms",
                _pct(t3, .5) <= 2 and _pct(t3, .99) <= 10),
        ]
        latencies, published, connected, complete, rss, gateway_cpu = _fanout(state, clients)
        rows.append(Row("T4", f"fan-out {connected} SSE subscribers, {FANOUT_RATE} msg/s, one gateway",
                        f"{complete}/{connected} got all {published}; p50 {_pct(latencies, .5):.0f} ms, "
                        f"p99 {_pct(latencies, .99):.0f} ms; gateway CPU {gateway_cpu:.0%}",
                        "all delivered, p99 ≤ 100 ms",
                        complete == connected == clients and _pct(latencies, .99) <= 100))
        rows.append(Row("T8", f"gateway RSS holding {connected} SSE connections", f"{rss:.0f} MB", "≤ 300 MB",
                        rss <= 300))
        return rows
    finally:
        dev.stop()


if __name__ == "__main__":
    print_table(run())
