"""What one /metrics scrape costs as the database grows (the alain_* collector reads it).

    .venv/bin/python bench/metrics_scrape.py [--runs 200 1000 5000] [--database-url postgres://...]

Seeds finished runs (8 teacher calls, 12 events, 3 findings each) into a throwaway database
(SQLite in a temp folder by default; with --database-url, a database named alain_bench_metrics
that is created and dropped) and prints the collector's time per scrape.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="*", default=[200, 1000, 5000])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--scrapes", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="alain-bench-metrics-"))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url.rsplit("/", 1)[0] + "/alain_bench_metrics"
        _recreate_postgres(args.database_url)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["ALAIN_MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alain_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from prometheus_client import generate_latest
    from prometheus_client.registry import CollectorRegistry

    from alain_site.observability.metrics import AlainCollector

    registry = CollectorRegistry()
    registry.register(AlainCollector())
    seeded = 0
    print(f"{'runs':>6} {'teacher calls':>13} {'ms per scrape (median)':>24} {'bytes':>8}")
    for target in sorted(args.runs):
        _seed(seeded, target)
        seeded = target
        timings = []
        for _ in range(args.scrapes):
            started = time.perf_counter()
            text = generate_latest(registry)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        from generation.models import TeacherCall

        print(f"{target:>6} {TeacherCall.objects.count():>13} {timings[len(timings) // 2]:>24.1f} {len(text):>8}")
    return 0


def _recreate_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS alain_bench_metrics")
        conn.execute("CREATE DATABASE alain_bench_metrics")


def _seed(start: int, stop: int) -> None:
    from django.utils import timezone

    from generation.models import Finding, NotebookVersion, Run, RunEvent, TeacherCall

    providers = [("local", "teacher"), ("openai", "gpt-4o-mini"), ("poe", "gpt-oss-120b")]
    stages = ["research", "outline", "sections", "assembly", "validation", "execution", "autofix", "publish"]
    for n in range(start, stop):
        provider, model = providers[n % len(providers)]
        run = Run.objects.create(
            tutorial_id=f"bench-{n}",
            source_kind="hf",
            source_ref=f"org{n % 50}/model-{n}",
            teacher_provider=provider,
            teacher_model=model,
            status="succeeded" if n % 10 else "failed",
            finished_at=timezone.now(),
        )
        calls = [
            TeacherCall(
                run=run,
                stage="outline" if i == 0 else ("wrapup" if i == 7 else "section"),
                section_index=None if i in (0, 7) else i - 1,
                attempt=1 + (i % 3 == 2),
                provider=provider,
                model=model,
                outcome="ok" if i % 4 else "schema_invalid",
                schema_valid=bool(i % 4),
                latency_ms=500 + 137 * i,
                prompt_tokens=900,
                completion_tokens=300,
                http_attempts=[{"outcome": "ok"}],
            )
            for i in range(8)
        ]
        TeacherCall.objects.bulk_create(calls)
        events = [
            RunEvent(run=run, kind="stage_completed", stage=s, message="", data={"elapsed_ms": 40 + 10 * i})
            for i, s in enumerate(stages)
        ]
        events += [
            RunEvent(run=run, kind=k, message="") for k in ("created", "status_running", "status_" + run.status, "note")
        ]
        RunEvent.objects.bulk_create(events)
        version = NotebookVersion.objects.create(
            run=run, number=1, ipynb="{}", sha256="0" * 64, validated=True, passed=n % 10 != 0
        )
        Finding.objects.bulk_create(
            Finding(
                version=version,
                validator="contract",
                code=f"rule-{i}",
                severity="error" if i == 0 else "warning",
                message="",
            )
            for i in range(3)
        )


if __name__ == "__main__":
    raise SystemExit(main())
