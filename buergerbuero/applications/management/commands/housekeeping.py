"""Run the periodic work of applications: draft reminders and expiry, retention.

Run it hourly (deploy/buergerbuero-housekeeping.timer); it is safe to run at any time and
more than once."""

from django.core.management.base import BaseCommand

from buergerbuero.applications.tasks import (
    cases_anonymise,
    drafts_expire,
    drafts_remind,
    orphan_files_remove,
)


class Command(BaseCommand):
    help = (
        "Remind of and delete expired drafts; anonymise cases past their retention period; "
        "remove document files no record refers to."
    )

    def handle(self, *args, **options):
        reminded = drafts_remind()
        expired = drafts_expire()
        anonymised = cases_anonymise()
        orphans = orphan_files_remove()
        self.stdout.write(
            f"drafts reminded: {reminded}, drafts deleted: {expired}, "
            f"cases anonymised: {anonymised}, orphaned files removed: {orphans}"
        )
