"""Markdown that would cost minutes (Python-Markdown's issue #798) is capped and stopped, never rendered at length.

Each field holds at most so many characters (a form error past it), and every render runs in a worker process
that is killed after RENDER_TIMEOUT: the admin answers a form error and the editor's preview a 400, at once or
after the time limit, instead of holding a server worker for minutes. The limit is lowered here so the slow
inputs (seconds to minutes each, in-process) cost a fraction of a second.
"""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from contributions.models import Contribution, ContributionGroup
from models_showcase.models import ModelCard
from portfolio import markdown
from portfolio.markdown import (
    INTRO_MAX_LENGTH,
    MARKDOWN_MAX_LENGTH,
    WRITEUP_MAX_LENGTH,
    MarkdownTooSlow,
    render_inline_markdown,
    render_markdown,
)
from portfolio.models import Profile
from tests.builders import make_card, make_contribution, make_group, make_profile

TEST_TIMEOUT = 0.3

# Measured in-process, before the worker (portfolio/markdown.py): each takes seconds, and grows with the square of
# its length. All fit in a write-up's 20,000 characters.
SLOW = {
    "brackets": "[" * 10_000,
    "unclosed links": "[a](b " * 3_000,
    "image openers": "![" * 6_000,
    "reference links": "[a][" * 4_000,
    "footnote openers": "[^" * 6_000,
    "abbreviations": "".join(f"*[A{i}]: x\n" for i in range(1_700)),
}
SLOW_IDS = list(SLOW)


@pytest.fixture(autouse=True)
def short_render_timeout(monkeypatch):
    monkeypatch.setattr(markdown, "RENDER_TIMEOUT", TEST_TIMEOUT)
    markdown._render.cache_clear()
    yield
    markdown._render.cache_clear()


def assert_stopped_quickly(started: float) -> None:
    # The time limit, a worker's restart and a loaded machine's slack; in-process these take seconds to minutes.
    assert time.monotonic() - started < TEST_TIMEOUT + 2


@pytest.mark.parametrize("text", SLOW.values(), ids=SLOW_IDS)
def test_a_slow_text_is_stopped_at_the_time_limit(text):
    assert len(text) <= WRITEUP_MAX_LENGTH
    started = time.monotonic()

    with pytest.raises(MarkdownTooSlow):
        render_markdown(text)

    assert_stopped_quickly(started)
    # The killed worker is replaced: the next render works.
    assert render_markdown("**굵게**") == "<p><strong>굵게</strong></p>"
    assert render_inline_markdown("*기울임*") == "<em>기울임</em>"


def test_a_long_ordinary_write_up_renders_well_within_the_limit():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text("utf-8")[:WRITEUP_MAX_LENGTH]
    started = time.monotonic()
    html = render_markdown(readme)
    assert "<h1>" in html or "<h2>" in html
    assert time.monotonic() - started < TEST_TIMEOUT


def test_a_render_is_remembered_so_a_form_and_its_save_render_once(monkeypatch):
    calls = []
    render = markdown._worker.render
    monkeypatch.setattr(markdown._worker, "render", lambda kind, text: calls.append(text) or render(kind, text))
    for _ in range(3):
        assert render_markdown("같은 글") == "<p>같은 글</p>"
    assert calls == ["같은 글"]


def test_the_worker_reports_a_failure_instead_of_hanging():
    # The converter runs in the worker: a bad request kind stands in for a crash inside Python-Markdown.
    with pytest.raises(RuntimeError, match="KeyError"):
        markdown._worker.render("no such kind", "x")
    assert render_markdown("다시") == "<p>다시</p>"


# ---- Where it shows: the admin's forms and the editor's preview


FIELDS = [
    pytest.param(Contribution, "writeup", WRITEUP_MAX_LENGTH, id="contribution-writeup"),
    pytest.param(ModelCard, "description", WRITEUP_MAX_LENGTH, id="card-description"),
    pytest.param(ContributionGroup, "intro", INTRO_MAX_LENGTH, id="group-intro"),
    pytest.param(Profile, "intro", INTRO_MAX_LENGTH, id="profile-intro"),
]


def instance_of(model):
    return {
        Contribution: make_contribution,
        ModelCard: lambda: make_card("someone/model"),
        ContributionGroup: make_group,
        Profile: make_profile,
    }[model]()


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field", "limit"), FIELDS)
def test_each_markdown_field_is_capped_with_a_clear_message(model, field, limit):
    obj = instance_of(model)
    setattr(obj, field, "가" * limit)
    obj.full_clean()

    setattr(obj, field, "가" * (limit + 1))
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    assert f"at most {limit} characters" in " ".join(error.value.message_dict[field])


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field", "limit"), FIELDS)
@pytest.mark.parametrize("slow", ["brackets", "image openers"])
def test_a_slow_text_in_a_form_is_a_field_error(model, field, limit, slow):
    obj = instance_of(model)
    setattr(obj, field, SLOW[slow][:limit])
    started = time.monotonic()

    with pytest.raises(ValidationError) as error:
        obj.full_clean()

    assert_stopped_quickly(started)
    assert "takes too long to render" in " ".join(error.value.message_dict[field])


@pytest.mark.django_db
def test_the_admin_answers_a_slow_write_up_with_a_form_error(staff_client):
    contribution = make_contribution(title="원래 제목", writeup="원래 글")
    url = reverse("admin:contributions_contribution_change", args=[contribution.pk])
    form = {
        "group": contribution.group.pk,
        "pr_url": contribution.pr_url,
        "title": "바뀐 제목",
        "writeup": SLOW["reference links"],
        "notice_style": contribution.notice_style,
        "sort_order": 0,
        "is_published": "on",
    }
    started = time.monotonic()
    response = staff_client.post(url, form)

    assert_stopped_quickly(started)
    assert response.status_code == 200
    assert "takes too long to render" in response.content.decode()
    contribution.refresh_from_db()
    assert (contribution.title, contribution.writeup) == ("원래 제목", "원래 글")


@pytest.mark.django_db
@pytest.mark.parametrize("text", SLOW.values(), ids=SLOW_IDS)
def test_the_preview_answers_a_slow_text_with_a_400(staff_client, text):
    started = time.monotonic()
    response = staff_client.post("/markdownx/markdownify/", {"content": text})

    assert_stopped_quickly(started)
    assert response.status_code == 400
    assert "takes too long to render" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["[" * 48_000, "a" * (MARKDOWN_MAX_LENGTH + 1)], ids=["48-kb-of-brackets", "long"])
def test_the_preview_refuses_more_than_any_field_holds_without_rendering(staff_client, text, monkeypatch):
    monkeypatch.setattr(markdown._worker, "render", lambda kind, text: pytest.fail("rendered"))
    response = staff_client.post("/markdownx/markdownify/", {"content": text})

    assert response.status_code == 400
    assert f"at most {MARKDOWN_MAX_LENGTH:,} characters" in response.content.decode()
