"""Numbers as the page writes them, whichever app they come from."""


def compact(number: int | float | None) -> str:
    """12345 -> "12.3k", as the Hub writes counts."""
    if number is None:
        return "–"
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            text = f"{number / limit:.1f}".removesuffix(".0")
            return f"{text}{suffix}"
    return f"{number:g}" if isinstance(number, float) else str(number)
