"""What button a service page shows for each of its channels.

A channel's next step exists only once the capability behind it is built: the app
that builds it registers a resolver in its ``AppConfig.ready``::

    from buergerbuero.catalog.next_steps import register_next_step

    def booking_url(service):
        return reverse("appointments:book", args=[service.slug])

    register_next_step("appointment", booking_url)

Several apps may resolve one channel (the online channel of most services is a form of
the applications app; that of ``verwarngeld-bezahlen`` is the payments app's page): the
first resolver that answers wins. A resolver returns a URL, a ``(URL, label)`` pair when
the channel's default label does not fit, or ``None``. A channel without an answer shows
no button (never a broken one); ``external`` channels always lead to their portal's URL
and ``info`` never needs a button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Channel, Service, ServiceChannel

Resolver = Callable[[Service], str | tuple[str, str] | None]

LABELS = {
    Channel.ONLINE: _("Online beantragen"),
    Channel.EXTERNAL: _("Zum Online-Portal"),
    Channel.APPOINTMENT: _("Termin buchen"),
    Channel.VIDEO: _("Video-Sprechstunde"),
}

_resolvers: dict[str, list[Resolver]] = {}


@dataclass(frozen=True)
class NextStep:
    channel: str
    url: str
    label: str
    external: bool


def register_next_step(channel: str, resolver: Resolver) -> None:
    if channel not in {Channel.ONLINE, Channel.APPOINTMENT, Channel.VIDEO}:
        raise ValueError(f"'{channel}' has no built-in next step to register; see Channel.")
    resolvers = _resolvers.setdefault(channel, [])
    if resolver not in resolvers:
        resolvers.append(resolver)


def unregister_next_step(channel: str, resolver: Resolver | None = None) -> None:
    """Forget ``resolver`` of ``channel``, or all of the channel's resolvers."""
    if resolver is None:
        _resolvers.pop(channel, None)
    elif resolver in _resolvers.get(channel, []):
        _resolvers[channel].remove(resolver)


def _resolve(service: Service, channel: ServiceChannel) -> tuple[str, str] | None:
    default_label = str(LABELS.get(channel.kind, ""))
    if channel.kind == Channel.EXTERNAL:
        return (channel.url, default_label) if channel.url else None
    for resolver in _resolvers.get(channel.kind, []):
        answer = resolver(service)
        if answer:
            return answer if isinstance(answer, tuple) else (answer, default_label)
    return None


def next_steps_for(service: Service) -> list[NextStep]:
    """The service's next steps in the order its channels are listed (channels prefetched)."""
    steps = []
    for channel in service.channels.all():
        resolved = _resolve(service, channel)
        if resolved:
            url, label = resolved
            steps.append(
                NextStep(
                    channel=channel.kind,
                    url=url,
                    label=label,
                    external=channel.kind == Channel.EXTERNAL,
                )
            )
    return steps
