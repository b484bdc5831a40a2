"""The project's channel layers (core/channel_layers.py).

The in-memory layer runs Channels' expiry pass at most once per ``clean_interval``; these
tests check that what the pass guaranteed still holds — group sends reach the members,
expired messages are never delivered, group memberships still end — and that the pass no
longer runs on every call. The clock is a fake one, so nothing here waits.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from channels import layers as channels_layers
from channels.exceptions import ChannelFull
from redis.asyncio import BlockingConnectionPool

from buergerbuero.core import channel_layers
from buergerbuero.core.channel_layers import InMemoryChannelLayer, RedisChannelLayer

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Clock:
    """Stands in for the ``time`` module of both layer modules: time() and monotonic()
    move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(channels_layers, "time", fake)
    monkeypatch.setattr(channel_layers, "time", fake)
    return fake


@pytest.fixture
def full_passes(monkeypatch) -> list[int]:
    """Counts the runs of Channels' own expiry pass (the one that looks at everything)."""
    runs: list[int] = []
    original = channels_layers.InMemoryChannelLayer._clean_expired

    def counted(self):
        runs.append(1)
        return original(self)

    monkeypatch.setattr(channels_layers.InMemoryChannelLayer, "_clean_expired", counted)
    return runs


async def _receive(layer, channel: str) -> dict:
    return await asyncio.wait_for(layer.receive(channel), timeout=5)


async def test_a_group_send_reaches_every_member_and_nobody_else(clock):
    layer = InMemoryChannelLayer()
    members = [await layer.new_channel() for _ in range(3)]
    outsider = await layer.new_channel()
    for channel in members:
        await layer.group_add("video.office.1", channel)

    await layer.group_send("video.office.1", {"type": "queue.moved", "version": 7})
    await layer.send(outsider, {"type": "other"})

    for channel in members:
        assert await _receive(layer, channel) == {"type": "queue.moved", "version": 7}
    assert await _receive(layer, outsider) == {"type": "other"}


async def test_each_member_gets_its_own_copy_of_the_message(clock):
    layer = InMemoryChannelLayer()
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("video.office.1", first)
    await layer.group_add("video.office.1", second)

    await layer.group_send("video.office.1", {"type": "queue.moved", "removed": [1]})
    (await _receive(layer, first))["removed"].append(2)

    assert (await _receive(layer, second))["removed"] == [1]


async def test_a_full_member_misses_a_group_send_and_the_others_get_it(clock):
    layer = InMemoryChannelLayer(capacity=1)
    full, ready = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("video.office.1", full)
    await layer.group_add("video.office.1", ready)
    await layer.send(full, {"type": "first"})

    await layer.group_send("video.office.1", {"type": "queue.moved"})

    assert await _receive(layer, ready) == {"type": "queue.moved"}
    assert await _receive(layer, full) == {"type": "first"}
    await layer.send(full, {"type": "marker"})
    assert await _receive(layer, full) == {"type": "marker"}


async def test_a_send_to_a_full_channel_is_refused(clock):
    layer = InMemoryChannelLayer(capacity=1)
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "one"})

    with pytest.raises(ChannelFull):
        await layer.send(channel, {"type": "two"})


async def test_a_message_that_expired_in_the_queue_is_not_delivered(clock):
    # A long interval: the full pass cannot be what drops the message.
    layer = InMemoryChannelLayer(expiry=60, clean_interval=3600)
    channel = await layer.new_channel()
    await layer.group_add("video.office.1", channel)
    await layer.group_send("video.office.1", {"type": "stale"})

    clock.advance(61)
    await layer.send(channel, {"type": "fresh"})

    assert await _receive(layer, channel) == {"type": "fresh"}


async def test_a_channel_whose_message_expired_leaves_its_groups(clock):
    layer = InMemoryChannelLayer(expiry=60, clean_interval=3600)
    channel = await layer.new_channel()
    await layer.group_add("video.office.1", channel)
    await layer.group_send("video.office.1", {"type": "stale"})
    clock.advance(61)
    await layer.send(channel, {"type": "fresh"})
    assert await _receive(layer, channel) == {"type": "fresh"}

    # Channels removes such a channel from every group (its consumer was presumed gone).
    await layer.group_send("video.office.1", {"type": "after"})
    await layer.send(channel, {"type": "marker"})
    assert await _receive(layer, channel) == {"type": "marker"}


async def test_an_expired_message_of_a_consumer_that_never_reads_is_cleaned_away(clock):
    layer = InMemoryChannelLayer(expiry=60, clean_interval=1)
    dead, alive = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("video.office.1", dead)
    await layer.group_add("video.office.1", alive)
    await layer.group_send("video.office.1", {"type": "first"})
    assert await _receive(layer, alive) == {"type": "first"}

    clock.advance(61)
    await layer.group_send("video.office.1", {"type": "second"})

    # The pass dropped the dead consumer's message and took it out of the group.
    assert await _receive(layer, alive) == {"type": "second"}
    await layer.send(dead, {"type": "marker"})
    assert await _receive(layer, dead) == {"type": "marker"}


async def test_group_memberships_still_expire(clock):
    layer = InMemoryChannelLayer(group_expiry=3600, clean_interval=1)
    old, new = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("video.staff.1", old)
    clock.advance(3000)
    await layer.group_add("video.staff.1", new)

    clock.advance(700)  # the old membership is 3,700 s old, the new one 700 s
    await layer.group_send("video.staff.1", {"type": "queue.staff"})
    await layer.send(old, {"type": "marker"})

    assert await _receive(layer, new) == {"type": "queue.staff"}
    assert await _receive(layer, old) == {"type": "marker"}


async def test_the_full_pass_runs_once_per_interval_not_on_every_call(clock, full_passes):
    layer = InMemoryChannelLayer(clean_interval=1)
    channels = [await layer.new_channel() for _ in range(50)]
    for channel in channels:
        await layer.group_add("video.office.1", channel)

    for _ in range(3):
        await layer.group_send("video.office.1", {"type": "queue.moved"})
        for channel in channels:
            await _receive(layer, channel)
    assert len(full_passes) == 1  # 153 receives and group sends within one second

    clock.advance(1)
    await layer.group_send("video.office.1", {"type": "queue.moved"})
    assert len(full_passes) == 2


async def test_channels_own_layer_would_run_it_on_every_call(clock, full_passes):
    """The cost the subclass removes (bench/README.md, "Video office")."""
    layer = channels_layers.InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("video.office.1", channel)
    for _ in range(5):
        await layer.group_send("video.office.1", {"type": "queue.moved"})
        await _receive(layer, channel)
    assert len(full_passes) == 10


# -- Redis ---------------------------------------------------------------------------------


def test_the_redis_layer_bounds_its_pool_and_lets_a_burst_wait():
    layer = RedisChannelLayer(
        hosts=["redis://127.0.0.1:6379/9"], pool_size=7, pool_timeout=3, expiry=30
    )

    pool = layer.create_pool(0)

    assert isinstance(pool, BlockingConnectionPool)
    assert (pool.max_connections, pool.timeout) == (7, 3)
    assert pool.connection_kwargs["db"] == 9
    assert layer.expiry == 30  # channels-redis' own options still apply


def test_the_redis_socket_outlasts_channels_redis_blocking_read():
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:6379/0"])

    timeout = layer.create_pool(0).connection_kwargs["socket_timeout"]

    assert timeout > layer.brpop_timeout
    with pytest.raises(ValueError, match="socket_timeout"):
        RedisChannelLayer(hosts=["redis://127.0.0.1:6379/0"], socket_timeout=5)


def test_a_pool_size_in_the_host_entry_wins():
    layer = RedisChannelLayer(hosts=[{"address": "redis://127.0.0.1:6379/0", "max_connections": 3}])

    assert layer.create_pool(0).max_connections == 3


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
async def test_a_burst_larger_than_the_pool_is_delivered_not_refused():
    layer = RedisChannelLayer(hosts=[os.environ["REDIS_URL"]], pool_size=2, prefix="bb-test-pool")
    try:
        channels = [await layer.new_channel() for _ in range(40)]
        await asyncio.gather(*(layer.group_add("video.office.1", c) for c in channels))
        await layer.group_send("video.office.1", {"type": "queue.moved"})

        received = await asyncio.gather(*(_receive(layer, c) for c in channels))

        assert received == [{"type": "queue.moved"}] * 40
    finally:
        await layer.flush()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
async def test_a_channel_quiet_for_longer_than_the_blocking_read_still_receives():
    """redis-py 8's default socket timeout (5 s) equals channels-redis' BZPOPMIN: with it,
    this receive failed with TimeoutError after 5 quiet seconds."""
    layer = RedisChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix="bb-test-quiet")
    channel = await layer.new_channel()

    async def send_late():
        await asyncio.sleep(layer.brpop_timeout + 1.5)
        await layer.send(channel, {"type": "late"})

    try:
        sender = asyncio.ensure_future(send_late())
        assert await asyncio.wait_for(layer.receive(channel), timeout=30) == {"type": "late"}
        await sender
    finally:
        await layer.flush()
