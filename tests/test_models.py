import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from contributions.models import Contribution, parse_pull_request_url
from models_showcase.models import Badge, ModelCard
from portfolio.models import Profile, ProfileLink
from tests.builders import make_badge, make_card, make_contribution, make_group, make_profile

pytestmark = pytest.mark.django_db


# ---- model cards ----


@pytest.mark.parametrize(
    "repo_id",
    ["dragonkue/BGE-m3-ko", "dragonkue/snowflake-arctic-embed-l-v2.0-ko", "a/b", "Org_1/model.v2"],
)
def test_valid_hub_ids_are_accepted(repo_id):
    ModelCard(repo_id=repo_id).full_clean()


@pytest.mark.parametrize(
    "repo_id",
    [
        "BGE-m3-ko",  # no owner
        "models/dragonkue/BGE-m3-ko",  # too many parts
        "dragonkue/bge--m3",  # double dash
        "dragonkue/bge..m3",  # double dot
        "dragonkue/-bge",  # starts with a dash
        "dragonkue/model.git",
        "dragon kue/model",
        "dragonkue/모델",
        "https://huggingface.co/dragonkue/BGE-m3-ko",
        "dragonkue/" + "x" * 100,
    ],
)
def test_malformed_hub_ids_are_rejected(repo_id):
    with pytest.raises(ValidationError) as error:
        ModelCard(repo_id=repo_id).full_clean()
    assert "repo_id" in error.value.message_dict


def test_one_card_per_hub_model_whatever_the_case():
    make_card("dragonkue/BGE-m3-ko")
    duplicate = ModelCard(repo_id="DragonKue/bge-M3-KO")
    with pytest.raises(ValidationError, match="already a card for this Hub repository"):
        duplicate.full_clean()
    with pytest.raises(IntegrityError):
        duplicate.save()


def test_title_defaults_to_the_repo_name_and_markdown_is_rendered_on_save():
    card = make_card("dragonkue/BGE-m3-ko", description="**SOTA** 모델")
    assert card.title == "BGE-m3-ko"
    assert card.description_html == "<p><strong>SOTA</strong> 모델</p>"
    assert card.hub_url == "https://huggingface.co/dragonkue/BGE-m3-ko"


def test_published_queryset_hides_drafts():
    shown = make_card(is_published=True)
    make_card(is_published=False)
    assert list(ModelCard.objects.published()) == [shown]


def test_badge_labels_are_unique_and_read_with_their_emoji():
    badge = make_badge("SOTA", emoji="🏆", color=Badge.Color.CORAL)
    assert str(badge) == "🏆 SOTA"
    with pytest.raises(ValidationError):
        Badge(label="SOTA").full_clean()


def test_deleting_a_badge_keeps_its_cards():
    badge = make_badge()
    card = make_card(badges=[badge])
    badge.delete()
    assert ModelCard.objects.filter(pk=card.pk).exists()


# ---- contributions ----


@pytest.mark.parametrize(
    ("url", "repository", "number"),
    [
        ("https://github.com/UKPLab/sentence-transformers/pull/2946", "UKPLab/sentence-transformers", 2946),
        ("https://github.com/UKPLab/sentence-transformers/pull/3299/", "UKPLab/sentence-transformers", 3299),
        ("https://github.com/UKPLab/sentence-transformers/pull/3299/files", "UKPLab/sentence-transformers", 3299),
        ("http://www.github.com/huggingface/transformers.js/pull/7#issuecomment-1", "huggingface/transformers.js", 7),
    ],
)
def test_pull_request_urls_are_parsed_and_normalised(url, repository, number):
    ref = parse_pull_request_url(url)
    assert (ref.repository, ref.number) == (repository, number)
    contribution = make_contribution(url)
    assert (contribution.repository, contribution.number) == (repository, number)
    assert contribution.pr_url == f"https://github.com/{repository}/pull/{number}"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/UKPLab/sentence-transformers/issues/2946",
        "https://github.com/UKPLab/sentence-transformers/pull/",
        "https://github.com/UKPLab/sentence-transformers/pull/0",
        "https://gitlab.com/UKPLab/sentence-transformers/pull/2946",
        "https://github.com.evil.example/UKPLab/sentence-transformers/pull/2946",
        "javascript:alert(1)//github.com/a/b/pull/1",
        "github.com/UKPLab/sentence-transformers/pull/2946",
        "https://github.com/-bad/repo/pull/1",
    ],
)
def test_malformed_pull_request_urls_are_rejected(url):
    with pytest.raises(ValidationError) as error:
        Contribution(pr_url=url, title="x", group=make_group()).full_clean()
    assert "pr_url" in error.value.message_dict


def test_one_contribution_per_pull_request_even_when_spelled_differently():
    make_contribution("https://github.com/UKPLab/sentence-transformers/pull/2946")
    again = Contribution(
        pr_url="https://github.com/ukplab/Sentence-Transformers/pull/2946/files", title="again", group=make_group()
    )
    with pytest.raises(ValidationError, match="already has a contribution"):
        again.full_clean()


def test_notice_style_must_be_one_of_the_academicpages_set():
    contribution = make_contribution()
    contribution.notice_style = "rainbow"
    with pytest.raises(ValidationError) as error:
        contribution.full_clean()
    assert "notice_style" in error.value.message_dict
    assert set(Contribution.NoticeStyle.values) == {"default", "primary", "info", "success", "warning", "danger"}


def test_a_group_with_contributions_cannot_be_deleted_by_accident():
    contribution = make_contribution()
    with pytest.raises(Exception, match="protected"):
        contribution.group.delete()


# ---- profile ----


def test_there_is_only_ever_one_profile():
    first = make_profile(display_name="First")
    second = Profile(display_name="Second", hub_username="other")
    second.save()
    assert Profile.objects.count() == 1
    assert second.pk == first.pk
    assert Profile.objects.get().display_name == "Second"


def test_profile_renders_its_intro_and_builds_account_links():
    profile = make_profile(hub_username="dragonkue", github_username="octocat", intro="*hi*")
    assert profile.intro_html == "<p><em>hi</em></p>"
    assert [(link.label, link.href) for link in profile.sidebar_links()] == [
        ("Hugging Face", "https://huggingface.co/dragonkue"),
        ("GitHub", "https://github.com/octocat"),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hub_username", "bad name"),
        ("hub_username", "a--b"),
        ("github_username", "-octo"),
        ("github_username", "a" * 40),
    ],
)
def test_profile_usernames_are_validated(field, value):
    profile = Profile(display_name="x", hub_username="ok")
    setattr(profile, field, value)
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize(
    ("kind", "url", "href"),
    [
        ("email", "me@example.com", "mailto:me@example.com"),
        ("email", "mailto:me@example.com", "mailto:me@example.com"),
        ("email", "not an email", None),
        ("website", "https://example.com", "https://example.com"),
        ("scholar", "javascript:alert(1)", None),
        ("linkedin", "ftp://example.com", None),
    ],
)
def test_profile_links_are_validated_by_kind(kind, url, href):
    link = ProfileLink(profile=make_profile(), kind=kind, url=url)
    if href:
        link.full_clean()
        assert link.href == href
    else:
        with pytest.raises(ValidationError) as error:
            link.full_clean()
        assert "url" in error.value.message_dict


def test_deleting_a_card_takes_only_its_own_history_with_it():
    from datetime import date

    from models_showcase.models import EvalResult, HubSnapshot

    badge = make_badge()
    card, other = make_card(badges=[badge]), make_card(badges=[badge])
    for owner in (card, other):
        HubSnapshot.objects.create(card=owner, date=date(2026, 1, 1), downloads=1, likes=1)
        EvalResult.objects.create(card=owner, metric_value=1.0)
    card.delete()
    assert Badge.objects.filter(pk=badge.pk).exists()
    assert list(HubSnapshot.objects.values_list("card", flat=True)) == [other.pk]
    assert list(EvalResult.objects.values_list("card", flat=True)) == [other.pk]
