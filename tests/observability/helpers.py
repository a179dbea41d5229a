"""Reading /metrics as the web process serves it."""

from __future__ import annotations

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families


def scrape() -> str:
    response = Client().get("/metrics")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def samples(text: str | None = None) -> dict[tuple[str, frozenset], float]:
    """Every sample of the alain_* families: (sample name, labels) -> value."""
    out = {}
    for family in text_string_to_metric_families(text if text is not None else scrape()):
        if not family.name.startswith("alain_"):
            continue
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(all_samples: dict, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (sample, sample_labels), v in all_samples.items() if sample == name and wanted <= sample_labels)
