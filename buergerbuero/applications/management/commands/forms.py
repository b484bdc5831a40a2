"""Import and export form definitions as JSON (see docs/form-definitions.md)::

manage.py forms import path/to/hund-anmelden.json [more.json …]
manage.py forms export hund-anmelden > hund-anmelden.json
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from buergerbuero.applications.models import FormDefinition
from buergerbuero.applications.services import (
    DefinitionImportError,
    definition_export,
    definition_import,
)


class Command(BaseCommand):
    help = "Import or export the online form definitions of services (JSON)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="Store each file as the active version.")
        importing.add_argument("paths", nargs="+", type=Path)
        exporting = sub.add_parser("export", help="Print the active definition of a service.")
        exporting.add_argument("slug")

    def handle(self, *args, action, **options):
        if action == "export":
            definition = FormDefinition.objects.filter(
                service__slug=options["slug"], is_active=True
            ).first()
            if definition is None:
                raise CommandError(f"no active form definition for '{options['slug']}'")
            json.dump(definition_export(definition), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        failed = False
        for path in options["paths"]:
            try:
                definition, created = definition_import(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError) as error:
                self.stderr.write(f"{path}: {error}")
                failed = True
                continue
            except DefinitionImportError as error:
                self.stderr.write(f"{path}:\n  " + "\n  ".join(error.problems))
                failed = True
                continue
            state = f"stored as version {definition.version}" if created else "unchanged"
            self.stdout.write(f"{path}: {definition.service.slug} {state}")
        if failed:
            raise CommandError("some definitions were not imported")
