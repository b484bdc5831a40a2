"""The chatbot's reply to one message: the services it most likely means, an answer built
from the catalog's own texts and live data, and what the citizen can do next.

The answer states nothing the catalog or the live data does not say: fees, documents and
steps are the catalog's texts, quoted. When the bot is unsure it says so, names the two or
three likeliest services and offers a human. Nothing of the message is stored or logged.

Usage::

    from buergerbuero.chat.engine import reply
    answer = reply("Mein Perso läuft ab", page_language="de")
    answer.services[0].slug  # "personalausweis"
"""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from buergerbuero.catalog.next_steps import next_steps_for
from buergerbuero.catalog.text_analysis import content_words
from buergerbuero.core.selectors import municipality_get

from . import intents
from .generation import phrase
from .language import CATALOG_LANGUAGES, Languages, languages
from .replies import Action, Reply, ServiceHit
from .retrieval import Ranking, chat_index

MAX_MESSAGE_CHARS = 2000
_TAGS = re.compile(r"<[^>]*(?:>|$)")
_CODE_BLOCKS = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_ALTERNATIVES = 3
# Two services this close to each other are both offered, even when the bot is sure
# the message is about city services ("Ummelden nach Umzug": moving in or within Köln).
_CLOSE_SECOND = 0.03


class MessageRejected(ValueError):
    """The message cannot be answered at all (empty, too long); ``str()`` says why."""


def reply(message: str, *, page_language: str = "de", user=None) -> Reply:
    # Half an emoji (a lone surrogate) cannot be encoded; it becomes "?" like other junk.
    text = (message or "").encode("utf-8", "replace").decode("utf-8")
    text = " ".join(text.split())
    if not text:
        raise MessageRejected(_("Bitte schreiben Sie eine Frage."))
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageRejected(
            _("Bitte fassen Sie Ihre Frage kürzer (höchstens %(n)s Zeichen).")
            % {"n": f"{MAX_MESSAGE_CHARS:,}".replace(",", ".")}
        )
    # Markup is not read as words, scripts and styles not at all; the rest is. (A regular
    # expression rather than Django's strip_tags, which refuses long unclosed tags.)
    text = " ".join(_TAGS.sub(" ", _CODE_BLOCKS.sub(" ", text)).split())
    if not any(char.isalpha() for char in text):
        return _unclear(page_language)
    langs = languages(text, page_language=page_language)
    small_talk = _small_talk(text, langs)
    if small_talk is not None:
        return small_talk
    if langs.message in CATALOG_LANGUAGES and not content_words(text):
        return _unclear(langs.answer)  # "der die das", "the and of": nothing to look up
    index = chat_index()
    ranking = index.rank(text, foreign=langs.message not in CATALOG_LANGUAGES)
    with translation.override(langs.answer):
        hits = [_hit(index.snapshot.by_id[h.service_id], h.score) for h in ranking.hits]
        live = intents.answer(text, ranking=ranking, hits=hits, user=user)
        if live is not None:
            return Reply(
                answer=live.answer,
                services=hits,
                confident=live.confident,
                actions=live.actions,
                lang=langs.answer,
                note=langs.note,
                note_lang=langs.note_lang,
                intent=live.intent,
                facts=live.facts,
            )
        if not ranking.on_topic or not hits:
            return _not_for_me(text, ranking, hits, langs)
        # Phrased by the city's own model when CHAT_LLM_URL is set (generation.py).
        return phrase(_service_answer(index.snapshot.by_id, ranking, hits, langs), text)


# A greeting or a thank-you on its own (at most a few words): answered kindly, not searched.
_GREETING = re.compile(
    r"^(?:hallo|hallöchen|hi|hey|moin|servus|guten (?:tag|morgen|abend)|hello|good "
    r"(?:morning|afternoon|evening)|merhaba|selam|привіт|добрий день|مرحبا|السلام عليكم)\b",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^(?:danke|vielen dank|dankeschön|thanks|thank you|cheers|teşekkür|sağ ?ol|дякую|شكرا)",
    re.IGNORECASE,
)
_SMALL_TALK_WORDS = 4


def _small_talk(text: str, langs: Languages) -> Reply | None:
    if len(text.split()) > _SMALL_TALK_WORDS:
        return None
    if _THANKS.match(text):
        intent = "thanks"
    elif _GREETING.match(text) and len(content_words(text)) <= 1:
        intent = "greeting"
    else:
        return None
    with translation.override(langs.answer):
        if intent == "thanks":
            answer = _(
                "Gern geschehen! Wenn Sie noch etwas erledigen möchten, schreiben Sie es mir."
            )
        else:
            answer = _(
                "Guten Tag! Schreiben Sie mir in ein paar Worten, was Sie erledigen möchten – "
                "zum Beispiel „Personalausweis beantragen“ oder „Hund anmelden“."
            )
        return Reply(
            answer=answer,
            services=[],
            confident=False,
            actions=[],
            lang=langs.answer,
            intent=intent,
        )


def _unclear(page_language: str) -> Reply:
    """Emoji, digits, punctuation or markup only: nothing to look up."""
    lang = page_language if page_language in ("de", "en") else "de"
    with translation.override(lang):
        return Reply(
            answer=_unclear_text(),
            services=[],
            confident=False,
            actions=_human_actions(),
            lang=lang,
            intent="unclear",
        )


def _unclear_text() -> str:
    return _(
        "Das habe ich leider nicht verstanden. Schreiben Sie mir bitte in ein paar Worten, "
        "was Sie erledigen möchten – zum Beispiel „Personalausweis beantragen“ oder "
        "„Hund anmelden“."
    )


def _hit(service, score: float) -> ServiceHit:
    return ServiceHit(
        slug=service.slug, score=score, name=service.name, url=service.get_absolute_url()
    )


def _human_actions() -> list[Action]:
    return [
        Action(
            "video",
            _("Mit einer Mitarbeiterin oder einem Mitarbeiter sprechen (Video)"),
            reverse("videooffice:offices"),
        ),
        Action("contact", _("Kontakt aufnehmen"), reverse("pages:kontakt")),
    ]


def _not_for_me(text: str, ranking: Ranking, hits: list[ServiceHit], langs: Languages) -> Reply:
    if not hits or not ranking.understood or (not ranking.semantic and not content_words(text)):
        answer = _unclear_text()
        intent = "unclear"
    elif ranking.off_topic or not ranking.semantic:
        answer = _(
            "Dabei kann ich Ihnen leider nicht helfen. Ich beantworte Fragen zu den "
            "Leistungen der %(city)s: Ausweise, Anmeldung, Urkunden, Termine und mehr. "
            "Wenn Sie doch eine Leistung der Stadt suchen: Vielleicht passt eine dieser?"
        ) % {"city": municipality_get().name}
        intent = "off_topic"
    else:
        answer = _(
            "Da bin ich mir nicht sicher. Meinen Sie eine dieser Leistungen: %(names)s? "
            "Sie können auch mit einer Mitarbeiterin oder einem Mitarbeiter sprechen."
        ) % {"names": ", ".join(hit.name for hit in hits[:_ALTERNATIVES])}
        intent = "unsure"
    return Reply(
        answer=answer,
        services=[] if intent == "unclear" else hits[:_ALTERNATIVES],
        confident=False,
        actions=_human_actions(),
        lang=langs.answer,
        note=langs.note,
        note_lang=langs.note_lang,
        intent=intent,
    )


def _service_answer(by_id, ranking: Ranking, hits: list[ServiceHit], langs: Languages) -> Reply:
    best = by_id[ranking.hits[0].service_id]
    close = [h for h in hits[1:_ALTERNATIVES] if hits[0].score - h.score <= _CLOSE_SECOND]
    paragraphs = [
        _("Das passt am besten: %(name)s.") % {"name": best.name},
        best.teaser,
    ]
    if best.fees:
        paragraphs.append(_("Gebühren: %(fees)s") % {"fees": best.fees})
    documents = [d.name for d in best.documents.all()]
    if documents:
        paragraphs.append(
            _("Das brauchen Sie:") + "\n" + "\n".join(f"– {name}" for name in documents)
        )
    if best.processing_time:
        paragraphs.append(_("Bearbeitungsdauer: %(time)s") % {"time": best.processing_time})
    if close:
        paragraphs.append(
            _("Oder meinen Sie: %(names)s?") % {"names": ", ".join(h.name for h in close)}
        )
    actions = [Action(step.channel, step.label, step.url) for step in next_steps_for(best)]
    actions.append(
        Action(
            "service",
            _("Alle Informationen: %(name)s") % {"name": best.name},
            best.get_absolute_url(),
        )
    )
    return Reply(
        answer="\n\n".join(p for p in paragraphs if p),
        services=hits,
        confident=True,
        actions=actions,
        lang=langs.answer,
        note=langs.note,
        note_lang=langs.note_lang,
        intent="service",
        facts={
            "service": best.slug,
            "name": best.name,
            "teaser": best.teaser,
            "fees": best.fees,
            "documents": documents,
            "processing_time": best.processing_time,
            "url": best.get_absolute_url(),
        },
    )
