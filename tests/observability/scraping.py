"""Reading /metrics with prometheus_client's parser, and the metric names a PromQL query uses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

Families = dict[str, Metric]

SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "unknown": ("",),
}
# Made by Prometheus itself for every target, not by the services.
SCRAPE_METRICS = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
PROMQL_WORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "inf",
        "nan",
    }
)


def scrape(base_url: str) -> Families:
    """Every metric family `base_url/metrics` exports, parsed by prometheus_client."""
    response = httpx.get(f"{base_url}/metrics", timeout=10.0)
    response.raise_for_status()
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: Families, sample_name: str, **labels: str) -> float:
    """The sum of the samples named `sample_name` whose labels include `labels` (0 if none)."""
    total = 0.0
    for family in families.values():
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def samples(families: Families, sample_name: str) -> list[tuple[dict[str, str], float]]:
    return [(dict(s.labels), s.value) for f in families.values() for s in f.samples if s.name == sample_name]


def exported_names(families: Iterable[Metric]) -> set[str]:
    """Every name a query may use for these families, samples or not yet (e.g. `x_total`, `x_bucket`)."""
    names = set()
    for family in families:
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, keywords and labels left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*", text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group() in PROMQL_WORDS:
            continue
        names.add(match.group())
    return names


def merged(*scrapes: Mapping[str, Metric]) -> list[Metric]:
    return [family for scraped in scrapes for family in scraped.values()]
