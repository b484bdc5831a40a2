"""How a chatbot reply is shown: its plain-text answer cut into paragraphs and lists, the
services worth a link of their own, the actions as buttons.

The chat page renders this on the server (``templates/chat/_reply.html``); ``chat.js``
does the same with the API's JSON in the browser and must follow the same rules, so both
are kept short and side by side::

    shown = reply_display(reply("Mein Perso läuft ab"))
    shown.paragraphs[0].lines  # ["Das passt am besten: Personalausweis beantragen."]
    shown.actions[0].url       # "/leistungen/personalausweis/"

Every text stays text: the templates escape it, the script sets ``textContent``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .replies import Action, Reply, ServiceHit

# A line starting with this dash is an item of a list ("Das brauchen Sie:\n– Pass\n– Foto").
LIST_ITEM = "– "
# How many services an unsure reply offers ("Meinten Sie vielleicht: …").
OFFERED = 3


@dataclass(frozen=True)
class Paragraph:
    lines: list[str]  # shown as one paragraph, line breaks kept
    items: list[str]  # shown as a bulleted list after the lines

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class ShownAction:
    label: str
    url: str
    external: bool  # leaves this website: marked as such


@dataclass(frozen=True)
class ShownReply:
    paragraphs: list[Paragraph]
    note: str
    note_lang: str
    lang: str
    confident: bool
    services: list[ServiceHit]  # links under the answer; headed "Meinten Sie vielleicht:" if unsure
    actions: list[ShownAction]


def reply_display(reply: Reply) -> ShownReply:
    actions = [_shown(action) for action in reply.actions if _safe_url(action.url)]
    return ShownReply(
        paragraphs=[_paragraph(text) for text in reply.answer.split("\n\n") if text.strip()],
        note=reply.note,
        note_lang=reply.note_lang,
        lang=reply.lang,
        confident=reply.confident,
        services=_linked_services(reply, {action.url for action in actions}),
        actions=actions,
    )


def _paragraph(text: str) -> Paragraph:
    lines = text.split("\n")
    return Paragraph(
        lines=[line for line in lines if not line.startswith(LIST_ITEM)],
        items=[line[len(LIST_ITEM) :] for line in lines if line.startswith(LIST_ITEM)],
    )


def _linked_services(reply: Reply, action_urls: set[str]) -> list[ServiceHit]:
    """An unsure reply offers its likeliest services. A sure one links the services its
    answer names ("Oder meinen Sie: Hund anmelden?") and no button already leads to."""
    services = [hit for hit in reply.services if _safe_url(hit.url)]
    if not reply.confident:
        return services[:OFFERED]
    return [hit for hit in services if hit.name in reply.answer and hit.url not in action_urls]


def _shown(action: Action) -> ShownAction:
    external = action.kind == "external" or not _SITE_PATH.match(action.url)
    return ShownAction(label=action.label, url=action.url, external=external)


def _safe_url(url: str) -> bool:
    """A path on this site or a web address; never ``javascript:`` or the like, and never
    "//host" or "/\\host", which browsers take for another site."""
    return bool(_SITE_PATH.match(url)) or url.startswith(("https://", "http://"))


_SITE_PATH = re.compile(r"/(?![/\\])")
