"""The chat page without JavaScript, and the chat widget on the other pages, through HTTP.

The first question of the test process loads the embedding model (a few seconds).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.chat import views
from buergerbuero.chat.replies import Action, Reply, ServiceHit

pytestmark = pytest.mark.django_db

PAGE = "/chat/"


def ask(client, message: str, path: str = PAGE):
    response = client.post(path, {"message": message})
    return response, response.content.decode()


def textarea(html: str) -> str:
    """The question field's markup, up to and including what is typed in it."""
    return re.search(r'<textarea[^>]*id="chat-frage"[^>]*>[^<]*</textarea>', html).group(0)


def test_the_page_asks_for_a_question_and_says_what_happens_to_it(client):
    response = client.get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("chat:page") == PAGE
    assert '<label class="kern-label" for="chat-frage">Ihre Frage</label>' in html
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert 'method="post" action="/chat/"' in html and "csrfmiddlewaretoken" in html
    assert "Ihre Unterhaltung wird nicht gespeichert" in html
    # The page is the chat; the widget's launcher would only open the same again.
    assert "data-chatbot-widget" not in html


def test_a_question_is_answered_on_the_page_with_the_service_and_its_link(client):
    response, html = ask(client, "Mein Perso läuft ab")

    assert response.status_code == 200
    assert "Mein Perso läuft ab" in html  # the question, in the log
    assert "Personalausweis beantragen" in html
    assert 'href="/leistungen/personalausweis/"' in html
    assert "Das brauchen Sie:" in html
    assert "<li>Bisheriger Personalausweis oder Reisepass</li>" in html
    # The field is empty again for the next question.
    assert textarea(html).endswith("></textarea>")


def hits(*names: str) -> list[ServiceHit]:
    return [
        ServiceHit(name.lower().replace(" ", "-"), 0.5 - i / 100, name, f"/leistungen/{i}/")
        for i, name in enumerate(names)
    ]


def test_an_unsure_reply_offers_its_three_likeliest_services(client, monkeypatch):
    unsure = Reply(
        answer="Dabei kann ich Ihnen leider nicht helfen.",
        services=hits("Eins", "Zwei", "Drei", "Vier", "Fünf"),
        confident=False,
        actions=[Action("contact", "Kontakt aufnehmen", "/kontakt/")],
        lang="de",
    )
    monkeypatch.setattr(views, "reply", lambda message, **kwargs: unsure)

    response, html = ask(client, "Wie wird morgen das Wetter?")

    offered = re.search(r"Meinten Sie vielleicht:</p>\s*<ul[^>]*>(.*?)</ul>", html, re.S).group(1)
    assert re.findall(r">(\w+)</a>", offered) == ["Eins", "Zwei", "Drei"]
    assert 'href="/kontakt/"' in html  # and a person to ask


def test_a_sure_reply_links_the_other_services_its_answer_names(client, monkeypatch):
    sure = Reply(
        answer="Das passt am besten: Hund abmelden.\n\nOder meinen Sie: Hund anmelden?",
        services=hits("Hund abmelden", "Hund anmelden", "Fahrzeug zulassen"),
        confident=True,
        actions=[Action("service", "Alle Informationen: Hund abmelden", "/leistungen/0/")],
        lang="de",
    )
    monkeypatch.setattr(views, "reply", lambda message, **kwargs: sure)

    response, html = ask(client, "Hab nen Hund gekauft")

    assert "Meinten Sie vielleicht:</p>" not in html
    linked = re.search(r"Passende Leistungen:</p>\s*<ul[^>]*>(.*?)</ul>", html, re.S).group(1)
    # The best service has its button already; a service the answer does not name is noise.
    assert linked == '<li><a class="kern-link" href="/leistungen/1/">Hund anmelden</a></li>'


def test_an_empty_question_is_refused_in_german_above_the_field(client):
    response, html = ask(client, "   ")

    assert response.status_code == 400
    assert "Bitte schreiben Sie eine Frage." in html
    field = textarea(html)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="chat-frage-hinweis chat-frage-fehler"' in field
    assert html.index('id="chat-frage-fehler"') < html.index('id="chat-frage"')


def test_a_too_long_question_is_refused_and_what_was_typed_stays(client):
    typed = "Ich möchte meinen Hund anmelden. " * 70  # 2,310 characters

    response, html = ask(client, typed)

    assert response.status_code == 400
    assert "Bitte fassen Sie Ihre Frage kürzer (höchstens 2.000 Zeichen)." in html
    assert textarea(html).endswith(f">{typed}</textarea>")
    assert 'role="log"' in html and "Das passt am besten" not in html


def test_the_english_page_answers_in_english(client):
    page = client.get("/en/chat/").content.decode()
    assert '<html lang="en"' in page
    assert 'action="/en/chat/"' in page

    response, html = ask(client, "I lost my identity card", path="/en/chat/")

    assert response.status_code == 200
    assert 'lang="en"' in html
    assert 'href="/en/leistungen/personalausweis/"' in html
    assert "Apply for a German identity card" in html


def test_markup_in_a_question_stays_text(client):
    response, html = ask(client, '<script>alert("frage")</script>')

    assert response.status_code == 200
    assert '<script>alert("frage")' not in html
    assert "&lt;script&gt;alert(&quot;frage&quot;)&lt;/script&gt;" in html


def test_markup_in_an_answer_stays_text_and_no_script_link_is_made(client, monkeypatch):
    def reply(message, **kwargs):
        return Reply(
            answer="Erster <script>alert(1)</script> Absatz\n\n<b>fett</b>\n– <i>Punkt</i>",
            services=[ServiceHit("x", 0.5, "<img src=x onerror=alert(2)>", "/leistungen/x/")],
            confident=False,
            actions=[
                Action("service", "<em>Los</em>", "/leistungen/x/"),
                Action("external", "Böse", "javascript:alert(3)"),
                Action("service", "Woanders", "/\\evil.example/"),
                Action("service", "Auch woanders", "//evil.example/"),
            ],
            lang="de",
            note="<u>Hinweis</u>",
        )

    monkeypatch.setattr(views, "reply", reply)

    response, html = ask(client, "egal")

    assert response.status_code == 200
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;fett&lt;/b&gt;" in html and "<li>&lt;i&gt;Punkt&lt;/i&gt;</li>" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;em&gt;Los&lt;/em&gt;" in html and "&lt;u&gt;Hinweis&lt;/u&gt;" in html
    assert "javascript:" not in html and "Böse" not in html
    assert "evil.example" not in html and "woanders" not in html.lower()


def test_too_many_questions_are_refused_with_a_wait_and_the_text_stays(client, settings):
    settings.CHAT_MESSAGES_PER_ADDRESS_MINUTE = 1
    ask(client, "Mein Perso läuft ab")

    response, html = ask(client, "Hund anmelden")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Sie haben sehr viele Nachrichten in kurzer Zeit geschickt." in html
    assert textarea(html).endswith(">Hund anmelden</textarea>")


# -- the widget ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/leistungen/hund-anmelden/", "/en/", "/gibt-es-nicht/"])
def test_citizens_pages_carry_the_widget_which_links_to_the_chat_page(client, path):
    html = client.get(path).content.decode()

    english = path.startswith("/en/")
    assert "data-chatbot-widget" in html
    assert ("Open the chatbot" if english else "Chatbot öffnen") in html
    prefix = "/en" if english else ""
    assert f'href="{prefix}/chat/" data-chatbot-link' in html
    assert "<dialog" in html and 'id="chat-widget-frage"' in html


@pytest.mark.parametrize(
    "username,path",
    [
        ("becker", "/sachbearbeitung/"),
        ("becker", "/sachbearbeitung/video/"),
        ("okafor", "/sachbearbeitung/termine/kundenzentrum-kalk/"),
        ("okafor", "/sachbearbeitung/schalter/"),
        ("kasse", "/kasse/"),
        ("becker", "/verwaltung/konto/"),
        (None, "/verwaltung/anmelden/"),
    ],
)
def test_staff_pages_have_no_widget(client, username, path):
    if username:
        client.force_login(get_user_model().objects.get(username=username))

    response = client.get(path)

    assert response.status_code == 200
    assert "data-chatbot-widget" not in response.content.decode()
