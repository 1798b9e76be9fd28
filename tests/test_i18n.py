"""One language at a time, both complete: every string of ours is translatable, translated, and shown in one language.

Three nets, because one alone lets something through:
- the templates are read token by token: text (and alt/title/aria-label/placeholder values) outside
  {% translate %} / {% blocktranslate %} is a string nobody can translate;
- the models and admins are inspected: verbose names, help texts, choices and column titles must be lazy
  translations;
- every admin page and the public pages are rendered in Korean and in English, and none may show one of
  our catalogue's strings in the other language.
"""

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.template.base import Lexer, TokenType
from django.urls import reverse
from django.utils.functional import Promise

from portfolio.models import Profile
from tests.builders import make_badge, make_card, make_contribution, make_profile

ROOT = Path(settings.BASE_DIR)
OUR_APPS = ("portfolio", "models_showcase", "contributions")
LETTERS = re.compile(r"[A-Za-z\uac00-\ud7a3]{2,}")
TEXT_ATTRIBUTES = re.compile(r'\b(?:alt|title|aria-label|placeholder)="([^"{}]*)"')

# ---- the catalogues ----


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr (the singular form) of a .po file; fuzzy entries count as untranslated."""
    entries, fuzzy = {}, False
    msgid = msgstr = None
    field = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgid "):
            msgid, msgstr, field = _unquote(line[6:]), None, "id"
        elif line.startswith("msgid_plural "):
            field = "plural"
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            msgstr, field = _unquote(line.split(" ", 1)[1]), "str"
        elif line.startswith("msgstr["):
            field = "other"
        elif line.startswith('"'):
            if field == "id":
                msgid += _unquote(line)
            elif field == "str":
                msgstr += _unquote(line)
        elif not line.strip():
            if msgid and msgstr is not None:
                entries[msgid] = "" if fuzzy else msgstr
            msgid = msgstr = field = None
            fuzzy = False
    return entries


def _unquote(text: str) -> str:
    return text.strip()[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


@pytest.fixture(scope="module")
def catalogues() -> dict[str, dict[str, str]]:
    return {code: read_po(ROOT / "locale" / code / "LC_MESSAGES" / "django.po") for code, _ in settings.LANGUAGES}


def test_both_catalogues_are_complete(catalogues):
    assert set(catalogues) == {"ko", "en"}
    assert len(catalogues["ko"]) > 100  # the project's own strings, not an empty file
    untranslated = {
        code: [msgid for msgid, msgstr in entries.items() if not msgstr] for code, entries in catalogues.items()
    }
    assert untranslated == {"ko": [], "en": []}
    assert set(catalogues["ko"]) == set(catalogues["en"])


def test_the_catalogues_hold_every_string_of_the_code(catalogues, tmp_path):
    """makemessages, run on a scratch copy of the code, finds exactly the strings the catalogues hold."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "copy"
    for name in ("portfolio", "models_showcase", "contributions", "templates", "static"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "manage.py", copy)
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "ko", "--add-location", "file", "--verbosity", "0"],
        cwd=copy, check=True, capture_output=True, env={**os.environ, "DJANGO_DEBUG": "1"},
    )  # fmt: skip
    found = set(read_po(copy / "locale" / "ko" / "LC_MESSAGES" / "django.po"))
    assert found - set(catalogues["ko"]) == set(), "marked in the code, missing from the catalogues (make makemessages)"
    assert set(catalogues["ko"]) - found == set(), "in the catalogues, no longer in the code"


# ---- the templates ----


def our_templates() -> list[Path]:
    return sorted(path for path in (ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", our_templates(), ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_template_text_is_translatable(path):
    tokens = Lexer(path.read_text(encoding="utf-8")).tokenize()
    untranslatable, depth, in_tag = [], {"comment": 0, "blocktranslate": 0}, False
    for token in tokens:
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            for block in depth:
                if name in (block, "blocktrans" if block == "blocktranslate" else block):
                    depth[block] += 1
                elif name in (f"end{block}", "endblocktrans" if block == "blocktranslate" else f"end{block}"):
                    depth[block] -= 1
            continue
        if token.token_type != TokenType.TEXT:
            continue
        # Walk the text, keeping track of whether we are inside an HTML tag (one may span several tokens).
        outside, inside = [], []
        for char in token.contents:
            if in_tag:
                inside.append(char)
                if char == ">":
                    in_tag = False
                    inside.append(" ")
            elif char == "<":
                in_tag = True
                outside.append(" ")
            else:
                outside.append(char)
        if any(depth.values()):
            continue
        untranslatable += [value for value in TEXT_ATTRIBUTES.findall("".join(inside)) if LETTERS.search(value)]
        visible = re.sub(r"&[a-z]+;|&#x?[0-9a-f]+;", " ", "".join(outside))
        untranslatable += LETTERS.findall(visible)
    assert untranslatable == [], f"text outside {{% translate %}} in {path.name}"


# ---- the models and admins ----


def _our_models():
    return [model for model in apps.get_models() if model._meta.app_label in OUR_APPS]


@pytest.mark.parametrize("model", _our_models(), ids=lambda model: model.__name__)
def test_model_names_fields_and_choices_are_translatable(model):
    meta = model._meta
    # Without them, Django makes the names from the class name: English, and never translated.
    problems = [f"Meta.{name}" for name in ("verbose_name", "verbose_name_plural")
                if not isinstance(meta.original_attrs.get(name), Promise)]  # fmt: skip
    for field in meta.get_fields():
        if field.auto_created or not field.concrete:
            continue
        if not isinstance(field.verbose_name, Promise):
            problems.append(f"{field.name}.verbose_name")
        if field.help_text and not isinstance(field.help_text, Promise):
            problems.append(f"{field.name}.help_text")
        if list(field.choices or ()) == list(settings.LANGUAGES):
            continue  # each language by its own name: "한국어", "English"
        for _value, label in field.flatchoices or ():
            if not isinstance(label, Promise):
                problems.append(f"{field.name} choice {label!r}")
    assert problems == []


def _our_admins():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label in OUR_APPS
    ]


@pytest.mark.parametrize(("model", "model_admin"), _our_admins(), ids=lambda value: getattr(value, "__name__", ""))
def test_admin_columns_fieldsets_and_actions_are_translatable(model, model_admin):
    problems = []
    for column in model_admin.list_display:
        method = getattr(model_admin, column, None) if isinstance(column, str) else column
        description = getattr(method, "short_description", None)
        if description is not None and not isinstance(description, Promise):
            problems.append(f"column {column}")
    for title, _options in model_admin.fieldsets or ():
        if title is not None and not isinstance(title, Promise):
            problems.append(f"fieldset {title!r}")
    for action in model_admin.actions or ():
        function = getattr(model_admin, action, None) if isinstance(action, str) else action
        description = getattr(function, "short_description", None)
        if description is not None and not isinstance(description, Promise):
            problems.append(f"action {action}")
    assert problems == []


# ---- rendered: one language at a time ----


class _Text(HTMLParser):
    """The text a person reads: text nodes and the attributes shown as text, not scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "alt", "aria-label", "placeholder") and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and ("type", "submit") in attrs and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def foreign_strings(text: str, catalogue: dict[str, str], language: str) -> list[str]:
    """Our strings that show in the other language: an English msgid on a Korean page, or the reverse."""
    found = []
    for msgid, msgstr in catalogue.items():
        source, target = (msgid, msgstr) if language == "ko" else (msgstr, msgid)
        if source == target or "%" in source or "{" in source or len(source) < 4 or not LETTERS.search(source):
            continue
        # A word in an address (huggingface.co/papers/…) is part of the address, not prose.
        if re.search(rf"(?<![\w/-]){re.escape(source)}(?![\w/-])", text):
            found.append(source)
    return found


@pytest.fixture
def content(db):
    badge = make_badge("SOTA", emoji="🏆")
    make_profile(hub_username="dragonkue", display_name="dragonkue")
    card = make_card("dragonkue/BGE-m3-ko", badges=[badge], description="임베딩 모델")
    make_card("dragonkue/draft-model", is_published=False)
    contribution = make_contribution(title="GISTEmbedLoss")
    return {"card": card, "badge": badge, "contribution": contribution}


def admin_urls(content) -> list[str]:
    urls = [reverse("admin:index")]
    for model, _model_admin in _our_admins():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        objects = model._default_manager.all()[:1]
        if objects:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[objects[0].pk]))
        if _model_admin.has_add_permission(_Request()):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
    return urls


class _Request:
    class user:  # noqa: N801 (a stand-in with the attributes has_add_permission reads)
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(perm, obj=None):
            return True


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_admin_page_speaks_one_language(staff_client, content, catalogues, language):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in admin_urls(content):
        response = staff_client.get(url, follow=True)
        assert response.status_code == 200, url
        assert response["Content-Language"] == language
        foreign = foreign_strings(visible_text(response.content.decode()), catalogues[language], language)
        assert foreign == [], f"{url} in {language}"


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_public_pages_speak_the_profiles_language(client, content, catalogues, language):
    profile = Profile.objects.get()
    profile.language = language
    profile.save()  # the stored cards are rendered again, in the profile's language
    pages = [reverse("portfolio:home"), content["card"].get_absolute_url(), "/no-such-page/"]
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en" if language == "ko" else "ko")  # the browser is ignored
        assert f'<html lang="{language}"' in response.content.decode(), url
        foreign = foreign_strings(visible_text(response.content.decode()), catalogues[language], language)
        assert foreign == [], f"{url} in {language}"


def test_the_admin_follows_the_browser_then_the_switch(staff_client, content):
    index = reverse("admin:index")
    assert staff_client.get(index, HTTP_ACCEPT_LANGUAGE="ko").headers["Content-Language"] == "ko"
    assert staff_client.get(index, HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "en"
    response = staff_client.post(reverse("set_language"), {"language": "ko", "next": index})
    assert response.status_code == 302
    assert staff_client.get(index, HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "ko"
