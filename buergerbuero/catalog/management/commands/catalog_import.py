import json

from django.core.management.base import BaseCommand, CommandError

from buergerbuero.catalog.services import catalog_import


class Command(BaseCommand):
    help = "Validate a catalog JSON file (buergerbuero.catalog/1) and import it if it has no error."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{path}: {error}") from error
        result = catalog_import(data=data)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(f"{len(result.problems)} problems; nothing was imported.")
        self.stdout.write(f"imported: {result.created} created, {result.updated} updated")
