from django.core.management.base import BaseCommand, CommandError

from buergerbuero.catalog.services import catalog_import_json


class Command(BaseCommand):
    help = "Validate a catalog JSON file (buergerbuero.catalog/1) and import it if it has no error."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as error:
            raise CommandError(f"{path}: {error}") from error
        result = catalog_import_json(content=content)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(f"{len(result.problems)} problems; nothing was imported.")
        self.stdout.write(f"imported: {result.created} created, {result.updated} updated")
