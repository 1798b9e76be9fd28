import io
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from contributions.models import Contribution, ContributionGroup
from models_showcase.models import Badge, DatasetCard, ModelCard, SpaceCard
from portfolio.models import Profile
from tests.builders import make_badge, make_card, make_contribution, make_group, make_profile

pytestmark = pytest.mark.django_db

MODELS = ["portfolio_profile", "models_showcase_badge", "models_showcase_modelcard", "models_showcase_datasetcard",
          "models_showcase_spacecard", "contributions_contributiongroup", "contributions_contribution"]  # fmt: skip


def png_upload(name="cover.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def form_errors(response) -> str:
    return str(response.context["adminform"].form.errors)


@pytest.fixture
def content():
    profile = make_profile()
    badge = make_badge("SOTA", emoji="🏆")
    card = make_card("dragonkue/BGE-m3-ko", badges=[badge], description="**bold**")
    contribution = make_contribution()
    return {
        "portfolio_profile": profile,
        "models_showcase_badge": badge,
        "models_showcase_modelcard": card,
        "models_showcase_datasetcard": DatasetCard.objects.create(
            repo_id="dragonkue/ko-triplets", size_category="n<1K"
        ),
        "models_showcase_spacecard": SpaceCard.objects.create(repo_id="dragonkue/demo", runtime_stage="RUNNING"),
        "contributions_contributiongroup": contribution.group,
        "contributions_contribution": contribution,
    }


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_and_change_form_loads(staff_client, content, model):
    changelist = staff_client.get(reverse(f"admin:{model}_changelist"), follow=True)
    assert changelist.status_code == 200
    change = staff_client.get(reverse(f"admin:{model}_change", args=[content[model].pk]))
    assert change.status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m != "portfolio_profile"])
def test_add_forms_load(staff_client, model):
    assert staff_client.get(reverse(f"admin:{model}_add")).status_code == 200


@pytest.mark.parametrize(
    ("model", "markdown_field"),
    [
        ("portfolio_profile", "intro"),
        ("models_showcase_modelcard", "description"),
        ("contributions_contributiongroup", "intro"),
        ("contributions_contribution", "writeup"),
    ],
)
def test_markdown_fields_get_the_live_preview_editor(staff_client, content, model, markdown_field):
    page = staff_client.get(reverse(f"admin:{model}_change", args=[content[model].pk])).content.decode()
    assert f'name="{markdown_field}"' in page
    assert "markdownx-editor" in page
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in page
    assert "markdownx/js/markdownx" in page


def test_card_form_offers_view_on_site_and_help_text(staff_client, content):
    card = content["models_showcase_modelcard"]
    page = staff_client.get(reverse("admin:models_showcase_modelcard_change", args=[card.pk])).content.decode()
    assert "View on site" in page
    assert "owner/name, e.g. dragonkue/BGE-m3-ko" in page


def card_form(**overrides):
    # Nothing about evaluation results: the form shows them read-only and posts none (tests/test_evals.py).
    return {"repo_id": "dragonkue/new-model", "title": "", "description": "설명 **굵게**", "sort_order": 5,
            "is_published": "on", **overrides}  # fmt: skip


def test_owner_adds_a_card_with_badge_and_cover(staff_client):
    badge = make_badge("SOTA")
    response = staff_client.post(
        reverse("admin:models_showcase_modelcard_add"), card_form(badges=[badge.pk], cover_image=png_upload())
    )
    assert response.status_code == 302, form_errors(response)
    card = ModelCard.objects.get(repo_id="dragonkue/new-model")
    assert card.title == "new-model"
    assert card.description_html == "<p>설명 <strong>굵게</strong></p>"
    assert list(card.badges.all()) == [badge]
    assert card.cover_image.name.startswith("covers/")
    assert card.is_published


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repo_id": "not a repo id"}, "Enter the Hub id as owner/name"),
        ({"repo_id": "dragonkue/bad--name"}, "is not a valid Hub id"),
        ({"repo_id": "DRAGONKUE/bge-m3-ko"}, "There is already a card for this Hub repository."),
        ({"cover_image": SimpleUploadedFile("cover.png", b"<html>not an image</html>", content_type="image/png")},
         "is not a JPEG, PNG, WebP or GIF image"),
        ({"cover_image": SimpleUploadedFile("cover.svg", b"<svg/>", content_type="image/svg+xml")},
         "is not a JPEG, PNG, WebP or GIF image"),
    ],
)  # fmt: skip
def test_bad_card_input_gets_a_clear_form_error(staff_client, overrides, message):
    make_card("dragonkue/BGE-m3-ko")
    response = staff_client.post(reverse("admin:models_showcase_modelcard_add"), card_form(**overrides))
    assert response.status_code == 200
    assert message in form_errors(response)
    assert ModelCard.objects.count() == 1


def test_changelist_publishes_in_place(staff_client):
    first, second = make_card("a/first", sort_order=1), make_card("a/second", sort_order=2, is_published=False)
    data = {
        "form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Save",
        "form-0-id": first.pk, "form-0-is_published": "on",
        "form-1-id": second.pk, "form-1-is_published": "on",
    }  # fmt: skip
    response = staff_client.post(reverse("admin:models_showcase_modelcard_changelist"), data)
    assert response.status_code == 302
    assert list(ModelCard.objects.published().values_list("repo_id", flat=True)) == ["a/first", "a/second"]


# ---- drag-and-drop ordering (django-admin-sortable2): the rows' new numbers are posted as JSON ----


def drop(client, model: str, numbered: dict) -> None:
    """What the list's script posts when a dragged row is dropped: each moved row's new number."""
    response = client.post(
        reverse(f"admin:{model}_sortable_update"),
        json.dumps({"updatedItems": [[str(row.pk), number] for row, number in numbered.items()]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def test_dragging_a_card_reorders_the_list_and_the_public_page(staff_client):
    visitor = Client()  # staff_client is the test's `client`, logged in: it never gets cached pages
    make_profile()
    first, second, third = (make_card(f"a/card-{n}", sort_order=n) for n in (1, 2, 3))
    page = visitor.get("/").content.decode()  # and now in the page cache
    assert page.index("a/card-1") < page.index("a/card-2") < page.index("a/card-3")
    drop(staff_client, "models_showcase_modelcard", {third: 1, first: 2, second: 3})  # the third dragged to the top
    assert list(ModelCard.objects.values_list("repo_id", flat=True)) == ["a/card-3", "a/card-1", "a/card-2"]
    page = visitor.get("/").content.decode()  # the cached page was dropped too
    assert page.index("a/card-3") < page.index("a/card-1") < page.index("a/card-2")
    changelist = staff_client.get(reverse("admin:models_showcase_modelcard_changelist")).content.decode()
    assert f'<div class="drag handle" pk="{third.pk}" order="1">' in changelist
    assert changelist.index("a/card-3") < changelist.index("a/card-1")


def test_rows_sharing_a_number_are_numbered_apart_when_the_list_opens(staff_client):
    # New cards and a sync's drafts start at 0; the script numbers a dropped row from its neighbours.
    for repo_id, number in [("a/zeta", 0), ("a/alpha", 0), ("a/beta", 5)]:
        make_card(repo_id, sort_order=number)
    staff_client.get(reverse("admin:models_showcase_modelcard_changelist"))
    assert list(ModelCard.objects.values_list("repo_id", "sort_order")) == [
        ("a/alpha", 1),
        ("a/zeta", 2),
        ("a/beta", 3),
    ]


def test_dragging_needs_the_change_permission(client, django_user_model):
    card = make_card("a/card")
    viewer = django_user_model.objects.create_user("viewer", password="a-long-test-passphrase", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelcard"))
    client.force_login(viewer)
    response = client.post(
        reverse("admin:models_showcase_modelcard_sortable_update"),
        json.dumps({"updatedItems": [[str(card.pk), 7]]}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert ModelCard.objects.get().sort_order == 0


def test_dragging_badges_reorders_them_on_the_cards(staff_client):
    sota, champion = make_badge("SOTA", sort_order=1), make_badge("Champion", sort_order=2)
    card = make_card("a/card", badges=[sota, champion])
    card.refresh_from_db()
    assert card.card_html.index("SOTA") < card.card_html.index("Champion")
    drop(staff_client, "models_showcase_badge", {champion: 1, sota: 2})
    card.refresh_from_db()
    assert card.card_html.index("Champion") < card.card_html.index("SOTA")


def test_dragging_groups_and_their_pull_requests_within_a_group(staff_client):
    early, late = make_group("Early", sort_order=1), make_group("Late", sort_order=2)
    first = make_contribution(group=early, title="First", sort_order=1)
    second = make_contribution(group=early, title="Second", sort_order=2)
    drop(staff_client, "contributions_contributiongroup", {late: 1, early: 2})
    assert list(ContributionGroup.objects.values_list("title", flat=True)) == ["Late", "Early"]

    change = reverse("admin:contributions_contributiongroup_change", args=[early.pk])
    page = staff_client.get(change).content.decode()
    assert "sortable" in page and 'class="_reorder_"' in page  # the group's pull requests, draggable
    response = staff_client.post(change, {
        "title": "Early", "intro": "",
        "contributions-TOTAL_FORMS": "2", "contributions-INITIAL_FORMS": "2",
        "contributions-0-id": second.pk, "contributions-0-group": early.pk, "contributions-0-sort_order": "1",
        "contributions-0-is_published": "on",
        "contributions-1-id": first.pk, "contributions-1-group": early.pk, "contributions-1-sort_order": "2",
        "contributions-1-is_published": "on",
    })  # fmt: skip
    assert response.status_code == 302, response.context["errors"]
    assert list(early.contributions.order_by("sort_order").values_list("title", flat=True)) == ["Second", "First"]


def test_a_number_typed_in_a_new_cards_form_is_kept(staff_client):
    make_card("a/existing", sort_order=3)
    staff_client.post(reverse("admin:models_showcase_modelcard_add"), card_form(sort_order=0))
    assert list(ModelCard.objects.values_list("repo_id", flat=True)) == ["dragonkue/new-model", "a/existing"]


def test_a_new_badge_goes_last(staff_client):
    make_badge("Old", sort_order=4)
    response = staff_client.post(
        reverse("admin:models_showcase_badge_add"), {"label": "New", "emoji": "", "color": "teal"}
    )
    assert response.status_code == 302, form_errors(response)
    assert Badge.objects.get(label="New").sort_order == 5


# ---- a list that fits a 1280 px screen ----


def test_card_list_columns_are_compact(staff_client):
    make_card("a/synced", downloads=18342, likes=44, synced_at=timezone.now())
    make_card("a/never")
    make_card("a/broken", sync_error_kind="not_found", sync_error="not found on the Hub <b>(or private)</b>")
    page = staff_client.get(reverse("admin:models_showcase_modelcard_changelist")).content.decode()
    assert '18.3k <span aria-hidden="true">↓</span><span class="visually-hidden">downloads</span> · 44' in page
    assert 'class="sync-state sync-state--ok" title="Synced ' in page
    assert 'class="sync-state sync-state--never" title="Never synced"' in page
    assert (
        'title="Not found (deleted, or private: set the token): not found on the Hub &lt;b&gt;(or private)&lt;/b&gt;"'
        in page
    )
    for gone in ("column-title", "column-sort_order", "column-synced_at", "column-likes"):
        assert gone not in page
    failed = staff_client.get(reverse("admin:models_showcase_modelcard_changelist"), {"sync": "not_found"})
    text = failed.content.decode()
    assert "a/broken" in text and "a/synced" not in text and "a/never" not in text


@pytest.mark.parametrize("cards", [0, 3, 30])
def test_card_list_queries_do_not_grow_with_the_cards(staff_client, django_assert_max_num_queries, cards):
    badge = make_badge("SOTA")
    for number in range(cards):
        make_card(f"a/card-{number}", badges=[badge], sort_order=number + 1)
    # Session and user 3, the sync's status line 1, the order check 1, the list and its badges 2, counts and
    # filters 8 (django-admin-sortable2 counts the rows once more, for its "move to page" actions).
    with django_assert_max_num_queries(15):
        assert staff_client.get(reverse("admin:models_showcase_modelcard_changelist")).status_code == 200


def test_admin_pages_have_no_inline_script_or_style(staff_client, content):
    # The CSP allows neither; sortable2's configuration is a JSON data block, which is not run.
    for name in ("models_showcase_modelcard", "models_showcase_badge", "contributions_contributiongroup"):
        page = staff_client.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert " style=" not in page
        scripts = re.findall(r"<script([^>]*)>", page)
        assert all("src=" in attributes or 'type="application/json"' in attributes for attributes in scripts)
        assert 'id="admin_sortable2_config"' in page


def test_badge_colours_are_swatches(staff_client):
    badge = make_badge("SOTA", color="teal")
    form = staff_client.get(reverse("admin:models_showcase_badge_change", args=[badge.pk])).content.decode()
    assert 'class="swatch swatch--choice badge--coral"' in form
    assert re.search(
        r'<input type="radio" name="color" value="teal" class="swatch swatch--choice badge--teal"[^>]*checked', form
    )
    listing = staff_client.get(reverse("admin:models_showcase_badge_changelist")).content.decode()
    assert '<span class="swatch badge--teal" aria-hidden="true"></span> Teal #4ecdc4' in listing


def test_admin_index_puts_the_content_first_and_login_lockouts_last(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    main = page[page.index('id="content-main"') :]
    names = ["Profile", "Sync runs", "Model cards", "Badges", "Contributions", "Contribution groups",
             "GitHub repositories", "Users", "Login lockouts", "Access attempts"]  # fmt: skip
    positions = [main.index(f">{name}<") for name in names]
    assert positions == sorted(positions)


def test_changelist_search_and_badge_filter(staff_client):
    badge = make_badge("Reranker")
    make_card("a/reranker", badges=[badge])
    make_card("a/embedder")
    url = reverse("admin:models_showcase_modelcard_changelist")
    assert "a/embedder" not in staff_client.get(url, {"q": "rerank"}).content.decode()
    filtered = staff_client.get(url, {"badges__id__exact": badge.pk}).content.decode()
    assert "a/reranker" in filtered and "a/embedder" not in filtered


def contribution_form(group, **overrides):
    return {"group": group.pk, "pr_url": "https://github.com/UKPLab/sentence-transformers/pull/2946/files",
            "title": "GISTEmbedLoss", "writeup": "- **문제**", "notice_style": "success", "sort_order": 1,
            "is_published": "on", **overrides}  # fmt: skip


def test_owner_adds_a_contribution(staff_client):
    group = make_group()
    response = staff_client.post(reverse("admin:contributions_contribution_add"), contribution_form(group))
    assert response.status_code == 302, form_errors(response)
    contribution = Contribution.objects.get()
    assert contribution.pr_url == "https://github.com/UKPLab/sentence-transformers/pull/2946"
    assert (contribution.repository, contribution.number) == ("UKPLab/sentence-transformers", 2946)
    assert "<strong>문제</strong>" in contribution.writeup_html


@pytest.mark.parametrize(
    ("pr_url", "message"),
    [
        ("https://github.com/UKPLab/sentence-transformers/issues/1", "Enter a GitHub pull request address"),
        ("https://github.com/ukplab/sentence-transformers/pull/7", "This pull request already has a contribution."),
    ],
)
def test_bad_contribution_input_gets_a_clear_form_error(staff_client, pr_url, message):
    make_contribution("https://github.com/UKPLab/sentence-transformers/pull/7")
    response = staff_client.post(
        reverse("admin:contributions_contribution_add"), contribution_form(make_group(), pr_url=pr_url)
    )
    assert response.status_code == 200
    assert message in form_errors(response)


def profile_form(**overrides):
    return {"display_name": "Owner", "hub_username": "dragonkue", "github_username": "", "bio": "연구자",
            "site_title": "Portfolio", "notice_title": "🤗 Profile", "intro": "*소개*", "models_heading": "Models",
            "contributions_heading": "PRs", "links-TOTAL_FORMS": "1", "links-INITIAL_FORMS": "0",
            "links-0-kind": "email", "links-0-label": "", "links-0-url": "me@example.com",
            "links-0-sort_order": "0", **overrides}  # fmt: skip


def test_profile_is_a_singleton_in_the_admin(staff_client):
    assert staff_client.get(reverse("admin:portfolio_profile_changelist")).url == reverse("admin:portfolio_profile_add")
    response = staff_client.post(reverse("admin:portfolio_profile_add"), profile_form())
    assert response.status_code == 302
    profile = Profile.objects.get()
    assert profile.intro_html == "<p><em>소개</em></p>"
    assert profile.links.get().href == "mailto:me@example.com"
    change_url = reverse("admin:portfolio_profile_change", args=[profile.pk])
    assert staff_client.get(reverse("admin:portfolio_profile_changelist")).url == change_url
    assert staff_client.get(reverse("admin:portfolio_profile_add")).status_code == 403
    assert staff_client.get(reverse("admin:portfolio_profile_delete", args=[profile.pk])).status_code == 403
    assert "Save and add another" not in staff_client.get(change_url).content.decode()


def test_profile_rejects_a_non_image_avatar(staff_client):
    response = staff_client.post(
        reverse("admin:portfolio_profile_add"),
        profile_form(avatar=SimpleUploadedFile("me.jpg", b"MZ\x90\x00 not a jpeg", content_type="image/jpeg")),
    )
    assert response.status_code == 200
    assert "is not a JPEG, PNG, WebP or GIF image" in form_errors(response)
    assert not Profile.objects.exists()


# ---- the markdownx editor's endpoints ----


def test_preview_renders_with_the_sanitizing_renderer_for_staff(staff_client):
    response = staff_client.post("/markdownx/markdownify/", {"content": "**굵게** <script>alert(1)</script>"})
    assert response.status_code == 200
    assert response.content.decode() == "<p><strong>굵게</strong> </p>"


def test_preview_without_content_is_a_clear_400(staff_client):
    assert staff_client.post("/markdownx/markdownify/", {}).status_code == 400


@pytest.mark.parametrize("path", ["/markdownx/markdownify/", "/markdownx/upload/"])
def test_editor_endpoints_refuse_visitors(client, settings, path):
    response = client.post(path, {"content": "<b>x</b>", "image": png_upload()})
    # A bare 403, not a redirect to the login page: that would name the admin's path (tests/test_upload_attacks.py).
    assert response.status_code == 403 and not response.has_header("Location")
    assert not (settings.MEDIA_ROOT).exists() or not any(settings.MEDIA_ROOT.rglob("*.*"))


def test_badge_autocomplete_answers(staff_client):
    make_badge("Brand new")
    make_badge("Other")
    response = staff_client.get(
        "/admin/autocomplete/",
        {"term": "Brand", "app_label": "models_showcase", "model_name": "modelcard", "field_name": "badges"},
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["Brand new"]
