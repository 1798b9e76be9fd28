"""Numbers and charts for the cards, computed from the synced fields and snapshots.

Charts are plain SVG coordinates, drawn by the templates: no JavaScript, and
nothing that a strict Content-Security-Policy would block.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

TREND_DAYS = 30


def parameters(count: int | None) -> str:
    """567754752 -> "568M params"."""
    if not count:
        return ""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if count >= limit:
            value = count / limit
            return f"{value:.1f}".removesuffix(".0") + suffix if value < 10 else f"{value:.0f}{suffix}"
    return str(count)


@dataclass(frozen=True)
class Chart:
    points: str  # SVG polyline points, in a width x height box
    width: int
    height: int
    low: int
    high: int
    first: date
    last: date


def line_chart(series: Sequence[tuple[date, int | None]], *, width: int = 100, height: int = 24) -> Chart | None:
    """Coordinates for a line through (day, value) pairs; None when there is no line to draw."""
    known = [(day, value) for day, value in series if value is not None]
    if len(known) < 2:
        return None
    first, last = known[0][0], known[-1][0]
    days = max(1, (last - first).days)
    low, high = min(value for _, value in known), max(value for _, value in known)
    spread = high - low or 1
    pad = 1.5  # keeps a flat or extreme line off the box's edge, so the stroke is not clipped
    points = " ".join(
        f"{(day - first).days / days * width:.1f},{pad + (1 - (value - low) / spread) * (height - 2 * pad):.1f}"
        for day, value in known
    )
    return Chart(points, width, height, low, high, first, last)


@dataclass(frozen=True)
class Trend:
    downloads_change: float | None  # fraction: 0.12 is 12 % more monthly downloads than 30 days ago
    likes_change: int | None
    sparkline: Chart | None


def trend(snapshots: Sequence, *, today: date) -> Trend:
    """From a card's snapshots of the last TREND_DAYS days (oldest first)."""
    recent = [s for s in snapshots if s.date >= today - timedelta(days=TREND_DAYS)]
    if len(recent) < 2:
        return Trend(None, None, None)
    oldest, newest = recent[0], recent[-1]
    downloads_change = None
    if oldest.downloads and newest.downloads is not None:
        downloads_change = (newest.downloads - oldest.downloads) / oldest.downloads
    likes_change = None
    if oldest.likes is not None and newest.likes is not None:
        likes_change = newest.likes - oldest.likes
    sparkline = line_chart([(s.date, s.downloads) for s in recent])
    return Trend(downloads_change, likes_change, sparkline)
