"""Each card's HTML, rendered once when the card (or what it shows) changes, not per request.

The home page with many cards is mostly these fragments: storing them makes its
uncached render a join of strings (docs/PERFORMANCE.md). What can change a
fragment, and so calls `refresh_card_html`:
- the card's own save (HubCard.save);
- its badges: added or removed (m2m_changed), a badge edited or deleted
  (models_showcase/signals.py);
- sync_hub: numbers, trend, evaluation results and "last synced" (models_showcase/hub/);
- the owner's headline result, saved with the card.
"""

from collections.abc import Iterable

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from models_showcase import evals
from portfolio.i18n import site_language


def render_card(card, *, today=None) -> str:
    """The card as the home page shows it; `card` needs `for_cards()`'s prefetch."""
    today = today or timezone.localdate()
    # The stored card is part of the public page: in the site's language, whoever saves (an owner
    # using the admin in another language, or cron).
    with translation.override(site_language()):
        return render_to_string(
            "models_showcase/_card.html",
            {"card": card, "trend": card.trend(today=today), "headline": card_headline(card)},
        )


def card_headline(card) -> evals.Headline | None:
    """The owner's pick among the card's results, read as the model page reads it.

    Its label and scale depend on its neighbours (a `main_score` is named after the
    metric it repeats; a source writes percentages or fractions), so a card with a
    headline costs one query for its source's results, here and not per request.
    """
    result = card.headline_metric
    if result is None or result.card_id != card.pk:
        return None
    return evals.headline(result, results=card.eval_results.filter(source=result.source).order_by("position"))


def refresh_card_html(card_ids: Iterable[int]) -> None:
    """Render the cards again from their rows as they are now.

    The rows are locked first (a no-op on SQLite, whose writers take turns anyway): the owner's
    save and sync_hub both end here, and whichever renders second must see what the first
    committed, or the stored card would show an edit or a number reverted.
    """
    from models_showcase.models import HubCard

    ids = sorted(set(card_ids))
    if not ids:
        return
    today = timezone.localdate()
    with transaction.atomic():
        list(HubCard.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        for card in HubCard.objects.filter(pk__in=ids).for_cards(today=today):
            # A queryset update: no save(), so no recursion and no "updated at" change.
            HubCard.objects.filter(pk=card.pk).update(card_html=render_card(card, today=today))
