"""Each card's HTML, rendered once when the card (or what it shows) changes, not per request.

The home page with many cards is mostly these fragments: storing them makes its
uncached render a join of strings (docs/PERFORMANCE.md). What can change a
fragment, and so calls `refresh_card_html`:
- the card's own save (ModelCard.save);
- its badges: added or removed (m2m_changed), a badge edited or deleted
  (models_showcase/signals.py);
- sync_hub: numbers, trend and "last synced" (models_showcase/hub.py).
"""

from collections.abc import Iterable

from django.template.loader import render_to_string
from django.utils import timezone


def render_card(card, *, today=None) -> str:
    """The card as the home page shows it; `card` needs `for_cards()`'s prefetch."""
    today = today or timezone.localdate()
    return render_to_string("models_showcase/_card.html", {"card": card, "trend": card.trend(today=today)})


def refresh_card_html(card_ids: Iterable[int]) -> None:
    from models_showcase.models import ModelCard

    ids = list(card_ids)
    if not ids:
        return
    today = timezone.localdate()
    for card in ModelCard.objects.filter(pk__in=ids).for_cards(today=today):
        # A queryset update: no save(), so no recursion and no "updated at" change.
        ModelCard.objects.filter(pk=card.pk).update(card_html=render_card(card, today=today))
