import json

from django.core.management.base import BaseCommand

from buergerbuero.catalog.services import catalog_export


class Command(BaseCommand):
    help = "Write the whole catalog as JSON (buergerbuero.catalog/1) to standard output."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(catalog_export(), ensure_ascii=False, indent=1))
