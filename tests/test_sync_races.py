"""The sync and the owner never undo each other: real threads, real connections (SQLite or PostgreSQL), real HTTP."""

import threading
import time
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from huggingface_hub import HfApi

from models_showcase.hub import sync_cards
from models_showcase.models import ModelCard
from tests.builders import make_badge, make_card
from tests.fakehub import FakeHub, hub_model, slow

pytestmark = pytest.mark.django_db(transaction=True)

REPO = "tester/raced"


@pytest.fixture
def hub():
    with FakeHub([hub_model(REPO, downloads=1_000_000)]) as fake:
        yield fake


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_superuser("owner", "owner@example.com", "a-long-test-passphrase")


def owner_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_thread(target, *args, **kwargs) -> tuple[threading.Thread, list]:
    """Run `target` in a thread of its own (its own database connection); the list gets its result or error."""
    outcome: list = []

    def run():
        try:
            outcome.append(target(*args, **kwargs))
        except BaseException as error:  # surfaced by the test, not lost in the thread
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


class _FormFields(HTMLParser):
    """The fields a browser would post from the page's main form, as it was loaded."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value", "on"))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.setdefault(self._select, []).append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data.removeprefix("\n") if not self.data[self._textarea][-1] else data


def form_as_loaded(client: Client, url: str) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(client.get(url).content.decode())
    return parser.data


def test_an_edit_saved_during_a_sync_is_what_the_home_page_shows(hub, api, owner):
    card = make_card(REPO, title="Before", is_published=True)
    hub.script("list:tester", slow(1.0))  # the sync has read the cards and waits for the Hub
    thread, outcome = in_thread(sync_cards, api=api)
    time.sleep(0.3)
    client = owner_client(owner)
    url = reverse("admin:models_showcase_modelcard_change", args=[card.pk])
    data = form_as_loaded(client, url)
    data["title"] = ["After the owner's edit"]
    assert client.post(url, data).status_code == 302
    thread.join(10)
    assert outcome[0].exit_code == 0
    stored = ModelCard.objects.get(pk=card.pk)
    assert stored.title == "After the owner's edit" and stored.downloads == 1_000_000
    assert "After the owner&#x27;s edit" in stored.card_html and "1M" in stored.card_html
    assert "After the owner&#x27;s edit" in client.get(reverse("portfolio:home")).content.decode()


def test_a_form_opened_before_a_sync_saves_and_puts_no_old_numbers_back(hub, api, owner):
    card = make_card(REPO, title="Opened")
    sync_cards(api=api)
    client = owner_client(owner)
    url = reverse("admin:models_showcase_modelcard_change", args=[card.pk])
    data = form_as_loaded(client, url)  # the owner opens the form...
    index = hub_model(REPO)["model-index"]
    index[0]["results"][0]["metrics"] = [{"type": "ndcg_at_10", "value": 0.9}, {"type": "map_at_10", "value": 0.8}]
    hub.update(REPO, downloads=2_000_000, likes=7, sha="a" * 40, **{"model-index": index})
    assert sync_cards(api=api).count("updated") == 1  # ...a sync changes numbers and evaluation rows...
    data["title"] = ["Saved after the sync"]
    response = client.post(url, data)  # ...and the owner saves
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ModelCard.objects.get(pk=card.pk)
    assert (stored.title, stored.downloads, stored.likes) == ("Saved after the sync", 2_000_000, 7)
    assert stored.eval_results.count() == 2
    assert "2M" in stored.card_html and "Saved after the sync" in stored.card_html


def test_owner_saves_and_syncs_interleaved_lose_nothing(hub, api, owner):
    """Many admin saves while several syncs change the numbers: the last of each wins, on the row and the card."""
    card = make_card(REPO, title="Start", is_published=True)
    badge = make_badge("SOTA")
    rounds = 6

    def syncs():
        for number in range(1, rounds + 1):
            hub.update(REPO, downloads=number * 1_000_000)
            report = sync_cards(api=api)
            assert report.exit_code == 0, report.as_dict()

    def edits():
        client = owner_client(owner)
        url = reverse("admin:models_showcase_modelcard_change", args=[card.pk])
        for number in range(20):
            data = form_as_loaded(client, url)
            data["title"] = [f"Edit {number}"]
            data["badges"] = [str(badge.pk)] if number % 2 else []
            response = client.post(url, data)
            assert response.status_code == 302, response.content.decode()[:2000]

    threads = [in_thread(syncs), in_thread(edits)]
    for thread, _ in threads:
        thread.join(120)
    for _, outcome in threads:
        assert outcome == [None], outcome
    stored = ModelCard.objects.get(pk=card.pk)
    assert stored.title == "Edit 19" and stored.downloads == rounds * 1_000_000
    assert list(stored.badges.all()) == [badge]
    assert "Edit 19" in stored.card_html and f"{rounds}M" in stored.card_html and "SOTA" in stored.card_html
