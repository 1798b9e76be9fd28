from django.core.management import call_command
from django.core.management.base import BaseCommand

from portfolio.images import make_missing_renditions


class Command(BaseCommand):
    help = (
        "Make the smaller copies (renditions) that pages list in srcset for any stored avatar or cover that lacks "
        "them: images uploaded before renditions existed, or restored from an older backup. New uploads get theirs "
        "when saved. Re-renders the stored cards when it made any. `make serve` runs it; a second run does nothing."
    )

    def handle(self, *args, **options):
        made = make_missing_renditions()
        self.stdout.write(f"Made {made} renditions.")
        if made:
            call_command("render_cards", stdout=self.stdout)
