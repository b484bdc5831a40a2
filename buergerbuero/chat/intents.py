"""Questions answered from live data rather than the catalog's texts.

- *Waiting time*: how many people wait at a customer centre now and how long a ticket drawn
  now would wait (the estimator of the walk-in queue); all open centres, shortest wait
  first, or the one the message names ("Wartezeit in Kalk").
- *Opening hours*: whether a centre is open now, until when, or when it opens next.
- *Next free appointment* for the service the message is about ("Wann gibt es den
  nächsten Termin für einen Reisepass?").
- *My application*: the state of the citizen's cases — only when logged in; otherwise the
  way to log in. Nothing about anybody else's case is ever said.
- *A person*: the video office of the service's department, or all video offices.

A message is taken for one of these by a few words per language that ask for it
("Wartezeit", "geöffnet", "nächster Termin", "Stand meines Antrags", "mit einem Menschen
sprechen", and their English, Turkish, Ukrainian and Arabic counterparts). Words that
may mean something else ("warten", "offen") count only when the message names a customer
centre or an office: "Wie lange muss ich auf meinen Reisepass warten?" asks for the
processing time, which the catalog answers. Texts come from gettext; numbers and times
from the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rapidfuzz import fuzz

from buergerbuero.catalog.text_analysis import fold, words
from buergerbuero.organisation.hours import centre_status, prefetch_for_hours
from buergerbuero.organisation.models import CustomerCentre

from .replies import Action

_MAX_LISTED = 3


def _pattern(*alternatives: str) -> re.Pattern:
    """Alternatives as regular expressions over folded text (lower case, ß → ss), each
    starting at a word boundary. The expressions are folded too (so that "й" matches the
    folded message): upper-case escapes such as \\S or \\W would become \\s and \\w."""
    assert not any(re.search(r"\\[A-Z]", a) for a in alternatives), "no upper-case escapes"
    return re.compile(r"(?<!\w)(?:" + "|".join(fold(a) for a in alternatives) + ")")


# Words that ask for the queue itself, and words that may ask for it when an office is
# named ("Wie lange muss ich warten?" is the queue at the Bürgeramt, the processing time of
# a passport, or the bus).
QUEUE = _pattern(
    r"warte?zeit",
    r"wie voll",
    r"andrang",
    r"schlange",
    r"waiting time",
    r"how busy",
    r"queue",
    r"bekleme süresi",
    r"черг",
    r"وقت الانتظار",
)
WAIT = _pattern(
    r"wie lange (?:muss|mus|wartet|warten)",
    r"warten",
    r"how long .*wait",
    r"ne kadar bekle",
    r"скільки чекати",
    r"الانتظار",
)
# Words that ask for opening hours on their own, and words that do so with an office named
# ("Hat der Zoo heute offen?" is not the bot's business).
OPENING_HOURS = _pattern(
    r"(?:o|oe|ö)ffnungszeit",
    r"opening (?:hours|times)",
    r"çalışma saat",
    r"години робот",
    r"графік робот",
    r"ساعات العمل",
)
OPEN = _pattern(
    r"ge(?:o|oe|ö)ffnet",
    r"offen\b",
    r"\bopen\b",
    r"\bclose",
    r"açık",
    r"відчинен",
    r"مفتوح",
)
OFFICE = _pattern(
    r"kundenzentr",
    r"b(?:u|ue|ü)rger(?:amt|b(?:u|ue|ü)ro|service)",
    r"meldehalle",
    r"rathaus",
    r"\b(?:a|ä)mter?\b",
    r"citizens'? office",
    r"customer cent",
    r"town hall",
    r"belediye",
    r"nüfus",
    r"центр обслуговування",
    r"бюргерамт",
    r"البلدية",
    r"مكتب المواطنين",
)
APPOINTMENT = _pattern(r"termin", r"appointment", r"randevu", r"запис", r"موعد")
SOONEST = _pattern(
    r"n(?:a|ae|ä)chste",
    r"fr(?:u|ue|ü)heste",
    r"freie?n?\b",
    r"wann",
    r"schnell",
    r"bald",
    r"next",
    r"earliest",
    r"free",
    r"available",
    r"soon",
    r"en yakın",
    r"en erken",
    r"boş",
    r"найближч",
    r"вільн",
    r"أقرب",
    r"متاح",
)
STATUS = _pattern(
    r"(?:antrags|bearbeitungs)?status (?:meines|meiner|von mein|of my)",
    r"antragsstatus",
    r"bearbeitungsstand",
    r"sachstand",
    r"stand (?:meines|meiner|von meinem)",
    r"wie weit ist mein",
    r"(?:mein|meinen|meinem) antrag (?:schon|noch|ist)",
    r"my application",
    r"başvurum",
    r"basvurum",
    r"моя заява",
    r"моєї заяви",
    r"طلبي",
)
HUMAN = _pattern(
    r"(?:mit|with) (?:einem |einer |a |an )?(?:echten |richtigen |real |live )?"
    r"(?:mensch|mitarbeiter|sachbearbeiter|berater|person\b|human|agent)",
    r"(?:sprechen|reden|talk|speak) (?:mit|to|with) (?:jemande?m|someone|somebody)",
    r"pers(?:o|oe|ö)nlich (?:sprechen|beraten)",
    r"video ?(?:sprechstunde|beratung|anruf|call|chat)",
    r"gerçek (?:bir )?kişi",
    r"з (?:живою )?людиною",
    r"مع شخص",
    r"موظف",
)


@dataclass(frozen=True)
class LiveAnswer:
    intent: str
    answer: str
    actions: list
    confident: bool = True
    facts: dict = field(default_factory=dict)


def answer(text: str, *, ranking, hits, user) -> LiveAnswer | None:
    folded = fold(text)
    top = hits[0].slug if hits and ranking.on_topic else None
    queue, wait = QUEUE.search(folded), WAIT.search(folded)
    hours, open_ = OPENING_HOURS.search(folded), OPEN.search(folded)
    # The customer centres the message names (a query): only when it may ask for them.
    named = _centres_named(folded) if queue or wait or hours or open_ else []
    office = bool(named) or bool(OFFICE.search(folded))
    if queue or (wait and office):
        return _waiting(named)
    if STATUS.search(folded):
        return _status(user)
    if hours or (open_ and office):
        return _hours(named)
    if APPOINTMENT.search(folded) and SOONEST.search(folded) and top:
        live = _next_appointment(ranking)
        if live is not None:
            return live
    if HUMAN.search(folded):
        return _human(top)
    return None


def _centres_named(folded: str) -> list[CustomerCentre]:
    """The customer centres whose district or name the message mentions (typos allowed)."""
    message_words = [w for w in words(folded) if len(w) >= 4]
    named = []
    for centre in CustomerCentre.objects.order_by("name"):
        marks = {fold(centre.district)} | {
            w for w in words(centre.name) if w not in {"kundenzentrum", "burgeramt", "bürgeramt"}
        }
        marks = {m for m in marks if len(m) >= 4}
        if any(fuzz.ratio(w, m) >= 85 for w in message_words for m in marks):
            named.append(centre)
    return named


def _local(moment) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return _("heute um %(time)s Uhr") % {"time": formats.time_format(local, "H:i")}
    return _("%(day)s um %(time)s Uhr") % {
        "day": formats.date_format(local, "l, j. F"),
        "time": formats.time_format(local, "H:i"),
    }


def _waiting(named: list[CustomerCentre]) -> LiveAnswer:
    from buergerbuero.tickets.selectors import centre_waits

    waits = centre_waits(centre_ids=[c.pk for c in named] if named else None)
    page = Action(
        "waiting_times", _("Wartezeiten aller Kundenzentren"), reverse("tickets:waiting_times")
    )
    lines = []
    if named:
        lines = [_wait_line(wait) for wait in waits]
        without_queue = set(named) - {wait.centre for wait in waits}
        for centre in sorted(without_queue, key=lambda c: c.name):
            lines.append(
                _("%(centre)s hat keine Wartemarken: Dort kommen Sie nur mit Termin dran.")
                % {"centre": centre.name}
            )
    else:
        # Centres without an estimate (no service time learnt yet) come last, not first.
        open_now = sorted(
            (w for w in waits if w.open),
            key=lambda w: (w.estimated_wait_minutes is None, w.estimated_wait_minutes or 0),
        )
        if open_now:
            lines.append(_("Gerade am kürzesten ist die Wartezeit hier:"))
            lines += [_wait_line(w) for w in open_now[:_MAX_LISTED]]
        else:
            lines.append(_("Gerade ist kein Kundenzentrum geöffnet."))
    actions = [page]
    if named and len(waits) == 1 and waits[0].open:
        actions.insert(
            0,
            Action(
                "ticket",
                _("Wartemarke online ziehen"),
                reverse("tickets:remote_draw", args=[waits[0].centre.slug]),
            ),
        )
    return LiveAnswer(
        intent="waiting_time",
        answer="\n".join(lines),
        actions=actions,
        facts={
            "centres": [
                {
                    "centre": w.centre.slug,
                    "open": w.open,
                    "waiting": w.waiting,
                    "minutes": w.estimated_wait_minutes,
                }
                for w in waits
            ]
        },
    )


def _wait_line(wait) -> str:
    if not wait.open:
        status = centre_status(wait.centre)
        if status.next_opening:
            return _("%(centre)s: geschlossen, öffnet %(when)s.") % {
                "centre": wait.centre.name,
                "when": _local(status.next_opening),
            }
        return _("%(centre)s: geschlossen.") % {"centre": wait.centre.name}
    minutes = wait.estimated_wait_minutes
    people = ngettext("%(n)s Person wartet", "%(n)s Personen warten", wait.waiting) % {
        "n": wait.waiting
    }
    if minutes is None:
        return _("%(centre)s: geöffnet, %(people)s.") % {
            "centre": wait.centre.name,
            "people": people,
        }
    return _("%(centre)s: %(people)s, etwa %(minutes)s Minuten Wartezeit.") % {
        "centre": wait.centre.name,
        "people": people,
        "minutes": minutes,
    }


def _hours(named: list[CustomerCentre]) -> LiveAnswer:
    centres = list(
        prefetch_for_hours(
            CustomerCentre.objects.filter(pk__in=[c.pk for c in named])
            if named
            else CustomerCentre.objects.all()
        )
    )
    lines = []
    facts = []
    for centre in sorted(centres, key=lambda c: c.name):
        status = centre_status(centre)
        if status.open:
            lines.append(
                _("%(centre)s: jetzt geöffnet, bis %(time)s Uhr.")
                % {
                    "centre": centre.name,
                    "time": formats.time_format(timezone.localtime(status.closes_at), "H:i"),
                }
            )
        elif status.next_opening:
            lines.append(
                _("%(centre)s: jetzt geschlossen, öffnet %(when)s.")
                % {"centre": centre.name, "when": _local(status.next_opening)}
            )
        else:
            lines.append(
                _("%(centre)s: in den nächsten Wochen geschlossen.") % {"centre": centre.name}
            )
        facts.append({"centre": centre.slug, "open": status.open})
    return LiveAnswer(
        intent="opening_hours",
        answer="\n".join(lines),
        actions=[
            Action(
                "page",
                _("Alle Kundenzentren mit Öffnungszeiten"),
                reverse("organisation:customer_centres"),
            )
        ],
        facts={"centres": facts},
    )


def _next_appointment(ranking) -> LiveAnswer | None:
    from buergerbuero.appointments.slots import earliest
    from buergerbuero.catalog.snapshot import catalog_snapshot

    service = catalog_snapshot().by_id[ranking.hits[0].service_id]
    slots = earliest(services=[service])
    if not slots:
        return None  # not bookable at a counter: the catalog's answer says how it works
    query = f"?leistung={service.slug}"
    lines = [_("Die nächsten freien Termine für %(service)s:") % {"service": service.name}]
    lines += [f"– {slot.centre.name}: {_local(slot.starts_at)}" for slot in slots[:_MAX_LISTED]]
    return LiveAnswer(
        intent="next_appointment",
        answer="\n".join(lines),
        actions=[
            Action(
                "appointment",
                _("Termin buchen: %(centre)s") % {"centre": slot.centre.name},
                reverse("appointments:book", args=[slot.centre.slug]) + query,
            )
            for slot in slots[:_MAX_LISTED]
        ],
        facts={
            "service": service.slug,
            "slots": [
                {"centre": s.centre.slug, "starts_at": s.starts_at.isoformat()}
                for s in slots[:_MAX_LISTED]
            ],
        },
    )


def _status(user) -> LiveAnswer:
    from buergerbuero.applications.selectors import cases_of

    if user is None or not user.is_authenticated or user.is_staff:
        return LiveAnswer(
            intent="application_status",
            answer=_(
                "Den Stand Ihrer Anträge sehen Sie, wenn Sie angemeldet sind: unter "
                "„Mein Bürgerbüro“. Melden Sie sich an, dann sage ich es Ihnen auch hier."
            ),
            actions=[
                Action(
                    "login",
                    _("Anmelden"),
                    reverse("identity:login") + "?next=" + reverse("applications:my_office"),
                )
            ],
            confident=True,
        )
    cases = list(cases_of(user).order_by("-created_at")[:_MAX_LISTED])
    if not cases:
        text = _("Sie haben noch keinen Antrag eingereicht.")
    else:
        text = "\n".join(
            _("%(reference)s – %(service)s: %(status)s (eingegangen am %(day)s)")
            % {
                "reference": case.reference,
                "service": case.service.name,
                "status": case.get_status_display(),
                "day": formats.date_format(timezone.localtime(case.created_at), "j. F Y"),
            }
            for case in cases
        )
    return LiveAnswer(
        intent="application_status",
        answer=text,
        actions=[
            *[
                Action(
                    "case", case.reference, reverse("applications:my_case", args=[case.reference])
                )
                for case in cases
            ],
            Action("page", _("Mein Bürgerbüro"), reverse("applications:my_office")),
        ],
        facts={"cases": [c.reference for c in cases]},
    )


def _human(top_slug: str | None) -> LiveAnswer:
    from buergerbuero.videooffice.models import VideoOffice

    offices = list(VideoOffice.objects.filter(services__slug=top_slug)) if top_slug else []
    if offices:
        text = _(
            "Sie können mit einer Mitarbeiterin oder einem Mitarbeiter per Video sprechen: "
            "Klopfen Sie in der Video-Sprechstunde an."
        )
        actions = [
            Action("video", office.name, reverse("videooffice:office", args=[office.slug]))
            for office in offices
        ]
    else:
        text = _(
            "Sie können mit einer Mitarbeiterin oder einem Mitarbeiter per Video sprechen "
            "oder uns schreiben."
        )
        actions = [Action("video", _("Video-Sprechstunden"), reverse("videooffice:offices"))]
    actions.append(Action("contact", _("Kontakt aufnehmen"), reverse("pages:kontakt")))
    return LiveAnswer(
        intent="human", answer=text, actions=actions, facts={"offices": [o.slug for o in offices]}
    )
