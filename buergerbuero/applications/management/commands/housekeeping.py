"""Run the periodic work: draft reminders and expiry, retention, unfinished payments.

Run it hourly (deploy/buergerbuero-housekeeping.timer); it is safe to run at any time and
more than once."""

from django.core.management.base import BaseCommand

from buergerbuero.applications.tasks import (
    cases_anonymise,
    drafts_expire,
    drafts_remind,
    orphan_files_remove,
)
from buergerbuero.appointments.tasks import appointments_remind
from buergerbuero.identity.saml.replay import seen_assertions_purge
from buergerbuero.payments.tasks import payments_poll
from buergerbuero.videooffice.services import video_housekeeping


class Command(BaseCommand):
    help = (
        "Remind of and delete expired drafts; anonymise cases past their retention period; "
        "forget expired SAML assertion ids; "
        "remove document files no record refers to; ask payment providers about unfinished "
        "payments; expire video knocks and calls whose pages are gone, erase old concerns; "
        "remind of tomorrow's appointments."
    )

    def handle(self, *args, **options):
        reminded = drafts_remind()
        expired = drafts_expire()
        anonymised = cases_anonymise()
        orphans = orphan_files_remove()
        settled = payments_poll()
        forgotten = seen_assertions_purge()
        video = video_housekeeping()
        reminded_appointments = appointments_remind()
        self.stdout.write(
            f"drafts reminded: {reminded}, drafts deleted: {expired}, "
            f"cases anonymised: {anonymised}, orphaned files removed: {orphans}, "
            f"payments settled by asking the provider: {settled}, "
            f"expired SAML assertion ids forgotten: {forgotten}, "
            f"video knocks expired: {video['expired']}, video calls ended as lost: "
            f"{video['lost']}, concerns of old knocks erased: {video['forgotten']}, "
            f"video appointments reminded: {video['appointments_reminded']}, missed: "
            f"{video['appointments_missed']}, "
            f"appointments reminded: {reminded_appointments['email']} by email, "
            f"{reminded_appointments['sms']} by SMS"
        )
