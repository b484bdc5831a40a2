"""What the chatbot answers: the reply, the services it ranked and the actions it offers
(``engine.reply`` builds them; the API, the chat page and the widget show them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceHit:
    slug: str
    score: float
    name: str
    url: str


@dataclass(frozen=True)
class Action:
    kind: str  # online | appointment | video | external | service | contact | ticket | status
    label: str
    url: str


@dataclass(frozen=True)
class Reply:
    answer: str  # plain text; paragraphs separated by blank lines
    services: list[ServiceHit]
    confident: bool
    actions: list[Action]
    lang: str  # the language of the answer
    note: str = ""  # in the citizen's language, when the answer is in another one
    note_lang: str = ""  # that language (e.g. "tr"), for the note's lang attribute
    # service | off_topic | unsure | unclear | a live-data intent (intents.py)
    intent: str = "service"
    facts: dict = field(default_factory=dict)  # what the answer was built from
