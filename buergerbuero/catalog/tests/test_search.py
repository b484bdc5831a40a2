"""Search understands how citizens type: umlauts spelled out, compounds, colloquial words,
typos. The demo catalog of Stadt Köln is loaded (see conftest.py)."""

import os

import pytest

from buergerbuero.catalog.selectors import service_search
from buergerbuero.catalog.text_analysis import split_compound, stem

pytestmark = pytest.mark.django_db


def slugs(query: str, limit: int = 20) -> list[str]:
    return [service.slug for service, _ in service_search(query=query, limit=limit)]


@pytest.mark.parametrize(
    ("query", "expected", "within"),
    [
        ("Personalausweis", "personalausweis", 1),
        ("Perso", "personalausweis", 1),  # colloquial synonym
        ("Knöllchen", "verwarngeld-bezahlen", 1),  # colloquial synonym
        ("knoellchen", "verwarngeld-bezahlen", 1),  # umlaut spelled out
        ("Hundesteuer", "hund-anmelden", 2),  # compound
        ("Hundeanmeldung", "hund-anmelden", 2),  # compound not in any text
        ("fuehrerschein", "fuehrerschein-umtausch", 1),  # ü as ue
        ("Fuhrerschein", "fuehrerschein-umtausch", 1),  # umlaut dropped
        ("Ummeldung", "wohnsitz-ummelden", 3),
        ("Persnalausweis", "personalausweis", 1),  # typo
        ("Reisepas", "reisepass", 1),  # typo
        ("Strassenverkehr Halteverbot Umzug", "sondernutzung-halteverbot", 2),
        ("Sperrmüll", "sperrmuell", 1),
        ("passport", "reisepass", 2),  # English
        ("register a dog", "hund-anmelden", 2),
    ],
)
def test_citizens_words_find_the_service(query, expected, within):
    assert expected in slugs(query)[:within], slugs(query)[:5]


def test_nonsense_finds_nothing():
    assert slugs("xqzvbnm") == []


def test_stop_words_alone_find_nothing():
    assert slugs("ich muss was machen") == []


def test_a_partial_word_while_typing_already_suggests():
    assert "fuehrerschein-umtausch" in slugs("fuehrersch", limit=6)


def test_more_matching_words_rank_higher():
    results = slugs("Hund abmelden")
    assert results[0] == "hund-abmelden"
    assert "hund-anmelden" in results


def test_an_edited_service_is_found_by_its_new_keyword(django_capture_on_commit_callbacks):
    from buergerbuero.catalog.models import Service

    assert "reisepass" not in slugs("Globetrotter")
    service = Service.objects.get(slug="reisepass")
    service.keywords_de += "\nGlobetrotter"
    with django_capture_on_commit_callbacks(execute=True):
        service.save()
    assert slugs("Globetrotter")[0] == "reisepass"


def test_compounds_split_into_known_words():
    known = {stem("hund"), stem("steuer"), stem("anmeldung")}
    assert split_compound("hundesteuer", known) == [stem("hund"), stem("steuer")]
    assert split_compound("hundeanmeldung", known) == [stem("hund"), stem("anmeldung")]
    assert split_compound("katzensteuer", known) == []


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_the_catalog_revision_lives_in_the_shared_redis_cache(settings):
    from django.core.cache import cache

    from buergerbuero.catalog.snapshot import catalog_revision, catalog_revision_bump

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"bb-test-{os.getpid()}",
        }
    }
    first = catalog_revision()
    assert catalog_revision() == first  # stable while nothing changes
    catalog_revision_bump()
    second = catalog_revision()
    assert second != first
    cache.delete("catalog:revision")  # as after a Redis restart
    assert catalog_revision() not in {first, second}
