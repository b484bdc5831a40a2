"""How catalog text and citizens' queries are turned into comparable terms.

German citizens type ``fuehrerschein``, ``Führerschein`` and ``Fuhrerschein`` for the same
thing, glue words together (``Hundesteuer``) and make typos. Text and queries pass through
the same steps: fold case and ß, split into words, drop stop words, stem (Snowball German,
which also maps ``ue``/``ü`` to ``u``), and split compounds into words the catalog knows.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9äöüß]+")
_GERMAN = snowballstemmer.stemmer("german")
_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})

# Words that carry no meaning for finding a service (German and English), including the
# colloquial fillers citizens type into a search box or a chatbot ("hab nen Hund").
STOP_WORDS = frozenset(
    " ".join(
        [
            "a an and are as at be by can do does for from get got have how i if in is it me",
            "my need of on or so the this to want what when where which who will with you your",
            "ab aber alle als also am an auch auf aus bei beim bin bis bitte da damit dann das",
            "dass dem den der des die dies diese dieser doch du durch ein eine einem einen einer",
            "eines er es etwas fur gibt hab habe haben hat hier ich ihr im in ist ja jetzt kann",
            "kein keine krieg kriege man mein meine meinem meinen meiner mich mir mit muss mussen",
            "nach nen nicht noch nun nur ob oder sich sie sind so soll uber um und uns unser",
            "unsere vom von vor war was weil welche wer wie wir wird wo zu zum zur",
            "mach mache machen tun brauch brauche brauchen mocht mochte will wollen soll",
        ]
    ).split()
)

# Linking elements (Fugenelemente) that may sit between the parts of a German compound.
_LINKS = ("", "s", "es", "n", "en", "e", "er")


def fold(text: str) -> str:
    """Lower-case, ß → ss, and drop accents other than German umlauts."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    for char in decomposed:
        if unicodedata.category(char) == "Mn" and char != "\u0308":
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def sort_key(text: str) -> str:
    """Alphabetical order as in German indexes (DIN 5007-1): Ä with A, ß as ss."""
    return fold(text).translate(_UMLAUTS)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Stem a folded word; umlauts and their ae/oe/ue spellings end up identical."""
    return _GERMAN.stemWord(word).translate(_UMLAUTS)


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if stem(w) not in STOP_WORDS and w not in STOP_WORDS]


MAX_COMPOUND_LENGTH = 40
_MAX_COMPOUND_PARTS = 3


def split_compound(
    word: str, known: frozenset[str] | set[str], *, max_parts: int = _MAX_COMPOUND_PARTS
) -> list[str]:
    """Split a German compound into stems of words the catalog knows, or return [].

    ``split_compound("hundeanmeldung", known)`` gives ``["hund", "anmeld"]`` when both
    stems occur in the catalog. Parts are at least three letters; at most three parts,
    and words longer than 40 letters are not split (no real compound is, and it bounds
    the work a hostile query can cause).
    """
    if len(word) < 6 or len(word) > MAX_COMPOUND_LENGTH or max_parts < 2:
        return []
    for cut in range(len(word) - 3, 2, -1):
        head, tail = word[:cut], word[cut:]
        tail_stem = stem(tail)
        if tail_stem in known:
            tail_parts = [tail_stem]
        else:
            tail_parts = split_compound(tail, known, max_parts=max_parts - 1)
        if not tail_parts:
            continue
        for link in _LINKS:
            if link and not head.endswith(link):
                continue
            base = head[: len(head) - len(link)] if link else head
            if len(base) >= 3 and stem(base) in known:
                return [stem(base), *tail_parts]
    return []
