"""The card's admin form: the Hub id as the owner types or pastes it, checked with the Hub when added."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from models_showcase import evals
from models_showcase.hub.fetch import FetchResult, fetch_for_new_card
from models_showcase.models import HUB_PREFIX, EvalResult, HubCard, Kind, validate_hub_model_id
from portfolio.syncing.errors import SyncErrorKind

HUB_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}
# A pasted address can hold more than an id: /tree/main, a file path, a query.
MAX_PASTED = 500


def hub_id_from_input(value: str, kind: str = Kind.MODEL) -> str:
    """`owner/name` from what the owner typed or pasted: the id itself, or the repo's address on the Hub
    (https://huggingface.co/owner/name, /datasets/owner/name, /spaces/owner/name, with /tree/main, a file,
    a query or a trailing slash; hf.co/...)."""
    text = value.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        host = ""
    if host not in HUB_HOSTS:
        return text  # an id, or something the id's validator refuses with its own message
    segments = [segment for segment in parts.path.split("/") if segment]
    addressed = next((k for k, prefix in HUB_PREFIX.items() if prefix and segments[:1] == [prefix[:-1]]), Kind.MODEL)
    if addressed != kind:
        raise ValidationError(WRONG_KIND[addressed], code="wrong_kind")
    return "/".join(segments[1:3] if HUB_PREFIX[kind] else segments[:2])


WRONG_KIND = {
    Kind.MODEL: _("That is the address of a model: add it among the model cards."),
    Kind.DATASET: _("That is the address of a dataset: add it among the dataset cards."),
    Kind.SPACE: _("That is the address of a Space: add it among the Space cards."),
}


class HubCardForm(forms.ModelForm):
    """A card's Hub id, checked with the Hub when the card is added (or pointed at another repo).

    The admin builds it for its proxy (ModelCard, DatasetCard, SpaceCard), whose kind says
    which of the Hub's lists the id is looked up in.
    """

    # Wider than the id's 96 characters, so a pasted address fits before it is read down to the id.
    repo_id = forms.CharField(
        label=_("Hub id"),
        max_length=MAX_PASTED,
        help_text=_(
            "The repository's id on the Hugging Face Hub, owner/name, e.g. dragonkue/BGE-m3-ko, or its address on "
            "the Hub. A new card is checked with the Hub and filled in from it when saved."
        ),
    )

    class Meta:
        model = HubCard
        # What the owner edits; the admin's fieldsets choose among them.
        fields = ["repo_id", "title", "badges", "summary", "description", "cover_image", "is_published", "sort_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What the Hub said when this form asked it (see clean()); the admin's save_model writes it.
        self.hub_fetch: FetchResult | None = None

    @property
    def kind(self) -> str:
        return self._meta.model.KIND or self.instance.kind

    def clean_repo_id(self) -> str:
        repo_id = hub_id_from_input(self.cleaned_data["repo_id"], self.kind)
        validate_hub_model_id(repo_id)  # here, so that clean() asks the Hub only about a valid id
        return repo_id

    def clean(self):
        cleaned = super().clean()
        repo_id = cleaned.get("repo_id")
        if repo_id and self._taken(repo_id):
            # The unique constraint reads `kind`, which no form field carries, so Django's own check skips it.
            self.add_error("repo_id", HubCard._meta.constraints[0].violation_error_message)
            return cleaned
        if self.errors or not repo_id or not self._asks_the_hub(repo_id):
            return cleaned
        # The README's opening is offered as the card's summary, unless the owner wrote one.
        owner_wrote = bool((cleaned.get("summary") or "").strip())
        result = fetch_for_new_card(repo_id, self.kind, timeout=settings.HUB_FETCH_TIMEOUT, with_readme=not owner_wrote)
        if result.refused:
            # A mistyped id is not saved: the owner sees what the Hub answered.
            self.add_error("repo_id", refusal_message(result))
            return cleaned
        self.hub_fetch = result
        if result.model is not None:
            cleaned["repo_id"] = result.model.repo_id  # the Hub's spelling: its case, or the name it was renamed to
            if result.summary and not owner_wrote:
                cleaned["summary"] = result.summary
        return cleaned

    def _taken(self, repo_id: str) -> bool:
        return HubCard.objects.filter(kind=self.kind, repo_id__iexact=repo_id).exclude(pk=self.instance.pk).exists()

    def _asks_the_hub(self, repo_id: str) -> bool:
        card = self.instance
        # An edit of the same repo needs no question: sync_hub keeps it up to date.
        return card._state.adding or card.repo_id.lower() != repo_id.lower()


class ModelCardForm(HubCardForm):
    """A model's card also has a headline, picked among the card's own results, labelled as visitors
    read them, main scores first."""

    class Meta(HubCardForm.Meta):
        fields = ["repo_id", "title", "badges", "headline_metric", "summary", "description", "cover_image",
                  "is_published", "sort_order"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("headline_metric")
        if field is None:
            return
        card = self.instance
        if card.pk is None:
            field.queryset = EvalResult.objects.none()  # a new card has no results yet
            return
        # One query, shared with the read-only summary below (it reads the form's instance).
        prefetch_related_objects([card], Prefetch("eval_results", queryset=EvalResult.objects.order_by("position")))
        main, other = evals.summarize(card.eval_results.all()).choices()
        field.queryset = EvalResult.objects.filter(card=card)
        field.error_messages["invalid_choice"] = _(
            "That result is not among this card's now (a Hub sync may have replaced them since the page opened): "
            "pick again."
        )
        groups = [(_("Main score per dataset"), main), (_("Other results"), other)]
        field.choices = [("", field.empty_label), *((group, choices) for group, choices in groups if choices)]


def _hub_answer(result: FetchResult) -> str:
    return f"HTTP {result.status}" + (f": {result.hub_message}" if result.hub_message else "")


def refusal_message(result: FetchResult) -> str:
    """The form error for an id the Hub refused, with the Hub's answer."""
    answer = _hub_answer(result)
    if result.error is not None and result.error.kind == SyncErrorKind.DISABLED:
        return gettext("This repository is disabled on the Hub — %(answer)s") % {"answer": answer}
    if result.with_token:
        return gettext("The Hub does not know this repository, or HF_TOKEN has no access to it — %(answer)s") % {
            "answer": answer
        }
    return gettext("The Hub does not know this repository (or it is private: set HF_TOKEN) — %(answer)s") % {
        "answer": answer
    }


def hub_fetch_messages(result: FetchResult) -> list[tuple[int, str]]:
    """(level, text) for the admin, once the card is saved: what came from the Hub, or why nothing did."""
    model, error = result.model, result.error
    if model is not None:
        filled = (
            gettext("Statistics and evaluation results filled in from the Hub.")
            if model.kind == "model"
            else gettext("Statistics filled in from the Hub.")
        )
        notes = [(messages.SUCCESS, filled)]
        if model.repo_id.lower() != result.repo_id.lower():
            notes.append(
                (
                    messages.INFO,
                    gettext("The Hub knows %(asked)s as %(repo_id)s now: the card uses that id.")
                    % {"asked": result.repo_id, "repo_id": model.repo_id},
                )
            )
        if result.summary:
            notes.append((messages.INFO, gettext("The summary starts from the README: read it before publishing.")))
        return notes
    if error is None:
        return []
    if error.kind in (SyncErrorKind.TIMEOUT, SyncErrorKind.NETWORK):
        if error.kind == SyncErrorKind.TIMEOUT:
            reason = gettext("timed out after %(seconds)s s") % {"seconds": f"{result.timeout:g}"}
        else:
            reason = gettext("no connection to %(endpoint)s") % {"endpoint": result.endpoint}
        text = gettext(
            "Saved, but the Hub could not be reached (%(reason)s): statistics will appear after the next sync."
        )
    else:
        if error.kind == SyncErrorKind.TOKEN_REJECTED:
            reason = gettext("it refused HF_TOKEN — %(answer)s") % {"answer": _hub_answer(result)}
        else:
            reason = _hub_answer(result) if result.status else str(error)
        text = gettext(
            "Saved, but the Hub's answer could not be used (%(reason)s): statistics will appear after the next sync."
        )
    return [(messages.WARNING, text % {"reason": reason})]
