from django import template

from models_showcase import stats

register = template.Library()


@register.filter
def compact(number):
    return stats.compact(number)


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
