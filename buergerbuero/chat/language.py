"""Which language a citizen wrote in, and in which language the bot answers.

The catalog has German and English texts. A message in English is answered in English, one
in German in German; a message in another language the bot understands (Turkish,
Ukrainian, Arabic, Russian, Polish, …) is answered from the German texts, with a short note
in the citizen's language that the details are only available in German. Short messages
("wbs", "hund") say little about their language: they are answered in the language of the
page the citizen is on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

# Languages a message is recognised in. More would make short German messages more often
# mistaken for something else; these are the largest groups of Cologne's residents with
# another first language, and English.
KNOWN = ("de", "en", "tr", "uk", "ar", "ru", "pl", "it", "fr", "es")
CATALOG_LANGUAGES = ("de", "en")
_MIN_WORDS = 3
_MIN_PROBABILITY = 0.8

# "The details are only available in German", in the citizen's language.
GERMAN_ONLY_NOTE = {
    "tr": "Bu bilgiler yalnızca Almanca olarak mevcuttur. Aşağıda Almanca cevabı bulabilirsiniz.",
    "uk": "Ця інформація доступна лише німецькою мовою. Нижче — відповідь німецькою.",
    "ar": "هذه المعلومات متوفرة باللغة الألمانية فقط. تجد الإجابة بالألمانية أدناه.",
    "ru": "Эта информация доступна только на немецком языке. Ниже — ответ на немецком.",
    "pl": "Te informacje są dostępne tylko w języku niemieckim. Poniżej odpowiedź po niemiecku.",
    "it": "Queste informazioni sono disponibili solo in tedesco. Qui sotto la risposta in tedesco.",
    "fr": "Ces informations ne sont disponibles qu'en allemand. Voici la réponse en allemand.",
    "es": "Esta información solo está disponible en alemán. Abajo, la respuesta en alemán.",
}


@dataclass(frozen=True)
class Languages:
    message: str  # what the citizen wrote in (best guess)
    answer: str  # what the bot answers in: one of CATALOG_LANGUAGES
    note: str  # a note in the citizen's language when the answer is in another one

    @property
    def note_lang(self) -> str:
        """The note's language (for its lang attribute); empty without a note."""
        return self.message if self.note else ""


_lock = threading.Lock()
_identifier = None


def _classify(text: str) -> tuple[str, float]:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid import langid

            identifier = langid.LanguageIdentifier.from_model_file(
                langid.MODEL_FILE, norm_probs=True
            )
            identifier.set_languages(list(KNOWN))
            _identifier = identifier
        return _identifier.classify(text)


def languages(message: str, *, page_language: str) -> Languages:
    page = page_language if page_language in CATALOG_LANGUAGES else "de"
    if len(message.split()) < _MIN_WORDS:
        return Languages(message=page, answer=page, note="")
    found, probability = _classify(message)
    if probability < _MIN_PROBABILITY:
        return Languages(message=page, answer=page, note="")
    if found in CATALOG_LANGUAGES:
        return Languages(message=found, answer=found, note="")
    return Languages(message=found, answer="de", note=GERMAN_ONLY_NOTE.get(found, ""))
