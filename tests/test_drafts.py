"""Draft preview: signed-in staff see drafts at their real address, marked; visitors never do, nor a staff page."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from contributions.models import Contribution
from models_showcase.models import ModelCard
from portfolio.page_cache import _key, content_version
from tests.builders import make_card, make_contribution, make_group, make_profile
from tests.test_home import HOME_QUERIES

pytestmark = pytest.mark.django_db

BANNER = "Draft — not public"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def visitor():
    return Client()


@pytest.fixture
def content():
    make_profile()
    published = make_card("tester/public-model", summary="Public summary.")
    draft = make_card(
        "tester/secret-draft", summary="Secret summary.", description="Secret write-up.", is_published=False
    )
    group = make_group("Shown group")
    make_contribution("https://github.com/a/b/pull/1", group=group, title="Shown PR")
    make_contribution("https://github.com/a/b/pull/2", group=make_group("Draft-only group"), title="Draft PR",
                      is_published=False)  # fmt: skip
    return published, draft


def cached_entries(path: str) -> list:
    """What the page cache holds for `path` under the current content version, in any encoding."""
    key = _key(content_version()[0], path)
    return [entry for encoding in ("identity", "gzip", "br") if (entry := cache.get(f"{key}:{encoding}"))]


# ---- A visitor: a draft does not exist ----


def test_a_visitor_gets_404_for_a_draft_and_nothing_is_cached(visitor, content):
    _, draft = content
    for _ in range(2):
        assert visitor.get(draft.get_absolute_url()).status_code == 404
    assert cached_entries(draft.get_absolute_url()) == []
    home = visitor.get("/").content.decode()
    assert "secret-draft" not in home and "Draft PR" not in home and "Draft-only group" not in home
    assert BANNER not in home


# ---- Staff: drafts at their real address, marked, never stored ----


def test_staff_see_a_draft_model_page_with_the_banner_never_stored(staff_client, visitor, content):
    _, draft = content
    response = staff_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert BANNER in page and "Secret summary." in page and "Secret write-up." in page
    assert cached_entries(draft.get_absolute_url()) == []
    assert visitor.get(draft.get_absolute_url()).status_code == 404  # and a visitor after them still gets none


def test_staff_see_draft_cards_and_contributions_on_the_home_page(staff_client, content):
    response = staff_client.get("/")
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert "public-model" in page and "secret-draft" in page
    assert "Shown PR" in page and "Draft PR" in page and "Draft-only group" in page
    assert page.count(BANNER) == 2  # the draft card and the draft contribution, nothing else
    assert cached_entries("/") == []


def test_a_published_page_for_staff_has_no_banner_and_is_still_private(staff_client, content):
    published, _ = content
    response = staff_client.get(published.get_absolute_url())
    assert response.status_code == 200
    assert BANNER not in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("staff_first", [True, False])
def test_the_page_cache_never_serves_a_staff_page_to_a_visitor_or_the_other_way(
    staff_client, visitor, content, staff_first
):
    def staff_page():
        return staff_client.get("/").content.decode()

    def visitor_page():
        response = visitor.get("/")
        assert response["Cache-Control"] == "public, max-age=0, must-revalidate"
        return response.content.decode()

    first = staff_page() if staff_first else visitor_page()
    second = visitor_page() if staff_first else staff_page()
    staff, public = (first, second) if staff_first else (second, first)
    for _ in range(2):  # and again, with the visitor's page now in the cache
        assert "secret-draft" in staff and BANNER in staff
        assert "secret-draft" not in public and BANNER not in public
        staff, public = staff_page(), visitor_page()
    assert [entry["body"].decode() for entry in cached_entries("/")] == [public]


def test_a_signed_in_user_who_is_not_staff_sees_no_draft(client, django_user_model, content):
    _, draft = content
    client.force_login(django_user_model.objects.create_user("reader", password="a-long-test-passphrase"))
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "secret-draft" not in client.get("/").content.decode()


def test_drafts_are_previewed_with_the_page_cache_off_too(staff_client, visitor, content, settings):
    settings.PAGE_CACHE_SECONDS = 0
    _, draft = content
    assert BANNER in staff_client.get(draft.get_absolute_url()).content.decode()
    assert visitor.get(draft.get_absolute_url()).status_code == 404


# ---- The admin's "View on site" ----


def test_view_on_site_of_a_draft_card_shows_it(staff_client, content):
    _, draft = content
    content_type = ContentType.objects.get_for_model(ModelCard)
    response = staff_client.get(reverse("admin:view_on_site", args=[content_type.pk, draft.pk]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(draft.get_absolute_url())
    assert BANNER in response.content.decode()


def test_view_on_site_of_a_draft_contribution_shows_it(staff_client, content):
    contribution = Contribution.objects.get(title="Draft PR")
    content_type = ContentType.objects.get_for_model(Contribution)
    response = staff_client.get(reverse("admin:view_on_site", args=[content_type.pk, contribution.pk]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(f"/#{contribution.anchor}")
    page = response.content.decode()
    assert f'id="{contribution.anchor}"' in page
    assert BANNER in page.split(f'id="{contribution.anchor}"', 1)[1].split("</article>", 1)[0]


# ---- Staff pages cost a fixed number of queries too ----


@pytest.mark.parametrize("drafts", [0, 3, 60])
def test_staff_home_query_count_does_not_grow_with_drafts(staff_client, django_assert_num_queries, drafts):
    make_profile()
    for _ in range(drafts):
        make_card(is_published=False)
        make_contribution(is_published=False)
    # the session twice (the page cache asks whether someone is signed in, then SessionMiddleware loads
    # it), the user, and the home page's own (tests/test_home.py; no papers here)
    with django_assert_num_queries(3 + HOME_QUERIES - 1):
        assert staff_client.get("/").status_code == 200
