from datetime import timedelta

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from models_showcase import evals
from models_showcase.models import EvalResult, HubCard, HubSnapshot
from models_showcase.snippets import usage_snippet
from models_showcase.stats import line_chart, trend
from portfolio.models import Profile
from portfolio.page_cache import cached_page, shows_drafts

HISTORY_DAYS = 365


@cached_page
def detail(request, owner: str, name: str, kind: str = "model"):
    """One model's (dataset's, Space's) page: everything the Hub says about it, and its history.

    A draft's for staff only.
    """
    today = timezone.localdate()
    cards = HubCard.objects.filter(kind=kind)
    cards = cards if shows_drafts(request) else cards.published()
    cards = cards.prefetch_related(
        "badges",
        Prefetch("eval_results", queryset=EvalResult.objects.order_by("position")),
        Prefetch(
            "snapshots",
            queryset=HubSnapshot.objects.filter(date__gte=today - timedelta(days=HISTORY_DAYS)).order_by("date"),
            to_attr="history",
        ),
    )
    card = get_object_or_404(cards, repo_id__iexact=f"{owner}/{name}")
    if card.repo_id != f"{owner}/{name}":
        return redirect(card, permanent=True)  # one address per repo, in the Hub's own spelling
    card.stats_trend = trend(card.history, today=today)  # the last 30 days of the year prefetched
    evaluation = evals.summarize(card.eval_results.all())
    return render(
        request,
        "models_showcase/detail.html",
        {
            "card": card,
            "profile": Profile.for_display(),
            "downloads_chart": line_chart([(s.date, s.downloads) for s in card.history], width=600, height=120),
            "likes_chart": line_chart([(s.date, s.likes) for s in card.history], width=600, height=120),
            "snippet": usage_snippet(card),
            "evaluation": evaluation,
            "headline": evaluation.headline(card.headline_metric_id),  # one of the prefetched results: no query
        },
    )
