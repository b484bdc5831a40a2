"""``manage.py roles_ensure``: create or repair the staff role groups (idempotent)."""

from django.core.management.base import BaseCommand

from buergerbuero.identity.staff.roles import roles_ensure


class Command(BaseCommand):
    help = (
        "Create the staff role groups (Administration, Krisenstab, Sachbearbeitung, "
        "Katalogpflege, Stadtkasse) and set their permissions. Safe to run again; run it "
        "after every migrate."
    )

    def handle(self, *args, **options):
        for name, count in roles_ensure().items():
            self.stdout.write(f"{name}: {count} permissions")
