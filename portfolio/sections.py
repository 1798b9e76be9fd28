"""The home page's sections: which show, in what order, under which heading.

The owner's choice is one JSON list on the profile (`Profile.sections`), e.g.
`[{"key": "contributions", "shown": true}, {"key": "models", "shown": false}, ...]`, so the
home page reads it with the profile, in a query it makes anyway. A stored list is read
forgivingly (`arranged()`): a row from an older or newer version of the site, a key typed
twice, or no list at all never breaks the page.
"""

from typing import NamedTuple

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Section(models.TextChoices):
    """The home page's sections, in their default order."""

    MODELS = "models", _("Models")
    DATASETS = "datasets", _("Datasets")
    SPACES = "spaces", _("Spaces")
    PUBLICATIONS = "publications", _("Publications")
    CONTRIBUTIONS = "contributions", _("GitHub contributions")


# The home view's context value each section shows; a section whose value is empty is left out.
CONTENT = {
    Section.MODELS: "cards",
    Section.DATASETS: "dataset_cards",
    Section.SPACES: "space_cards",
    Section.PUBLICATIONS: "publication_years",
    Section.CONTRIBUTIONS: "contribution_groups",
}


class Placement(NamedTuple):
    """One section as the owner arranged it."""

    key: str
    shown: bool


class HomeSection(NamedTuple):
    """One section the home page shows, under its heading."""

    key: str
    heading: str

    @property
    def template(self) -> str:
        return f"portfolio/sections/_{self.key}.html"

    @property
    def heading_id(self) -> str:
        return f"{self.key}-heading"


def arranged(stored: object) -> list[Placement]:
    """Every section once, in the stored order: unknown keys and repeats are ignored, missing ones follow, shown.

    A row may be {"key": ..., "shown": ...} or, as a bare key, a shown section.
    """
    placements: list[Placement] = []
    seen: set[str] = set()
    for row in stored if isinstance(stored, list) else []:
        if isinstance(row, str):
            key, shown = row, True
        elif isinstance(row, dict):
            key, shown = row.get("key"), row.get("shown", True)
        else:
            continue
        if isinstance(key, str) and key in Section.values and key not in seen:
            seen.add(key)
            placements.append(Placement(key, shown is not False))
    placements += [Placement(key, True) for key in Section.values if key not in seen]
    return placements


def as_json(placements: list[Placement]) -> list[dict]:
    """The JSON the profile keeps."""
    return [{"key": placement.key, "shown": placement.shown} for placement in placements]


def home_sections(placements: list[Placement], headings: dict[str, str], context: dict) -> list[HomeSection]:
    """The sections the page shows, in order: shown by the owner, and with something in them."""
    return [
        HomeSection(placement.key, headings[placement.key])
        for placement in placements
        if placement.shown and context.get(CONTENT[placement.key])
    ]


# ---- The admin's field: one row per section, a "shown" box and a position ----


class PostedRows(list):
    """The table's rows as the browser sent them: one per section, its box and its position (not yet a number)."""


class SectionsWidget(forms.Widget):
    template_name = "portfolio/widgets/sections.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        labels = dict(Section.choices)
        if isinstance(value, PostedRows):  # as posted, when the form comes back with an error
            rows = value
        else:  # the stored arrangement, numbered in its order
            rows = [{**placement._asdict(), "position": index} for index, placement in enumerate(arranged(value), 1)]
        id_ = attrs.get("id", name)
        context["widget"]["rows"] = [
            {**row, "label": labels[row["key"]], "prefix": f"{name}-{row['key']}", "id": f"{id_}-{row['key']}"}
            for row in rows
        ]
        return context

    def format_value(self, value):
        return value  # the rows themselves, not a string

    def value_from_datadict(self, data, files, name):
        if self.value_omitted_from_data(data, files, name):
            return None
        return PostedRows(
            {"key": key, "shown": f"{name}-{key}-shown" in data, "position": data.get(f"{name}-{key}-position", "")}
            for key in Section.values
        )

    def value_omitted_from_data(self, data, files, name):
        # A form posted without the table (a script, an older page) keeps the stored arrangement.
        return not any(f"{name}-{key}-position" in data for key in Section.values)

    def id_for_label(self, id_):
        return None  # each row's box and number have their own labels


class SectionsField(forms.Field):
    """The arrangement as rows (key, shown, position), cleaned into the stored JSON list, in position order."""

    widget = SectionsWidget
    default_error_messages = {"invalid": _("Give each section's position as a whole number, e.g. 1 for the first.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None:
            return None
        ordered = []
        for index, row in enumerate(value):
            try:
                position = int(row["position"])
            except (TypeError, ValueError):
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            ordered.append((position, index, Placement(row["key"], bool(row["shown"]))))
        # Two sections given one number keep the order the table showed them in.
        return as_json([placement for _, _, placement in sorted(ordered)])

    def has_changed(self, initial, data):
        try:
            return arranged(initial) != arranged(self.to_python(data) if data is not None else initial)
        except ValidationError:
            return True
