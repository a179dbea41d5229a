"""ALAIN's own Prometheus metrics, read from the database at each scrape.

Why a collector that reads the database rather than counters in each process (prometheus_client's
multiprocess mode): every event these metrics count is already a row (a teacher call, a finding,
a stage completion, a status change, an export), written by whichever web process or django-q2
worker did the work, on whichever host. Reading the rows gives the same numbers in every web
process, with any number of workers, after any worker restart or recycle, with no shared metrics
directory to clean up. The price is a handful of aggregate queries per scrape (see
bench/metrics_scrape.py for its cost), and counters drop if retention deletes old rows (Prometheus
reads that as a counter reset, which `rate()` tolerates).

Durations are in seconds, Prometheus's base unit (`promtool check metrics` refuses names in
`_ms`). Labels are bounded: provider, teacher model, stage, difficulty, research mode, validator and
rule, status. Never a run id or a user.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import Count, F, FloatField, Min, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

# Seconds, the Prometheus base unit (`promtool check metrics` refuses `_ms` names). Teacher calls
# run from a few ms (demo) to minutes (a CPU-bound local model).
DURATION_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
FINISHED = ("succeeded", "failed", "cancelled")
BREAKER_VALUE = {"closed": 0, "half_open": 1, "open": 2}
RUN_LABELS = ("provider", "model", "difficulty", "research_mode")


def _histogram(name: str, documentation: str, labels: Sequence[str]) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, documentation, labels=list(labels))


def _add_sql_histogram(
    family: HistogramMetricFamily, queryset: QuerySet, labels: Sequence[str], field: str, *, scale: float
) -> None:
    """Bucket `field` (in seconds x `scale`) per label group in one query: no row reaches Python."""
    buckets = {
        f"le_{i}": Count("id", filter=Q(**{f"{field}__lte": bound * scale})) for i, bound in enumerate(DURATION_BUCKETS)
    }
    rows = queryset.values(*labels).annotate(total=Sum(field), n=Count("id"), **buckets).order_by(*labels)
    for row in rows:
        cumulative = [(str(bound), float(row[f"le_{i}"])) for i, bound in enumerate(DURATION_BUCKETS)]
        cumulative.append(("+Inf", float(row["n"])))
        family.add_metric([row[k] for k in labels], cumulative, float(row["total"] or 0) / scale)


def _add_histogram(family: HistogramMetricFamily, samples: dict[tuple[str, ...], list[float]]) -> None:
    for labels, values in sorted(samples.items()):
        buckets = [(str(bound), float(sum(1 for v in values if v <= bound))) for bound in DURATION_BUCKETS]
        buckets.append(("+Inf", float(len(values))))
        family.add_metric(list(labels), buckets, float(sum(values)))


class AlainCollector(Collector):
    """Collects every `alain_*` metric from the database in one pass."""

    def describe(self) -> Iterable[Metric]:
        # Names only: registering must not touch the database (it may not be migrated yet).
        return list(self._families().values())

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        families = self._families()
        self._teacher_calls(families)
        self._runs(families)
        self._stage_durations(families)
        self._validation(families)
        self._queue_and_providers(families)
        self._exports(families)
        families["alain_metrics_scrape_seconds"].add_metric([], time.perf_counter() - started)
        yield from families.values()

    @staticmethod
    def _families() -> dict[str, Metric]:
        teacher = ("provider", "model", "stage")
        families: list[Metric] = [
            CounterMetricFamily(
                "alain_teacher_calls",
                "Teacher calls by outcome (ok, salvaged, invalid_json, ...).",
                labels=[*teacher, "outcome"],
            ),
            _histogram(
                "alain_teacher_call_latency_seconds", "Latency of one teacher call, HTTP retries included.", teacher
            ),
            CounterMetricFamily(
                "alain_teacher_tokens",
                "Tokens the teacher reported, by kind (prompt, completion).",
                labels=[*teacher, "kind"],
            ),
            CounterMetricFamily(
                "alain_teacher_retries", "Teacher calls that were a retry of an invalid reply.", labels=list(teacher)
            ),
            CounterMetricFamily(
                "alain_teacher_http_retries",
                "HTTP attempts beyond the first (5xx, timeouts, 429).",
                labels=list(teacher),
            ),
            CounterMetricFamily(
                "alain_json_requests",
                "Requests for a structured reply by result: first_pass (valid as sent), after_repair "
                "(valid after a repair, salvage or retry), failed (no valid reply).",
                labels=[*teacher, "result"],
            ),
            CounterMetricFamily(
                "alain_section_generated",
                "Sections written by the teacher (valid replies).",
                labels=["provider", "model"],
            ),
            _histogram(
                "alain_outline_duration_seconds", "Time to a valid outline (the outline stage).", list(RUN_LABELS)
            ),
            _histogram(
                "alain_section_duration_seconds",
                "Teacher time to one valid section (all its attempts).",
                ["provider", "model"],
            ),
            _histogram("alain_stage_duration_seconds", "Duration of each completed pipeline stage.", ["stage"]),
            CounterMetricFamily(
                "alain_runs_finished", "Runs that ended, by final status.", labels=[*RUN_LABELS, "status"]
            ),
            GaugeMetricFamily("alain_runs", "Runs by current status.", labels=["status"]),
            CounterMetricFamily(
                "alain_demo_fallback_runs",
                "Runs written by the offline demo teacher (no provider configured or chosen).",
                labels=[],
            ),
            CounterMetricFamily(
                "alain_validation_failures",
                "Error findings of validations, by validator and rule.",
                labels=["validator", "rule"],
            ),
            CounterMetricFamily("alain_validations", "Notebook versions validated, by verdict.", labels=["result"]),
            GaugeMetricFamily("alain_queue_depth", "Runs waiting for a worker.", labels=[]),
            GaugeMetricFamily(
                "alain_queue_oldest_age_seconds", "Age of the oldest queued run (0 when none).", labels=[]
            ),
            GaugeMetricFamily(
                "alain_provider_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open.", labels=["provider"]
            ),
            GaugeMetricFamily("alain_provider_in_flight", "Live call slots held per provider.", labels=["provider"]),
            CounterMetricFamily("alain_exports", "Approved bundles exported, by channel.", labels=["via"]),
            GaugeMetricFamily(
                "alain_metrics_scrape_seconds", "Time this collector took to read the database.", labels=[]
            ),
        ]
        return {family.name: family for family in families}

    # --- teacher calls ------------------------------------------------------------------------

    def _teacher_calls(self, families: dict[str, Metric]) -> None:
        from generation.models import TeacherCall

        keys = ("provider", "model", "stage")
        outcomes = TeacherCall.objects.values(*keys, "outcome").annotate(n=Count("id")).order_by(*keys, "outcome")
        for row in outcomes:
            families["alain_teacher_calls"].add_metric([*(row[k] for k in keys), row["outcome"]], row["n"])
        groups = (
            TeacherCall.objects.values(*keys)
            .annotate(
                prompt=Sum("prompt_tokens"),
                completion=Sum("completion_tokens"),
                retries=Count("id", filter=Q(attempt__gt=1)),
                requests=Count("id", filter=Q(attempt=1)),
                valid=Count("id", filter=Q(schema_valid=True)),
                first_pass=Count("id", filter=Q(attempt=1, outcome="ok", json_repaired=False)),
            )
            .order_by(*keys)
        )
        for row in groups:
            labels = [row[k] for k in keys]
            families["alain_teacher_tokens"].add_metric([*labels, "prompt"], row["prompt"] or 0)
            families["alain_teacher_tokens"].add_metric([*labels, "completion"], row["completion"] or 0)
            families["alain_teacher_retries"].add_metric(labels, row["retries"])
            # Each request starts with an attempt 1 and ends with at most one valid reply.
            json_requests = families["alain_json_requests"]
            json_requests.add_metric([*labels, "first_pass"], row["first_pass"])
            json_requests.add_metric([*labels, "after_repair"], max(0, row["valid"] - row["first_pass"]))
            json_requests.add_metric([*labels, "failed"], max(0, row["requests"] - row["valid"]))
        _add_sql_histogram(
            families["alain_teacher_call_latency_seconds"], TeacherCall.objects.all(), keys, "latency_ms", scale=1000
        )
        # Only calls with more than one HTTP attempt (rare) are read one by one.
        http_retries: dict[tuple[str, ...], int] = defaultdict(int)
        retried = TeacherCall.objects.filter(http_attempts__1__isnull=False).values_list(*keys, "http_attempts")
        for provider, model, stage, attempts in retried.iterator(chunk_size=2000):
            http_retries[(provider, model, stage)] += max(0, len(attempts or []) - 1)
        for row in TeacherCall.objects.values(*keys).distinct().order_by(*keys):
            labels = tuple(row[k] for k in keys)
            families["alain_teacher_http_retries"].add_metric(list(labels), http_retries.get(labels, 0))
        sections = (
            TeacherCall.objects.filter(stage="section")
            .values("run_id", "section_index", "provider", "model")
            .annotate(total=Sum("latency_ms"), valid=Count("id", filter=Q(schema_valid=True)))
            .order_by()
        )
        generated: dict[tuple[str, ...], int] = defaultdict(int)
        section_seconds: dict[tuple[str, ...], list[float]] = defaultdict(list)
        for row in sections:
            labels = (row["provider"], row["model"])
            if row["valid"]:
                generated[labels] += row["valid"]
                section_seconds[labels].append((row["total"] or 0) / 1000)
        for labels, count in sorted(generated.items()):
            families["alain_section_generated"].add_metric(list(labels), count)
        _add_histogram(families["alain_section_duration_seconds"], section_seconds)

    # --- runs -----------------------------------------------------------------------------------

    def _runs(self, families: dict[str, Metric]) -> None:
        from generation.models import Run, RunEvent

        for row in Run.objects.values("status").annotate(n=Count("id")).order_by("status"):
            families["alain_runs"].add_metric([row["status"]], row["n"])
        finished = (
            RunEvent.objects.filter(kind__in=[f"status_{status}" for status in FINISHED])
            .values(
                "kind",
                provider=F("run__teacher_provider"),
                model=F("run__teacher_model"),
                difficulty=F("run__difficulty"),
                research_mode=F("run__research_mode"),
            )
            .annotate(n=Count("id"))
            .order_by("provider", "model", "difficulty", "research_mode", "kind")
        )
        for row in finished:
            status = row["kind"].removeprefix("status_")
            families["alain_runs_finished"].add_metric([*(row[k] for k in RUN_LABELS), status], row["n"])
        families["alain_demo_fallback_runs"].add_metric([], Run.objects.filter(teacher_provider="demo").count())

    def _stage_durations(self, families: dict[str, Metric]) -> None:
        from generation.models import RunEvent

        completed = RunEvent.objects.filter(kind="stage_completed").annotate(
            elapsed=Cast(KT("data__elapsed_ms"), FloatField())
        )
        completed = completed.filter(elapsed__isnull=False)
        _add_sql_histogram(families["alain_stage_duration_seconds"], completed, ("stage",), "elapsed", scale=1000)
        outline = completed.filter(stage="outline").annotate(
            provider=F("run__teacher_provider"),
            model=F("run__teacher_model"),
            difficulty=F("run__difficulty"),
            research_mode=F("run__research_mode"),
        )
        _add_sql_histogram(families["alain_outline_duration_seconds"], outline, RUN_LABELS, "elapsed", scale=1000)

    # --- validation, queue, providers, exports --------------------------------------------------

    def _validation(self, families: dict[str, Metric]) -> None:
        from generation.models import Finding, NotebookVersion

        errors = (
            Finding.objects.filter(severity="error")
            .values("validator", "code")
            .annotate(n=Count("id"))
            .order_by("validator", "code")
        )
        for row in errors:
            families["alain_validation_failures"].add_metric([row["validator"], row["code"]], row["n"])
        verdicts = NotebookVersion.objects.filter(validated=True).aggregate(
            n_passed=Count("id", filter=Q(passed=True)), n_failed=Count("id", filter=Q(passed=False))
        )
        for result in ("passed", "failed"):
            families["alain_validations"].add_metric([result], verdicts[f"n_{result}"])

    def _queue_and_providers(self, families: dict[str, Metric]) -> None:
        from generation.models import Run
        from providers.models import ProviderLease, ProviderState

        queued = Run.objects.filter(status="queued").aggregate(
            n=Count("id"), oldest=Min("enqueued_at"), oldest_created=Min("created_at")
        )
        families["alain_queue_depth"].add_metric([], queued["n"])
        oldest = queued["oldest"] or queued["oldest_created"]
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        families["alain_queue_oldest_age_seconds"].add_metric([], max(0.0, age))
        for provider, state in ProviderState.objects.values_list("provider", "state").order_by("provider"):
            families["alain_provider_breaker_state"].add_metric([provider], BREAKER_VALUE.get(state, 0))
        live = (
            ProviderLease.objects.filter(expires_at__gt=timezone.now())
            .values("provider")
            .annotate(n=Count("id"))
            .order_by("provider")
        )
        for row in live:
            families["alain_provider_in_flight"].add_metric([row["provider"]], row["n"])

    def _exports(self, families: dict[str, Metric]) -> None:
        from review.models import ExportRecord

        for row in ExportRecord.objects.values("via").annotate(n=Count("id")).order_by("via"):
            families["alain_exports"].add_metric([row["via"]], row["n"])


_registered: list[Any] = []


def register(registry: Any = None) -> AlainCollector:
    """Register the collector once per process (Django may call AppConfig.ready more than once)."""
    from prometheus_client import REGISTRY

    if _registered:
        return _registered[0]
    collector = AlainCollector()
    (registry or REGISTRY).register(collector)
    _registered.append(collector)
    return collector
