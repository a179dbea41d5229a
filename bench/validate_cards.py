"""Generate a manual for every card in ../shared/cards with a teacher, validate it with
execution, and print the pass count, findings by rule and seconds per validator.

    .venv/bin/python bench/validate_cards.py [--provider demo] [--baseUrl URL] [--teacherModel M]
        [--cards DIR] [--maxSections N]

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default="demo")
    parser.add_argument("--baseUrl", default="")
    parser.add_argument("--teacherModel", default="")
    parser.add_argument("--cards", type=Path, default=ROOT.parent / "shared" / "cards")
    parser.add_argument("--maxSections", type=int, default=5)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="alain-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["ALAIN_MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alain_site.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from generation.cli import GenerateRequest, Progress, generate_manual
    from generation.models import Finding, NotebookVersion

    cards = sorted(p for p in args.cards.iterdir() if (p / "README.md").is_file())
    rules: collections.Counter[str] = collections.Counter()
    durations: dict[str, list[float]] = collections.defaultdict(list)
    rows = []
    quiet = Progress(stream=io.StringIO())
    for card in cards:
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
        seconds = time.perf_counter() - started
        run = outcome.run
        version = NotebookVersion.objects.filter(run=run).order_by("-number").first() if run else None
        if version is not None:
            for finding in Finding.objects.filter(version=version):
                rules[f"{finding.severity} {finding.validator}/{finding.code}"] += 1
            for name, ms in version.validation_summary.get("durations_ms", {}).items():
                durations[name].append(ms / 1000)
        rows.append((card.name, outcome.exit_code, version.number if version else 0, seconds, outcome.message))

    print(f"{'card':<40} {'exit':>4} {'ver':>3} {'seconds':>8}")
    for name, code, number, seconds, _ in rows:
        print(f"{name:<40} {code:>4} {number:>3} {seconds:>8.1f}")
    passed = sum(1 for row in rows if row[1] == 0)
    print(f"\npassed {passed}/{len(rows)}")
    print("\nfindings by rule (latest version of each manual):")
    for rule, count in sorted(rules.items()):
        print(f"  {count:>3}  {rule}")
    print("\nseconds per validator (mean over manuals):")
    for name, values in sorted(durations.items()):
        print(f"  {name:<14} {sum(values) / len(values):8.3f}")
    for name, code, _, _, message in rows:
        if code != 0:
            print(f"\n{name}: {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
