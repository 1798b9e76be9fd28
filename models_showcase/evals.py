"""Evaluation results as a visitor reads them: grouped by task and dataset, labelled, on one scale per source.

Plain Python over anything shaped like EvalResult, so the model page, the stored
home-page card and the admin read the same labels and numbers, and the rules are
tested without a database. A model-index written by MTEB holds 100+ metrics per
dataset; the page shows one main score per dataset and folds the rest away.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from django.utils.translation import gettext

SEPARATOR = " · "
MAIN_SCORE = "main_score"

# Lower-case words of a metric type written as acronyms; any other all-lower-case word is capitalised.
ACRONYMS = {
    "ndcg": "NDCG", "map": "MAP", "mrr": "MRR", "ap": "AP", "f1": "F1", "auc": "AUC", "nauc": "nAUC", "roc": "ROC",
    "mae": "MAE", "mse": "MSE", "rmse": "RMSE", "em": "EM", "wer": "WER", "cer": "CER", "bleu": "BLEU",
}  # fmt: skip
# Trailing words that qualify the metric before them: `nauc_map_at_10_diff1` is nAUC MAP@10 (diff1).
QUALIFIERS = {"diff1", "max", "std", "threshold", "weighted", "macro", "micro"}

# Scores that live in [0, 1], or [0, 100] where a source writes percentages (MTEB does).
BOUNDED_WORDS = {
    "accuracy", "acc", "ndcg", "map", "mrr", "recall", "precision", "f1", "ap", "auc", "vmeasure", "spearman",
    "pearson", "mainscore", "em", "exactmatch",
}  # fmt: skip
# Not scores on that scale, whatever they are named after: nAUC statistics, spreads, thresholds.
UNBOUNDED = re.compile(r"nauc|(diff1|max|std|threshold)$")


class Result(Protocol):
    """What this module reads of models_showcase.models.EvalResult."""

    pk: int | None
    source: str
    task_type: str
    task_name: str
    dataset_type: str
    dataset_name: str
    dataset_config: str
    dataset_split: str
    metric_type: str
    metric_name: str
    metric_value: float
    verified: bool
    source_name: str
    source_url: str


# ---- labels ----


def metric_label(result: Result) -> str:
    """The metric's own name when the card gives one, else a readable form of its type."""
    return result.metric_name if result.metric_name.strip() else readable_metric(result.metric_type)


def readable_metric(metric_type: str) -> str:
    """`ndcg_at_10` → NDCG@10, `nauc_map_at_1000_diff1` → nAUC MAP@1000 (diff1), `v_measure` → V-measure."""
    text = metric_type.strip()
    if not text:
        return gettext("Score")
    if text.lower() == MAIN_SCORE:
        return gettext("Main score")
    text = re.sub(r"_at_(\d+)", r"@\1", text)
    text = re.sub(r"(?i)\bv_measure", "v-measure", text)
    words = [word for word in re.split(r"[_\s]+", text) if word]
    qualifiers = []
    while len(words) > 1 and words[-1].lower() in QUALIFIERS:
        qualifiers.insert(0, words.pop().lower())
    label = " ".join(_readable_word(word) for word in words)
    return f"{label} ({', '.join(qualifiers)})" if qualifiers else label


def _readable_word(word: str) -> str:
    head, at, tail = word.partition("@")
    if head.lower() == "v-measure":
        head = "V-measure"
    elif head.lower() in ACRONYMS:
        head = ACRONYMS[head.lower()]
    elif head.islower():
        head = head.capitalize()
    return head + at + tail  # a word with capitals (nAUC, MTEB) is kept as written


def readable_task(task_type: str) -> str:
    """`information-retrieval` → Information retrieval, `PairClassification` → Pair classification, STS → STS."""
    words = re.split(r"[-_\s]+|(?<=[a-z])(?=[A-Z])", task_type.strip())
    words = [word if word.isupper() else word.lower() for word in words if word]
    if not words:
        return ""
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def task_heading(result: Result) -> str:
    return result.task_name if result.task_name.strip() else readable_task(result.task_type) or gettext("Other results")


def dataset_label(result: Result) -> tuple[str, str]:
    """(name, details): the dataset's name, and its config and split for muted text.

    MTEB names a dataset "MTEB KorSTS (default)" and repeats the config in `config`;
    the name drops that suffix, and the "default" config says nothing worth a word.
    """
    name = next(
        (text for text in (result.dataset_name, result.dataset_type) if text.strip()), gettext("Unnamed dataset")
    )
    config, split = result.dataset_config, result.dataset_split
    if config.strip() and name.endswith(f" ({config})"):
        name = name[: -len(f" ({config})")]
    details = [part for part in (config if config.strip() != "default" else "", split) if part.strip()]
    return name, SEPARATOR.join(details)


def safe_url(url: str) -> str:
    """The URL if it is a web address a visitor can follow; "" for anything else (javascript:, data:, relative)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


# ---- scales and numbers ----


def is_bounded(result: Result) -> bool:
    """A score in [0, 1] (or [0, 100] as a percentage), as opposed to a statistic shown as a plain number."""
    key = (result.metric_type.strip() or result.metric_name.strip()).lower()
    if result.metric_value < 0 or UNBOUNDED.search(key):
        return False
    key = re.sub(r"(_at_|@)\d+", "", key).replace("v_measure", "vmeasure").replace("main_score", "mainscore")
    key = key.replace("exact_match", "exactmatch")
    return not BOUNDED_WORDS.isdisjoint(re.split(r"[^a-z0-9]+", key))


def percent_sources(results: Iterable[Result]) -> frozenset[str]:
    """The sources (of one card) that write percentages: any bounded score above 1 gives them away."""
    return frozenset(result.source for result in results if is_bounded(result) and result.metric_value > 1.0)


def format_value(result: Result, *, percent: bool) -> str:
    """65.30 % from a source in percentages, 0.653 from one in fractions, a plain number for anything unbounded."""
    value = result.metric_value
    if percent and is_bounded(result):
        return f"{value:.2f}\u00a0%"  # no-break space: the unit never wraps away from its number
    return _plain(value)


def _plain(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# ---- grouping ----


@dataclass(frozen=True)
class Metric:
    result: Result
    label: str
    value: str

    @property
    def verified(self) -> bool:
        return self.result.verified


@dataclass(frozen=True)
class Source:
    name: str
    url: str


@dataclass
class Dataset:
    name: str
    details: str
    main: Metric
    others: list[Metric]
    sources: list[Source]
    # The metric MTEB's main score repeats: named by the main score, so not listed again.
    repeated: Metric | None = None

    @property
    def metrics(self) -> list[Metric]:
        return [self.main, *self.others, *([self.repeated] if self.repeated else [])]


@dataclass
class Task:
    heading: str
    datasets: list[Dataset] = field(default_factory=list)


@dataclass(frozen=True)
class Headline:
    """One result as the card shows it: "NDCG@10 · MTEB AutoRAGRetrieval · 83.20 %"."""

    metric: str
    dataset: str
    value: str
    verified: bool

    def __str__(self) -> str:
        return SEPARATOR.join([self.metric, self.dataset, self.value])


@dataclass
class Evaluation:
    tasks: list[Task]
    # Each result's place: (task, dataset, metric), by primary key, for the headline and the admin's choices.
    _places: dict[int, tuple[Task, Dataset, Metric]] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.tasks)

    @property
    def dataset_count(self) -> int:
        return sum(len(task.datasets) for task in self.tasks)

    def headline(self, pk: int | None) -> Headline | None:
        if pk not in self._places:
            return None
        _, dataset, metric = self._places[pk]
        return Headline(metric=metric.label, dataset=dataset.name, value=metric.value, verified=metric.verified)

    def choices(self) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """(main scores, every other result) as (pk, "task · dataset · metric · value"), for the owner to pick from.

        Every result is offered, even the one a main score repeats: a pick missing from
        the list would be dropped the next time the form is saved.
        """
        main, other = [], []
        for pk, (task, dataset, metric) in self._places.items():
            label = SEPARATOR.join([task.heading, dataset.name, metric.label, metric.value])
            (main if metric is dataset.main else other).append((pk, label))
        return main, other


def summarize(results: Iterable[Result]) -> Evaluation:
    """One card's results by task, then dataset, in the order the card lists them, each with its main score.

    The main score is MTEB's `main_score`, labelled as the metric it repeats when one
    in the dataset has the same value; else the dataset's first metric.
    """
    results = list(results)
    percent = percent_sources(results)
    groups: dict[tuple[str, str], dict[tuple[str, ...], list[Result]]] = {}
    for result in results:
        task_key = (result.task_type, result.task_name)
        dataset_key = (result.source, result.dataset_type, result.dataset_name, result.dataset_config,
                       result.dataset_split)  # fmt: skip
        groups.setdefault(task_key, {}).setdefault(dataset_key, []).append(result)

    tasks, places = [], {}
    for datasets in groups.values():
        rows_per_dataset = list(datasets.values())
        task = Task(
            heading=task_heading(rows_per_dataset[0][0]),
            datasets=[_dataset(rows, percent=rows[0].source in percent) for rows in rows_per_dataset],
        )
        tasks.append(task)
        for dataset in task.datasets:
            for metric in dataset.metrics:
                if metric.result.pk is not None:
                    places[metric.result.pk] = (task, dataset, metric)
    return Evaluation(tasks=tasks, _places=places)


def _dataset(results: list[Result], *, percent: bool) -> Dataset:
    metrics = [Metric(result, metric_label(result), format_value(result, percent=percent)) for result in results]
    main = next((metric for metric in metrics if metric.result.metric_type.strip().lower() == MAIN_SCORE), None)
    repeated = None
    if main is None:
        main = metrics[0]
    elif not main.result.metric_name.strip():
        value = main.result.metric_value
        repeated = next((m for m in metrics if m is not main and math.isclose(m.result.metric_value, value)), None)
        if repeated is not None:
            main = Metric(main.result, repeated.label, main.value)
    sources = []
    for result in results:
        source = Source(name=result.source_name, url=safe_url(result.source_url))
        if (source.name.strip() or source.url) and source not in sources:
            sources.append(source)
    name, details = dataset_label(results[0])
    others = [metric for metric in metrics if metric.result is not main.result and metric is not repeated]
    return Dataset(name=name, details=details, main=main, others=others, sources=sources, repeated=repeated)


def headline(result: Result, *, results: Iterable[Result]) -> Headline | None:
    """`result` as the card shows it, read among `results` (its card's results from its source, at least)."""
    return summarize(results).headline(result.pk)
