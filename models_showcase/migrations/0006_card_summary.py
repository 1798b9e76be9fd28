"""Cards get a short summary for the home page; the description becomes the model page's write-up.

What each existing card's description becomes:
- a short one-liner (one paragraph on one line, at most 300 characters, as the seed's are) moves
  to the summary as it is, markdown included, and the description is emptied;
- anything longer stays as the write-up, and its first paragraph (or, when that is too long, its
  first sentence) becomes the summary, as plain text of at most 300 characters.

The stored card HTML of every card is cleared: the home page renders a card without it again on
its next request (portfolio/views.py), now with the summary.

It renders with portfolio/markdown.py as it is when this migration runs; should those functions
ever change their names, copy them here.
"""

import html
import re

import django.core.validators
import markdownx.models
from django.db import migrations, models

from portfolio.markdown import render_inline_markdown, render_markdown

SUMMARY_LENGTH = 300
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
# Characters that would read as markdown in what was plain text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]])")


def _is_paragraph(markdown_text: str) -> bool:
    rendered = render_markdown(markdown_text)
    return rendered.startswith("<p>") and rendered.count("<p>") == 1 and "<img" not in rendered


def _plain(markdown_text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", render_inline_markdown(markdown_text))).split())


def _as_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rpartition(" ")[0] or text[: limit - 1]
    return cut.rstrip(" ,.;:·-") + "…"


def _summary_of_write_up(description: str) -> str:
    """The first paragraph of text, else its first sentence, else its start: plain, at most 300 characters."""
    for block in re.split(r"\n\s*\n", description.strip()):
        if not _is_paragraph(block):
            continue  # a heading, list, table, code block or picture
        text = _plain(block)
        if not text:
            continue
        if len(_as_markdown(text)) > SUMMARY_LENGTH:
            text = _SENTENCE_END.split(text, maxsplit=1)[0]
        limit = SUMMARY_LENGTH
        while len(_as_markdown(_cut(text, limit))) > SUMMARY_LENGTH:
            limit -= 10  # escaping made it longer: cut a little earlier
        return _as_markdown(_cut(text, limit))
    return ""


def split_description(description: str) -> tuple[str, str]:
    """(summary, write-up) for a card written when the description was all a card had."""
    text = description.strip()
    if not text:
        return "", description
    if "\n" not in text and len(text) <= SUMMARY_LENGTH and _is_paragraph(text):
        return text, ""
    return _summary_of_write_up(text), description


def forwards(apps, schema_editor):
    ModelCard = apps.get_model("models_showcase", "ModelCard")
    for card in ModelCard.objects.exclude(description="").only("pk", "description"):
        summary, description = split_description(card.description)
        ModelCard.objects.filter(pk=card.pk).update(
            summary=summary,
            summary_html=render_inline_markdown(summary),
            description=description,
            description_html=render_markdown(description),
        )
    ModelCard.objects.update(card_html="")


def backwards(apps, schema_editor):
    """A summary whose description was emptied goes back into the description; nothing is lost."""
    ModelCard = apps.get_model("models_showcase", "ModelCard")
    for card in ModelCard.objects.filter(description="").exclude(summary="").only("pk", "summary"):
        ModelCard.objects.filter(pk=card.pk).update(
            description=card.summary, description_html=render_markdown(card.summary)
        )
    ModelCard.objects.update(card_html="")


class Migration(migrations.Migration):
    dependencies = [
        ("models_showcase", "0005_sync_against_real_hub"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelcard",
            name="summary",
            field=models.TextField(
                blank=True,
                help_text="Shown on the card on the home page: a sentence or two about what makes the model "
                "notable, at most 300 characters. Markdown, inline only: **bold**, *italic*, `code`, "
                "[links](https://…).",
                max_length=300,
                validators=[django.core.validators.MaxLengthValidator(300)],
                verbose_name="summary",
            ),
        ),
        migrations.AddField(
            model_name="modelcard",
            name="summary_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name="modelcard",
            name="description",
            field=markdownx.models.MarkdownxField(
                blank=True,
                help_text="Markdown, shown on the model's own page only: the full write-up, with tables, code and "
                "images.",
                verbose_name="write-up",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
