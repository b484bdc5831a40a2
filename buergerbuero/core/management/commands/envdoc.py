from django.core.management.base import BaseCommand

from buergerbuero.settings.env import REGISTRY


class Command(BaseCommand):
    help = "Print every environment variable the settings read, as a Markdown table."

    def handle(self, *args, **options):
        self.stdout.write("| variable | default | meaning |\n| --- | --- | --- |")
        for var in sorted(REGISTRY.values(), key=lambda v: v.name):
            default = f"`{var.default}`" if var.default else "(empty)"
            self.stdout.write(f"| `{var.name}` | {default} | {var.help} |")
