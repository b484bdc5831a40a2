"""``manage.py camt_import FILE...``: import camt.053 bank statements, e.g. from the SFTP or
EBICS drop folder, from cron or a systemd timer::

    manage.py camt_import /srv/kasse/eingang/*.xml --user kasse

Each file is imported on its own (all of it or nothing) and its report printed. A file
imported before is reported and left alone, so running the command over the whole folder
again is harmless. The exit code is 1 if any file was refused (or could not be read), so
that cron or the timer reports it; the other files are imported all the same.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from buergerbuero.payments.reconciliation import statement_import


class Command(BaseCommand):
    help = "camt.053-Kontoauszüge einlesen und den Kassenzeichen zuordnen."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--user",
            default="",
            help="Benutzername, der als „eingelesen von“ vermerkt wird (sonst: automatisch).",
        )

    def handle(self, *args, files: list[Path], user: str, **options):
        translation.activate("de")
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"Es gibt kein Konto „{user}“.")
        refused = 0
        for path in files:
            try:
                handle = path.open("rb")
            except OSError as error:
                refused += 1
                self.stderr.write(f"{path}: nicht lesbar ({error.strerror or error}).")
                continue
            with handle:
                report = statement_import(handle, filename=path.name, user=importer)
            lines = report.lines()
            if report.refused:
                refused += 1
                self.stderr.write(self.style.ERROR(f"{path}: {lines[0]}"))
                for line in lines[1:]:
                    self.stderr.write(f"  {line}")
                continue
            self.stdout.write(self.style.SUCCESS(f"{path}: {lines[0]}"))
            for line in lines[1:]:
                self.stdout.write(f"  {line}")
            if report.statement is not None:
                self.stdout.write(f"  Zu klären: {report.to_clear}; Dauer {report.seconds:.1f} s.")
        if refused:
            raise CommandError(
                f"{refused} von {len(files)} Dateien nicht eingelesen.", returncode=1
            )
