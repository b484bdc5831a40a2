from django.conf import settings
from django.core.management.base import BaseCommand

from buergerbuero.core.demo import demo_load
from buergerbuero.tickets.demo import demo_tickets_draw_today, demo_walk_in_at_any_hour


class Command(BaseCommand):
    help = "Load the Stadt Köln demo (idempotent); demo accounts only on the embedded default."

    def handle(self, *args, **options):
        counts = demo_load()
        if settings.DEMO_MODE:
            demo_walk_in_at_any_hour()
        counts["tickets"] = demo_tickets_draw_today()
        self.stdout.write(
            "Demo Stadt Köln: {services} Leistungen, {customer_centres} Kundenzentren, "
            "{pages} Seiten, {video_offices} virtuelle Ämter, {accounts} Demo-Konten, "
            "{tickets} neue Wartemarken für heute".format(**counts)
        )
