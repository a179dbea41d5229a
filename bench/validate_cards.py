"""Generate a manual for every card in ../shared/cards with a teacher, validate it with
execution, and print the pass count, findings by rule and seconds per validator.

    .venv/bin/python bench/validate_cards.py [--provider demo] [--baseUrl URL] [--teacherModel M]
        [--cards DIR] [--maxSections N] [--only CARD ...] [--retries N]

A run that stops before it has a notebook (say, a small teacher failing the outline) is retried
up to --retries times from its failed stage, as a person would with `alain retry`.

Runs against a throwaway SQLite database and media folder, never the project's own.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# ALAIN's packages, imported whole before the first card: the benchmark runs for an hour from a
# live checkout, and a module imported lazily later (the validators are) would come from code
# edited meanwhile. On 2026-12-03 that ended five runs with an ImportError in validation.
PACKAGES = ("alain_site", "generation", "prompts", "providers", "review")


def import_everything() -> None:
    import importlib
    import pkgutil

    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            # Not the WSGI/ASGI entry points: importing them builds a whole web application.
            if ".migrations" in module.name or module.name.endswith((".wsgi", ".asgi")):
                continue
            importlib.import_module(module.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default="demo")
    parser.add_argument("--baseUrl", default="")
    parser.add_argument("--teacherModel", default="")
    parser.add_argument("--cards", type=Path, default=ROOT.parent / "shared" / "cards")
    parser.add_argument("--maxSections", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[], help="Card folder names to run (default: all).")
    parser.add_argument("--retries", type=int, default=0, help="Retries of a run that ended without a notebook.")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="alain-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["ALAIN_MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alain_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import_everything()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import nbformat

    from generation.cli import GenerateRequest, Progress, generate_manual, retry_manual
    from generation.models import Finding, NotebookVersion, TeacherCall
    from generation.reports import call_metrics
    from prompts.content_rules import python_parse_error

    cards = sorted(p for p in args.cards.iterdir() if (p / "README.md").is_file())
    if args.only:
        cards = [card for card in cards if card.name in args.only]
    rules: collections.Counter[str] = collections.Counter()
    durations: dict[str, list[float]] = collections.defaultdict(list)
    rows = []
    quiet = Progress(stream=io.StringIO())
    for card in cards:
        # The code may gain migrations while a long benchmark runs (its checkout is live).
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        outcome = generate_manual(
            GenerateRequest(
                source_file=card / "README.md",
                provider=args.provider,
                base_url=args.baseUrl or None,
                teacher_model=args.teacherModel or None,
                max_sections=args.maxSections,
                out_dir=scratch / "out",
            ),
            progress=quiet,
        )
        retries = 0
        while outcome.run is not None and not outcome.run.versions.exists() and retries < args.retries:
            retries += 1
            print(f"{card.name}: retry {retries} after: {outcome.message}", flush=True)
            outcome = retry_manual(outcome.run.tutorial_id, out_dir=scratch / "out", progress=quiet)
        seconds = time.perf_counter() - started
        run = outcome.run
        version = NotebookVersion.objects.filter(run=run).order_by("-number").first() if run else None
        if version is not None:
            for finding in Finding.objects.filter(version=version):
                rules[f"{finding.severity} {finding.validator}/{finding.code}"] += 1
            for name, ms in version.validation_summary.get("durations_ms", {}).items():
                durations[name].append(ms / 1000)
        calls = call_metrics(list(TeacherCall.objects.filter(run=run))) if run else {}
        parse_ok = None
        if version is not None:
            cells = [c for c in nbformat.reads(version.ipynb, as_version=4).cells if c.cell_type == "code"]
            parse_ok = f"{sum(1 for c in cells if python_parse_error(c.source) is None)}/{len(cells)}"
        timings = {stage: ms / 1000 for stage, ms in (run.stage_timings if run else {}).items()}
        rows.append(
            (card.name, outcome.exit_code, version.number if version else 0, seconds, outcome.message, calls, parse_ok)
        )
        if retries:
            print(f"{card.name}: {retries} retries", flush=True)
        stages = " ".join(f"{stage}={value:.1f}s" for stage, value in timings.items())
        print(f"{card.name}: exit {outcome.exit_code} in {seconds:.0f} s; {stages}", flush=True)

    print(
        f"\n{'card':<34} {'exit':>4} {'ver':>3} {'seconds':>8} {'calls':>5} {'1st':>5} {'final':>5} {'salv':>4} {'parse':>6}"
    )
    for name, code, number, seconds, _, calls, parse_ok in rows:
        print(
            f"{name:<34} {code:>4} {number:>3} {seconds:>8.1f} {calls.get('calls', 0):>5} "
            f"{calls.get('json_first_pass_rate') or 0:>5.2f} {calls.get('json_final_rate') or 0:>5.2f} "
            f"{calls.get('salvaged', 0):>4} {parse_ok or '-':>6}"
        )
    passed = sum(1 for row in rows if row[1] == 0)
    print(f"\npassed {passed}/{len(rows)}")
    print("\nfindings by rule (latest version of each manual):")
    for rule, count in sorted(rules.items()):
        print(f"  {count:>3}  {rule}")
    print("\nseconds per validator (mean over manuals):")
    for name, values in sorted(durations.items()):
        print(f"  {name:<14} {sum(values) / len(values):8.3f}")
    for name, code, _, _, message, _, _ in rows:
        if code != 0:
            print(f"\n{name}: {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
