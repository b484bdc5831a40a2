"""Writes on applications: definitions, drafts, steps, uploads, submission.

The case file's writes (claim, decide, notices …) are in ``casework.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as DefinitionError

from buergerbuero.catalog.models import Service
from buergerbuero.core.counters import counter_next
from buergerbuero.core.uploads import UploadKind, check_upload

from .definition import FormDefinitionDocument, Step, parse_definition
from .formbuilder import StepForm, answers_to_data
from .models import (
    Application,
    ApplicationStatus,
    Case,
    CaseEvent,
    Document,
    DocumentKind,
    EventKind,
    FormDefinition,
    ReferenceCounter,
)

logger = logging.getLogger("buergerbuero.applications")

# The steps every application has after the service's own.
SUMMARY_STEP = "pruefen"


class DefinitionImportError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# -- definitions ------------------------------------------------------------------------


def definition_import(data: dict[str, Any], *, user=None) -> tuple[FormDefinition, bool]:
    """Store a definition document as the service's active version.

    An unchanged document changes nothing; a changed one becomes a new version (the old
    stays for the applications filled in with it). Returns (definition, created)."""
    data = {key: value for key, value in data.items() if key != "version"}  # as exported
    try:
        spec = parse_definition(data)
    except DefinitionError as error:
        raise DefinitionImportError(
            [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        ) from None
    try:
        service = Service.objects.get(slug=spec.service)
    except Service.DoesNotExist:
        raise DefinitionImportError([f"service: unknown slug '{spec.service}'"]) from None
    document = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    document["service"] = spec.service
    with transaction.atomic():
        current = (
            FormDefinition.objects.select_for_update()
            .filter(service=service, is_active=True)
            .first()
        )
        if current and current.document == document:
            return current, False
        latest = service.form_definitions.order_by("-version").values_list("version", flat=True)
        version = (latest.first() or 0) + 1
        service.form_definitions.filter(is_active=True).update(is_active=False)
        definition = FormDefinition.objects.create(
            service=service, version=version, document=document, created_by=user
        )
    logger.info("form definition %s v%s stored", service.slug, version)
    return definition, True


def definition_export(definition: FormDefinition) -> dict[str, Any]:
    return {"version": definition.version, **definition.document}


# -- drafts -----------------------------------------------------------------------------


def draft_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.APPLICATION_DRAFT_DAYS)


def application_start(
    *, definition: FormDefinition, user=None, language: str = "de"
) -> Application:
    user = user if user is not None and user.is_authenticated else None
    return Application.objects.create(
        service=definition.service,
        definition=definition,
        user=user,
        language=language,
        contact_email=user.email if user else "",
        expires_at=timezone.now() + draft_lifetime(),
    )


def prefill_values(user) -> dict[str, Any]:
    """What a logged-in account can fill in, per prefill source."""
    if user is None or not user.is_authenticated:
        return {}
    values = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "full_name": user.get_full_name(),
        "email": user.email,
        "phone": user.phone,
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "address": {"street": user.street, "postcode": user.postcode, "city": user.city}
        if user.street
        else None,
    }
    return {key: value for key, value in values.items() if value}


def prefilled_answers(application: Application, step: Step, user) -> tuple[dict, set[str]]:
    """Answers of the step's prefillable fields not yet answered, and their keys."""
    values = prefill_values(user)
    answers, keys = {}, set()
    for spec in step.fields:
        if spec.prefill and spec.prefill in values:
            keys.add(spec.key)
            if spec.key not in application.answers and step.key not in application.raw:
                answers[spec.key] = values[spec.prefill]
    return answers, keys


def documents_by_field(application: Application) -> dict[str, list[Document]]:
    grouped: dict[str, list[Document]] = {}
    for document in application.documents.filter(kind=DocumentKind.UPLOAD):
        grouped.setdefault(document.field_key, []).append(document)
    return grouped


def step_form(
    application: Application,
    step: Step,
    *,
    user=None,
    data: QueryDict | None = None,
    documents: dict[str, list[Document]] | None = None,
) -> StepForm:
    """The step's form bound to ``data`` (a POST) or to what was saved for the step;
    ``documents`` (from :func:`documents_by_field`) saves a query per step when known."""
    spec = application.definition.spec
    prefill, prefilled = prefilled_answers(application, step, user)
    if data is None:
        saved = application.raw.get(step.key) or answers_to_data(
            step, {**application.answers, **prefill}
        )
        data = QueryDict(mutable=True)
        for name, values in saved.items():
            data.setlist(name, values)
    return StepForm(
        spec,
        step,
        data=data,
        answers=application.answers,
        documents=documents if documents is not None else documents_by_field(application),
        prefilled=prefilled,
    )


@dataclass
class StepResult:
    form: StepForm
    valid: bool
    uploaded: list[Document] = field(default_factory=list)


def _raw_of(form: StepForm, post: QueryDict) -> dict[str, list[str]]:
    names = set(form.fields) | {f"{n}_{i}" for n in form.fields for i in range(3)}
    return {name: post.getlist(name) for name in post if name in names}


def step_save(
    application: Application, step: Step, *, post: QueryDict, files, user=None
) -> StepResult:
    """Save a step, whatever button was pressed: what was typed is kept whatever happens;
    uploaded files are checked and stored at once (a refused file gets its message, the
    others are kept); answers that pass validation become the step's answers. Whether the
    messages are shown is the caller's choice ("Weiter" shows them, "Zurück" does not)."""
    form = step_form(application, step, user=user, data=post)
    # Files only for the questions this step asks (a hidden upload field asks for nothing).
    uploaded, file_errors = _store_uploads(application, step, files, user=user, asked=form.visible)
    form.documents = documents_by_field(application)
    form.file_errors = file_errors
    application.raw[step.key] = _raw_of(form, post)
    valid = form.is_valid() and not file_errors
    if valid:
        _remove_documents(application, form)
        application.answers.update(form.step_answers())
        if step.key not in application.completed_steps:
            application.completed_steps.append(step.key)
        application.raw.pop(step.key, None)
    application.expires_at = timezone.now() + draft_lifetime()
    application.reminder_sent_at = None
    application.save()
    if valid:  # documents removed: rebuild so the page shows what is on record
        form = step_form(application, step, user=user)
    return StepResult(form=form, valid=valid, uploaded=uploaded)


def _store_uploads(
    application, step, files, *, user, asked
) -> tuple[list[Document], dict[str, list[str]]]:
    stored, errors = [], {}
    existing = documents_by_field(application)
    for spec in step.fields:
        if spec.type != "file" or not asked(spec):
            continue
        for upload in files.getlist(spec.key) if files else []:
            if len(existing.get(spec.key, [])) >= (spec.max_files if spec.multiple else 1):
                if not spec.multiple and existing.get(spec.key):
                    for old in existing[spec.key]:  # a single-file field: the new one replaces
                        old.file.delete(save=False)
                        old.delete()
                    existing[spec.key] = []
                else:
                    errors.setdefault(spec.key, []).append(
                        str(_("Höchstens {n} Dateien.")).format(n=spec.max_files)
                    )
                    continue
            try:
                checked = check_upload(upload, accept=[UploadKind(k) for k in spec.accept])
            except ValidationError as error:
                errors.setdefault(spec.key, []).extend(
                    f"{getattr(upload, 'name', '')}: {m}" for m in error.messages
                )
                continue
            document = document_store(
                application, checked, kind=DocumentKind.UPLOAD, field_key=spec.key, user=user
            )
            stored.append(document)
            existing.setdefault(spec.key, []).append(document)
    return stored, errors


def document_store(
    application, checked, *, kind, field_key="", user=None, request=None
) -> Document:
    document = Document(
        application=application,
        kind=kind,
        field_key=field_key,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user if user is not None and user.is_authenticated else None,
        request=request,
    )
    document.file.save(checked.name, checked.file, save=False)
    document.save()
    return document


def _remove_documents(application: Application, form: StepForm) -> None:
    """Files the citizen ticked "entfernen" for, and those of questions no longer asked."""
    for spec in form.step.fields:
        if spec.type != "file":
            continue
        if not form.visible(spec):
            for document in application.documents.filter(
                field_key=spec.key, kind=DocumentKind.UPLOAD
            ):
                document.file.delete(save=False)
                document.delete()
            continue
        for pk in form.cleaned_data.get(f"{spec.key}__remove", []):
            document = application.documents.filter(pk=pk, kind=DocumentKind.UPLOAD).first()
            if document:
                document.file.delete(save=False)
                document.delete()


def draft_discard(application: Application) -> None:
    if not application.is_draft:
        raise ValueError("a submitted application is part of a case file")
    for document in application.documents.all():
        document.file.delete(save=False)
    application.delete()


def resume_link_create(application: Application, *, email: str) -> str:
    """A new secret resume link (the old one stops working); only its hash is stored."""
    secret = secrets.token_urlsafe(24)
    application.resume_token_hash = hashlib.sha256(secret.encode()).hexdigest()
    application.contact_email = email
    application.save(update_fields=["resume_token_hash", "contact_email", "updated_at"])
    return reverse("applications:resume", args=[application.public_id, secret])


def resume_token_matches(application: Application, secret: str) -> bool:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return bool(application.resume_token_hash) and secrets.compare_digest(
        digest, application.resume_token_hash
    )


# -- checking everything ----------------------------------------------------------------


def incomplete_steps(application: Application, *, user=None) -> list[Step]:
    """Steps whose saved answers do not pass validation now (server is the truth)."""
    spec: FormDefinitionDocument = application.definition.spec
    failing = []
    documents = documents_by_field(application)
    for step in spec.visible_steps(application.answers):
        if step.key not in application.completed_steps or step.key in application.raw:
            failing.append(step)
            continue
        data = _data_of(step, application.answers)
        form = step_form(application, step, user=user, data=data, documents=documents)
        if not form.is_valid():
            failing.append(step)
    return failing


def _data_of(step: Step, answers: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, values in answers_to_data(step, answers).items():
        data.setlist(name, values)
    return data


# -- submission -------------------------------------------------------------------------


class NotReady(Exception):
    pass


def reference_next(prefix: str = "K") -> str:
    """``K-2026-000123``: unique per prefix and year, gap-free (``core.counters``)."""
    year = timezone.localdate().year
    number = counter_next(ReferenceCounter, prefix=prefix, year=year)
    return f"{prefix}-{year}-{number:06d}"


def applicant_name(application: Application) -> str:
    answers = application.answers
    for spec in application.definition.spec.all_fields():
        if spec.prefill == "full_name" and answers.get(spec.key):
            return answers[spec.key]
    first = next(
        (
            answers.get(s.key)
            for s in application.definition.spec.all_fields()
            if s.prefill == "first_name"
        ),
        "",
    )
    last = next(
        (
            answers.get(s.key)
            for s in application.definition.spec.all_fields()
            if s.prefill == "last_name"
        ),
        "",
    )
    name = f"{first or ''} {last or ''}".strip()
    if name:
        return name
    if application.user:
        return application.user.display_name
    return str(_("ohne Namen"))


def application_identity_keep(
    application: Application, *, identity_level: str, identity_method: str
):
    """Keep how sure the city was of the applicant when they confirmed at the summary (the
    session's trust level and login method); the case shows it."""
    application.identity_level = identity_level
    application.identity_method = identity_method
    application.save(update_fields=["identity_level", "identity_method", "updated_at"])


def application_submit(application_id: int) -> Case:
    """Turn a complete draft into a case — exactly once.

    The application row is locked; a second call (double click, resent form, a payment
    callback racing the citizen's return) finds the case and returns it."""
    with transaction.atomic():
        # Only the application's row: locking the joined service, department and form
        # (the same for every application of a service) made submissions queue up
        # (bench/submissions.py).
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("service__department", "definition", "user")
            .get(pk=application_id)
        )
        existing = Case.objects.filter(application=application).first()
        if existing:
            return existing
        if incomplete_steps(application, user=application.user):
            raise NotReady("not every step is complete")
        now = timezone.now()
        application.status = ApplicationStatus.SUBMITTED
        application.submitted_at = now
        application.expires_at = None
        application.raw = {}
        application.save(
            update_fields=["status", "submitted_at", "expires_at", "raw", "updated_at"]
        )
        case = Case.objects.create(
            reference=reference_next(),
            application=application,
            service=application.service,
            department=application.service.department,
            applicant_name=applicant_name(application)[:200],
        )
        CaseEvent.objects.create(case=case, kind=EventKind.SUBMITTED, text="")
        # Queued in the same transaction (the database backend): the receipt task exists
        # exactly when the case does, even if this process dies right after the commit.
        _after_submission(case.pk)
    logger.info("application %s submitted as %s", application.public_id, case.reference)
    return case


def _after_submission(case_id: int) -> None:
    from .tasks import after_submission

    after_submission.enqueue(case_id)
