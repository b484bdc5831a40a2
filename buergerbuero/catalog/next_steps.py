"""What button a service page shows for each of its channels.

A channel's next step exists only once the capability behind it is built: the app
that builds it registers a resolver in its ``AppConfig.ready``::

    from buergerbuero.catalog.next_steps import register_next_step

    def booking_url(service):
        return reverse("appointments:book", args=[service.slug])

    register_next_step("appointment", booking_url)

A channel without a resolver shows no button (never a broken one); ``external`` channels
always lead to their portal's URL and ``info`` never needs a button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Channel, Service, ServiceChannel

Resolver = Callable[[Service], str | None]

LABELS = {
    Channel.ONLINE: _("Online beantragen"),
    Channel.EXTERNAL: _("Zum Online-Portal"),
    Channel.APPOINTMENT: _("Termin buchen"),
    Channel.VIDEO: _("Video-Sprechstunde"),
}

_resolvers: dict[str, Resolver] = {}


@dataclass(frozen=True)
class NextStep:
    channel: str
    url: str
    label: str
    external: bool


def register_next_step(channel: str, resolver: Resolver) -> None:
    if channel not in {Channel.ONLINE, Channel.APPOINTMENT, Channel.VIDEO}:
        raise ValueError(f"'{channel}' has no built-in next step to register; see Channel.")
    _resolvers[channel] = resolver


def unregister_next_step(channel: str) -> None:
    _resolvers.pop(channel, None)


def _resolve(service: Service, channel: ServiceChannel) -> str | None:
    if channel.kind == Channel.EXTERNAL:
        return channel.url or None
    resolver = _resolvers.get(channel.kind)
    return resolver(service) if resolver else None


def next_steps_for(service: Service) -> list[NextStep]:
    """The service's next steps in the order its channels are listed (channels prefetched)."""
    steps = []
    for channel in service.channels.all():
        url = _resolve(service, channel)
        if url:
            steps.append(
                NextStep(
                    channel=channel.kind,
                    url=url,
                    label=str(LABELS[channel.kind]),
                    external=channel.kind == Channel.EXTERNAL,
                )
            )
    return steps
