from django.core.management.base import BaseCommand

from buergerbuero.core.demo import demo_load


class Command(BaseCommand):
    help = "Load the Stadt Köln demo (idempotent); demo accounts only on the embedded default."

    def handle(self, *args, **options):
        counts = demo_load()
        self.stdout.write(
            "Demo Stadt Köln: {services} Leistungen, {customer_centres} Kundenzentren, "
            "{pages} Seiten, {video_offices} virtuelle Ämter, {accounts} Demo-Konten".format(
                **counts
            )
        )
