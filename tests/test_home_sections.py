"""The home page's sections, in the owner's order and choice, and the profile notice's totals."""

import re

import pytest
from django.urls import reverse

from models_showcase.models import DatasetCard, ModelCard, SpaceCard
from models_showcase.papers.models import Paper
from portfolio.models import Profile
from portfolio.sections import Placement, Section, arranged
from tests.builders import make_card, make_contribution, make_profile
from tests.test_admin import form_errors, profile_form
from tests.test_home import HOME_QUERIES, add_papers, get_home, visible_text

pytestmark = pytest.mark.django_db

HEADINGS = {
    "models_heading": "Model heading",
    "datasets_heading": "Dataset heading",
    "spaces_heading": "Space heading",
    "publications_heading": "Paper heading",
    "contributions_heading": "PR heading",
}


def make_hub_card(proxy, repo_id: str, *, downloads=None, likes=None, **fields):
    """A card of any kind, with the Hub's numbers as sync_hub writes them (around save())."""
    card = proxy.objects.create(repo_id=repo_id, is_published=fields.pop("is_published", True), **fields)
    proxy.objects.filter(pk=card.pk).update(downloads=downloads, likes=likes)
    return card


@pytest.fixture
def every_section():
    """A profile with its own headings, and something published in each section the page has so far."""
    profile = make_profile(**HEADINGS)
    make_card("tester/a-model")
    make_hub_card(DatasetCard, "tester/a-dataset")
    make_hub_card(SpaceCard, "tester/a-space")
    make_contribution(title="A pull request")
    return profile


def section_order(client) -> list[str]:
    """The sections' headings, as the page shows them (h2s after the notice)."""
    page = get_home(client)
    headings = re.findall(r'<h2 class="section__title" id="([a-z]+)-heading">([^<]*)</h2>', page)
    return [key for key, _ in headings]


def arrange(profile: Profile, sections) -> None:
    profile.sections = sections
    profile.save()


# ---- order and visibility ----


def test_sections_come_in_the_default_order_with_their_headings(client, every_section):
    assert section_order(client) == ["models", "datasets", "spaces", "contributions"]
    text = visible_text(get_home(client))
    for heading in ("Model heading", "Dataset heading", "Space heading", "PR heading"):
        assert heading in text


def test_the_owners_order_is_followed(client, every_section):
    arrange(every_section, [{"key": key, "shown": True} for key in ["contributions", "spaces", "models", "datasets"]])
    assert section_order(client) == ["contributions", "spaces", "models", "datasets"]


def test_hidden_sections_are_gone(client, every_section):
    arrange(every_section, [{"key": "models", "shown": False}, {"key": "contributions", "shown": False}])
    page = get_home(client)
    assert section_order(client) == ["datasets", "spaces"]
    assert "tester/a-model" not in page and "Model heading" not in page
    assert "A pull request" not in page and "PR heading" not in page


def test_empty_sections_never_show_even_when_chosen(client):
    make_profile(**HEADINGS, sections=[{"key": key, "shown": True} for key in Section.values])
    make_hub_card(SpaceCard, "tester/only-a-space")
    make_hub_card(DatasetCard, "tester/draft-dataset", is_published=False)
    page = get_home(client)
    assert section_order(client) == ["spaces"]
    for heading in ("Model heading", "Dataset heading", "Paper heading", "PR heading"):
        assert heading not in page
    assert "publication" not in page.lower()  # no papers yet, and no attempt at their template


def test_nothing_here_yet_when_every_section_with_content_is_hidden(client):
    make_profile(hub_username="", sections=[{"key": "models", "shown": False}])
    make_card("tester/hidden-model")
    page = get_home(client)
    assert "hidden-model" not in page
    assert "Nothing here yet." in page


def test_blank_headings_are_the_defaults_in_the_language_of_the_site(client, settings):
    make_profile()  # the new headings left blank
    make_hub_card(DatasetCard, "tester/a-dataset")
    make_hub_card(SpaceCard, "tester/a-space")
    text = visible_text(get_home(client))
    assert "Datasets tester/a-dataset" not in text  # the card's title is its name
    assert re.search(r"\bDatasets\b.*\ba-dataset\b.*\bSpaces\b.*\ba-space\b", text), text


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ([], [(key, True) for key in Section.values]),
        (None, [(key, True) for key in Section.values]),
        ("models,datasets", [(key, True) for key in Section.values]),
        ({"key": "models"}, [(key, True) for key in Section.values]),
        # unknown keys are ignored, missing ones follow in the default order, shown
        (
            [{"key": "videos", "shown": True}, {"key": "spaces", "shown": False}, {"key": "models"}],
            [("spaces", False), ("models", True), ("datasets", True), ("publications", True), ("contributions", True)],
        ),
        # a key twice: its first row counts
        (
            [{"key": "contributions", "shown": False}, {"key": "contributions", "shown": True}, "datasets"],
            [("contributions", False), ("datasets", True), ("models", True), ("spaces", True), ("publications", True)],
        ),
        # rows that are no rows at all
        ([42, None, ["models"], {"shown": False}, {"key": None}], [(key, True) for key in Section.values]),
    ],
    ids=["empty", "null", "a-string", "an-object", "unknown-and-missing", "duplicated", "junk-rows"],
)
def test_a_stored_arrangement_is_read_forgivingly(stored, expected):
    assert arranged(stored) == [Placement(key, shown) for key, shown in expected]


def test_a_broken_stored_arrangement_still_shows_the_page(client, every_section):
    Profile.objects.update(sections=[{"key": "videos"}, {"key": "spaces", "shown": False}, "contributions", 7])
    assert section_order(client) == ["contributions", "models", "datasets"]


# ---- the totals ----


def totals_text(client) -> str | None:
    page = get_home(client)
    found = re.search(r'<ul class="totals"[^>]*>(.*?)</ul>', page, re.S)
    if not found:
        return None
    return " · ".join(visible_text("<body>" + item) for item in re.findall(r"<li>(.*?)</li>", found[1]))


def test_totals_count_published_work_and_sum_the_hubs_numbers(client):
    make_profile()
    make_hub_card(ModelCard, "tester/m1", downloads=1_200_000, likes=30)
    make_hub_card(ModelCard, "tester/m2", downloads=45_000, likes=12, is_published=False)  # a draft: not counted
    make_hub_card(ModelCard, "tester/m3", downloads=None, likes=None)  # never synced
    make_hub_card(DatasetCard, "tester/d1", downloads=5_000, likes=1)
    make_hub_card(SpaceCard, "tester/s1", downloads=999_999, likes=1_500)  # Spaces have no downloads
    make_hub_card(SpaceCard, "tester/s2", likes=4)
    assert totals_text(client) == "2 models · 1 dataset · 2 Spaces · 1.2M downloads in the last 30 days · 1.5k likes"


def test_totals_leave_out_what_there_is_none_of(client):
    make_profile()
    make_hub_card(SpaceCard, "tester/s1", likes=1)
    assert totals_text(client) == "1 Space · 1 like"


def test_no_totals_line_when_there_is_nothing(client):
    make_profile()
    make_hub_card(ModelCard, "tester/draft", downloads=10, likes=10, is_published=False)
    assert totals_text(client) is None


def test_staff_see_drafts_but_the_totals_stay_the_published_ones(staff_client):
    make_profile()
    make_hub_card(ModelCard, "tester/shown", downloads=10, likes=2)
    make_hub_card(ModelCard, "tester/draft", downloads=1000, likes=1000, is_published=False)
    assert "tester/draft" in get_home(staff_client)
    assert totals_text(staff_client) == "1 model · 10 downloads in the last 30 days · 2 likes"


def test_totals_alone_open_the_notice(client):
    make_profile(hub_username="", intro="")
    make_card("tester/m1")
    page = get_home(client)
    assert 'class="notice notice--primary"' in page
    assert totals_text(client) == "1 model"


@pytest.mark.parametrize("cards", [0, 3, 300])
def test_query_count_stays_pinned_with_every_kind_and_an_arrangement(client, django_assert_num_queries, cards):
    profile = make_profile(sections=[{"key": "spaces", "shown": True}, {"key": "models", "shown": False}])
    profile.links.create(kind="website", url="https://example.com")
    for number in range(cards):
        make_hub_card(ModelCard, f"tester/model-{number}", downloads=number, likes=1)
        make_hub_card(DatasetCard, f"tester/data-{number}", downloads=number, likes=1)
        make_hub_card(SpaceCard, f"tester/space-{number}", likes=1)
    make_contribution()
    add_papers(2)
    with django_assert_num_queries(HOME_QUERIES):
        get_home(client)


# ---- the admin ----


def sections_form(order: list[str], hidden: set[str] = frozenset()) -> dict[str, str]:
    """The table's fields as a browser posts them: a position for each row, a box only if ticked."""
    fields = {}
    for position, key in enumerate(order, start=1):
        fields[f"sections-{key}-position"] = str(position)
        if key not in hidden:
            fields[f"sections-{key}-shown"] = "on"
    return fields


def test_the_profile_page_edits_the_order_and_what_is_shown(staff_client, every_section):
    change_url = reverse("admin:portfolio_profile_change", args=[every_section.pk])
    page = staff_client.get(change_url).content.decode()
    # One row per section, in the stored order, each with its box and its position.
    assert re.findall(r'name="sections-([a-z]+)-position" id="id_sections-\1-position" value="(\d)"', page) == [
        ("models", "1"), ("datasets", "2"), ("spaces", "3"), ("publications", "4"), ("contributions", "5")
    ]  # fmt: skip
    assert page.count('type="checkbox" name="sections-') == 5
    assert '<label for="id_sections-publications-shown">Publications</label>' in page

    order = ["contributions", "spaces", "publications", "models", "datasets"]
    response = staff_client.post(
        change_url, profile_form(**HEADINGS, **sections_form(order, hidden={"models"}), **{"links-TOTAL_FORMS": "0"})
    )
    assert response.status_code == 302, form_errors(response)
    every_section.refresh_from_db()
    assert every_section.sections == [{"key": key, "shown": key != "models"} for key in order]
    assert section_order(staff_client) == ["contributions", "spaces", "datasets"]
    # And shown again as saved.
    page = staff_client.get(change_url).content.decode()
    assert re.findall(r'name="sections-([a-z]+)-position"', page) == order
    assert 'name="sections-models-shown" id="id_sections-models-shown">' in page


def test_positions_sort_the_rows_and_ties_keep_the_tables_order(staff_client, every_section):
    fields = {
        "sections-models-position": "3", "sections-models-shown": "on",
        "sections-datasets-position": "1", "sections-datasets-shown": "on",
        "sections-spaces-position": "3", "sections-spaces-shown": "on",
        "sections-publications-position": "9",
        "sections-contributions-position": "2", "sections-contributions-shown": "on",
    }  # fmt: skip
    change_url = reverse("admin:portfolio_profile_change", args=[every_section.pk])
    response = staff_client.post(change_url, profile_form(**fields, **{"links-TOTAL_FORMS": "0"}))
    assert response.status_code == 302, form_errors(response)
    every_section.refresh_from_db()
    assert [(row["key"], row["shown"]) for row in every_section.sections] == [
        ("datasets", True), ("contributions", True), ("models", True), ("spaces", True), ("publications", False)
    ]  # fmt: skip


def test_a_position_that_is_no_number_is_a_form_error(staff_client, every_section):
    change_url = reverse("admin:portfolio_profile_change", args=[every_section.pk])
    fields = {**sections_form(list(Section.values)), "sections-spaces-position": "first"}
    response = staff_client.post(change_url, profile_form(**fields, **{"links-TOTAL_FORMS": "0"}))
    assert response.status_code == 200
    assert "Give each section&#x27;s position as a whole number" in form_errors(response)
    page = response.content.decode()
    assert 'name="sections-spaces-position" id="id_sections-spaces-position" value="first"' in page


def test_a_form_without_the_table_keeps_the_arrangement(staff_client, every_section):
    arrange(every_section, [{"key": "contributions", "shown": False}])
    change_url = reverse("admin:portfolio_profile_change", args=[every_section.pk])
    response = staff_client.post(change_url, profile_form(**{"links-TOTAL_FORMS": "0"}))
    assert response.status_code == 302, form_errors(response)
    every_section.refresh_from_db()
    assert every_section.sections == [{"key": "contributions", "shown": False}]


def test_the_profile_page_opens_with_a_broken_stored_arrangement(staff_client, every_section):
    broken = [7, {"key": "spaces", "shown": False, "position": 1}, {"key": "videos", "position": 2}]
    Profile.objects.update(sections=broken)
    page = staff_client.get(reverse("admin:portfolio_profile_change", args=[every_section.pk])).content.decode()
    assert re.findall(r'name="sections-([a-z]+)-position"', page) == [
        "spaces", "models", "datasets", "publications", "contributions"
    ]  # fmt: skip
    assert 'name="sections-spaces-shown" id="id_sections-spaces-shown">' in page


def test_totals_count_the_published_papers(client):
    make_profile()
    add_papers(2)  # each cited by a card of its own
    Paper.objects.create(arxiv_id="2402.00001", is_published=False)  # a draft counts for nothing
    assert totals_text(client) == "2 models · 2 papers"
