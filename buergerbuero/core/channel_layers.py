"""The channel layers of settings.CHANNEL_LAYERS: Channels' own, with the changes that
thousands of open WebSockets need (bench/video_waiting_room.py; figures in
bench/README.md, "Video office").

``InMemoryChannelLayer`` (one process, the default): Channels' layer looks through every
channel and every group for expired messages and memberships on *each* receive and group
send. Every consumer calls receive after each message, so one broadcast to N waiting rooms
cost N full passes over N channels — O(N²); with 5,000 rooms a queue move took 13–18 s.
Here the full pass runs at most once per ``clean_interval`` seconds. What it guaranteed
still holds: a message that expired while queued is never delivered (receive checks the
message it takes), and its channel then leaves its groups; group memberships older than
``group_expiry`` still end, at the next pass.

``RedisChannelLayer`` (several processes, ``REDIS_URL`` set): channels-redis builds a
plain redis-py pool, which redis-py 8 caps at 100 connections and then fails with
``MaxConnectionsError`` — thousands of pages reconnecting at once (a restart) exceed that.
Here the pool blocks instead: at most ``pool_size`` connections per process and event loop,
and a command waits up to ``pool_timeout`` seconds for a free one (Redis executes commands
one at a time anyway; more connections would not make it faster). And the socket timeout
is set longer than channels-redis' blocking read (see the class).

Configure in settings (settings/base.py does)::

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "buergerbuero.core.channel_layers.InMemoryChannelLayer",
            "CONFIG": {"clean_interval": 1.0},  # the default
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "buergerbuero.core.channel_layers.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"], "pool_size": 100},
        }
    }
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from copy import deepcopy

from channels import layers
from channels.exceptions import ChannelFull
from channels_redis import core as redis_core
from redis.asyncio import BlockingConnectionPool


class InMemoryChannelLayer(layers.InMemoryChannelLayer):
    """Channels' in-memory layer whose expiry pass runs at most once per
    ``clean_interval`` seconds instead of on every receive and group send.

    Two more constant costs of a broadcast to thousands of channels are left out, with the
    same results: Channels builds a new ``asyncio.Queue`` on every send and receive only to
    throw it away when the channel has one (``setdefault``), and starts a task per member
    for a group send although a send never waits. Each member still gets its own copy of
    the message; a full channel still misses it (``ChannelFull``, ignored by group sends).
    """

    def __init__(self, clean_interval: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clean_interval = clean_interval
        self._cleaned_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()

    def _queue(self, channel: str) -> asyncio.Queue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        return queue

    async def send(self, channel: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        try:
            self._queue(channel).put_nowait((time.time() + self.expiry, deepcopy(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def receive(self, channel: str) -> dict:
        """Channels' receive, but a message that expired while it waited in the queue is
        dropped here (the full pass may not have run since): it is never delivered, and
        its channel leaves its groups, as the full pass would have done."""
        self.require_valid_channel_name(channel)
        self._clean_expired()
        while True:
            queue = self._queue(channel)
            try:
                expires, message = await queue.get()
            finally:
                if queue.empty():
                    self.channels.pop(channel, None)
            if expires >= time.time():
                return message
            self._remove_from_groups(channel)

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            with contextlib.suppress(ChannelFull):
                await self.send(channel, message)


class RedisChannelLayer(redis_core.RedisChannelLayer):
    """channels-redis with a blocking connection pool of ``pool_size`` connections: a burst
    waits up to ``pool_timeout`` seconds for a connection instead of failing. Hosts given as
    a URL (``"redis://…"``, or a dict with ``address``) only; other host forms (Sentinel)
    keep channels-redis' own pool and redis-py's timeouts.

    The socket timeout is ``socket_timeout`` seconds, longer than the ``BZPOPMIN`` with
    which channels-redis waits for messages (``brpop_timeout``, 5 s): redis-py 8 defaults
    to 5 s as well, so a process whose channels were quiet for 5 s had its receive fail
    with ``TimeoutError`` and lost that consumer's WebSocket (redis/redis-py#4091).
    """

    def __init__(
        self,
        *,
        pool_size: int = 100,
        pool_timeout: float = 10.0,
        socket_timeout: float = 15.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if socket_timeout <= self.brpop_timeout:
            raise ValueError(
                f"socket_timeout must be longer than channels-redis' blocking read "
                f"({self.brpop_timeout} s), or every quiet receive fails."
            )
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.socket_timeout = socket_timeout

    def create_pool(self, index: int):
        host = dict(self.hosts[index])
        address = host.pop("address", None)
        if address is None:
            return super().create_pool(index)
        host.setdefault("max_connections", self.pool_size)
        host.setdefault("timeout", self.pool_timeout)
        host.setdefault("socket_timeout", self.socket_timeout)
        host.setdefault("socket_connect_timeout", 5.0)
        return BlockingConnectionPool.from_url(address, **host)
