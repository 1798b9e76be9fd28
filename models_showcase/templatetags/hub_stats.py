from datetime import datetime

from django import template
from django.utils import timezone

from models_showcase import stats
from portfolio.numbers import compact as compact_number

register = template.Library()


@register.filter
def compact(number):
    return compact_number(number)


@register.filter
def parameter_count(number):
    return stats.parameters(number)


@register.filter
def signed_percent(fraction):
    """0.123 -> "+12%"; the sign matters more than the decimals."""
    if fraction is None:
        return ""
    return f"{fraction * 100:+.0f}%"


@register.filter
def signed(number):
    return "" if number is None else f"{number:+d}"


@register.filter
def iso_datetime(value):
    """A `<time datetime>` value in the current time zone, to the second.

    `date:"c"` writes microseconds, and HTML allows at most three digits of a fraction.
    """
    if not isinstance(value, datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()
