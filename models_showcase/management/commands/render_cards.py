from django.core.management.base import BaseCommand

from models_showcase.models import HubCard
from models_showcase.rendering import refresh_card_html
from portfolio.page_cache import content_changed


class Command(BaseCommand):
    help = (
        "Re-render every card's stored HTML. Run it after deploying a change to the card template "
        "(`make serve` does): stored cards are otherwise only re-rendered when they change."
    )

    def handle(self, *args, **options):
        ids = list(HubCard.objects.values_list("pk", flat=True))
        refresh_card_html(ids)
        content_changed()
        self.stdout.write(f"Re-rendered {len(ids)} cards.")
