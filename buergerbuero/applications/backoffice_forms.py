"""Forms of the caseworkers' work screen: the inbox filter and one small form per action
on a case.

Every action form carries the case ``version`` it was shown with (a hidden field); the
casework services refuse a change made on an outdated version, so two caseworkers never
overwrite each other. The form's ``action`` is its URL slug and its prefix: several forms
share one page without clashing ids::

    form = NoteForm(request.POST, case=case)   # fields "notiz-version", "notiz-text"
    {{ form }}                                  # KERN label, hint, errors, error summary
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerbuero.catalog.models import Service
from buergerbuero.core.widgets import DateField

from .casework import TRANSITIONS
from .models import Case, CaseStatus

TEXT_MAX = 5000
NOTICE_TEXT_MAX = 20000
NOTICE_TEXT_HINT = _(
    "Aus der Vorlage der Leistung vorausgefüllt. Sie können ihn ändern; Markdown ist möglich."
)

# -- the inbox ----------------------------------------------------------------------------

STATUS_OPEN = "open"
STATUS_ALL = "all"
ANY = "alle"  # no restriction (service, assignment)
ASSIGNED_ME = "me"
ASSIGNED_NONE = "none"
FILTER_DEFAULTS = {"status": STATUS_OPEN, "service": ANY, "assigned": ANY}


def status_filter_choices() -> list[tuple[str, str]]:
    return [
        (STATUS_OPEN, _("alle offenen")),
        *CaseStatus.choices,
        (STATUS_ALL, _("alle, auch abgeschlossene")),
    ]


class InboxFilterForm(forms.Form):
    """The inbox's GET filter. Whatever comes in the query string, :meth:`filters` gives
    values the inbox selector understands (a bad value falls back to its default).

    The three selects always have a value (their defaults fill in what the query string
    leaves out), so they are not marked "optional"; only the search is."""

    status = forms.ChoiceField(label=_("Status"))
    service = forms.ChoiceField(label=_("Leistung"))
    assigned = forms.ChoiceField(
        label=_("Zuständig"),
        choices=[(ANY, _("alle")), (ASSIGNED_ME, _("ich")), (ASSIGNED_NONE, _("noch niemand"))],
    )
    q = forms.CharField(
        label=_("Suche"),
        help_text=_("Aktenzeichen oder Name der antragstellenden Person"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, data=None, *, services):
        if data is not None:
            data = data.copy()
            for name, value in FILTER_DEFAULTS.items():
                if not data.get(name):
                    data[name] = value
        super().__init__(data, initial=FILTER_DEFAULTS)
        self.fields["status"].choices = status_filter_choices()
        self.fields["service"].choices = [(ANY, _("alle Leistungen"))] + [
            (service.slug, service.name) for service in services
        ]

    def filters(self) -> dict[str, str]:
        """Keyword arguments for :func:`~.selectors.inbox`."""
        cleaned = {**FILTER_DEFAULTS, **self._valid_fields()}
        return {
            "status": "" if cleaned["status"] == STATUS_ALL else cleaned["status"],
            "service": "" if cleaned["service"] == ANY else cleaned["service"],
            "assigned": "" if cleaned["assigned"] == ANY else cleaned["assigned"],
            "query": (cleaned.get("q") or "").strip(),
        }

    @property
    def status_key(self) -> str:
        """The status filter as chosen: ``open``, ``all`` or a case status."""
        return self._valid_fields().get("status") or STATUS_OPEN

    def _valid_fields(self) -> dict:
        # After validation cleaned_data holds exactly the fields that passed.
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    @property
    def narrowed(self) -> bool:
        """Anything besides the status narrows the list (service, assignment, search)."""
        filters = self.filters()
        return bool(filters["service"] or filters["assigned"] or filters["query"])


# -- actions on a case ------------------------------------------------------------------


class CaseActionForm(forms.Form):
    """Base of every action: the version the caseworker saw. Subclasses set ``action``."""

    action = ""
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, *, case: Case, initial=None):
        if not self.action:
            raise TypeError(f"{type(self).__name__} must set `action` (its URL slug)")
        initial = {"version": case.version, **(initial or {})}
        super().__init__(data, prefix=self.action, initial=initial)
        self.case = case

    @property
    def posted_version(self) -> int | None:
        """The version in the submitted data, before validation (``None`` if unreadable)."""
        try:
            return int(self.data.get(self.add_prefix("version"), ""))
        except (TypeError, ValueError):
            return None

    @classmethod
    def kept(cls, data, *, case: Case, **kwargs):
        """The form with what the caseworker submitted, on the case's current version:
        after a conflict, sending it again applies it to what is on record now."""
        data = data.copy()
        data[f"{cls.action}-version"] = str(case.version)
        return cls(data, case=case, **kwargs)


class ClaimForm(CaseActionForm):
    action = "uebernehmen"


class CloseForm(CaseActionForm):
    action = "abschliessen"


class ApproveProposalForm(CaseActionForm):
    action = "freigeben"


class ReturnProposalForm(CaseActionForm):
    action = "zurueckweisen"


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class AssignForm(CaseActionForm):
    action = "zuweisen"
    assignee = ColleagueChoiceField(
        label=_("Zuständig"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("niemand (zurück ins Postfach des Amts)"),
    )

    def __init__(self, data=None, *, case: Case, colleagues=None):
        super().__init__(data, case=case, initial={"assignee": case.assigned_to_id})
        if colleagues is not None:
            self.fields["assignee"].queryset = colleagues


class StatusForm(CaseActionForm):
    action = "status"
    status = forms.ChoiceField(label=_("Neuer Status"))

    def __init__(self, data=None, *, case: Case):
        super().__init__(data, case=case)
        self.fields["status"].choices = status_choices(case)


def status_choices(case: Case) -> list[tuple[str, str]]:
    """The statuses a caseworker may set by hand now. Closing has its own button; deciding
    its own forms."""
    following = TRANSITIONS.get(CaseStatus(case.status), set()) - {CaseStatus.CLOSED}
    return [(status.value, status.label) for status in CaseStatus if status in following]


class NoteForm(CaseActionForm):
    action = "notiz"
    text = forms.CharField(
        label=_("Interne Notiz"),
        help_text=_("Nur für die Sachbearbeitung sichtbar, nie für die antragstellende Person."),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class MessageForm(CaseActionForm):
    action = "nachricht"
    body = forms.CharField(
        label=_("Nachricht"),
        help_text=_(
            "Die antragstellende Person liest sie in „Mein Bürgerbüro“ und wird per E-Mail "
            "benachrichtigt."
        ),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class DocumentRequestForm(CaseActionForm):
    action = "unterlagen"
    description = forms.CharField(
        label=_("Welche Unterlage fehlt?"),
        help_text=_("Zum Beispiel: Nachweis der Haftpflichtversicherung für Ihren Hund"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_date = DateField(
        label=_("Bitte nachreichen bis"),
        help_text=_("Zum Beispiel 15 3 2026"),
        required=False,
    )

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due is not None and due < timezone.localdate():
            raise forms.ValidationError(_("Dieses Datum liegt in der Vergangenheit."))
        return due


class ApproveForm(CaseActionForm):
    action = "bewilligen"
    text = forms.CharField(
        label=_("Text des Bescheids"),
        help_text=NOTICE_TEXT_HINT,
        max_length=NOTICE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 12}),
    )


class RejectForm(CaseActionForm):
    action = "ablehnen"
    text = forms.CharField(
        label=_("Text des Bescheids"),
        help_text=NOTICE_TEXT_HINT,
        max_length=NOTICE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    reason = forms.CharField(
        label=_("Begründung"),
        help_text=_("Warum der Antrag abgelehnt wird. Sie steht im Bescheid unter dem Text oben."),
        max_length=NOTICE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Bitte begründen Sie die Ablehnung.")},
    )

    def notice_text(self) -> str:
        """The notice's text: the (edited) template, the reason below it."""
        return f"{self.cleaned_data['text'].rstrip()}\n\n{self.cleaned_data['reason'].strip()}"


#: Every action of the case page by its URL slug.
ACTION_FORMS: dict[str, type[CaseActionForm]] = {
    form.action: form
    for form in (
        ClaimForm,
        AssignForm,
        StatusForm,
        NoteForm,
        MessageForm,
        DocumentRequestForm,
        ApproveForm,
        RejectForm,
        ApproveProposalForm,
        ReturnProposalForm,
        CloseForm,
    )
}


def services_for_filter(user):
    """The services of the caseworker's departments that take online applications."""
    return (
        Service.objects.filter(
            department__in=user.departments.all(), form_definitions__isnull=False
        )
        .distinct()
        .order_by("name")
    )
