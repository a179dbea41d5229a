"""ALAIN's quick benchmarks, side by side in one table: does a run go at the speed of its teacher?

    .venv/bin/python bench/run_benchmarks.py [--smoke] [--check] [--only PART ...]
        [--database-url postgres://...] [--markdown]

Parts: critical-path, overhead, execution, throughput, noisy, api (see each module in bench/).
Everything runs against a throwaway database (`alain_bench_<pid>` on the PostgreSQL server of
--database-url, dropped at the end; SQLite in a temp folder when that server is not reachable,
and then the cluster part is skipped) and stops every process it starts.

Times are printed, never asserted, except with --check (exit 1 when any goal is missed: a goal
mode for a quiet machine). In every mode the exit code is 1 when a part raises (it is reported
in the table) or a goal that is not a time is missed: a run did not complete, the provider cap
was exceeded, the manual did not execute, a request was not answered 200.
--smoke runs tiny sizes (2 runs, 0.05 s per teacher call, 5 runs through the cluster): CI's
check that the harness works.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import DEFAULT_DATABASE_URL, Figure, Mode, PartResult, create_database, log, setup_django  # noqa: E402

PART_NAMES = ("critical-path", "overhead", "execution", "throughput", "noisy", "api")


def part_runner(name: str) -> Callable[[Mode], PartResult]:
    # Imported late: the parts import Django models, which need django.setup() first.
    from bench import api_latency, critical_path, execution, noisy, overhead, throughput

    return {
        "critical-path": critical_path.run,
        "overhead": overhead.run,
        "execution": execution.run,
        "throughput": throughput.run,
        "noisy": noisy.run,
        "api": api_latency.run,
    }[name]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="Tiny sizes; checks the harness, never times.")
    parser.add_argument("--check", action="store_true", help="Exit 1 when any goal is missed.")
    parser.add_argument("--only", nargs="+", choices=PART_NAMES, default=list(PART_NAMES), metavar="PART")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="A PostgreSQL server ('' for SQLite).")
    parser.add_argument("--markdown", action="store_true", help="Print the table in Markdown.")
    args = parser.parse_args()
    mode = Mode(smoke=args.smoke)

    began = time.perf_counter()
    db = create_database(args.database_url or None)
    results: list[PartResult] = []
    try:
        setup_django(db)
        log(f"database: {db.vendor} ({'smoke' if mode.smoke else 'full'} mode)")
        for name in PART_NAMES:
            if name not in args.only:
                continue
            log(f"{name}: starting")
            started = time.perf_counter()
            try:
                result = part_runner(name)(mode)
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                result = PartResult(name, error=f"{type(exc).__name__}: {exc}")
            result.seconds = time.perf_counter() - started
            log(f"{name}: done in {result.seconds:.1f} s")
            results.append(result)
    finally:
        db.drop()
    total = time.perf_counter() - began

    print_table(results, markdown=args.markdown)
    for result in results:
        for line in result.details:
            print(line)
    print(f"\n{len(results)} part(s) in {total:.0f} s ({'smoke' if mode.smoke else 'full'} mode, {db.vendor})")
    return exit_code(results, check=args.check)


def rows_of(results: list[PartResult]) -> list[Figure]:
    rows = []
    for result in results:
        if result.error:
            rows.append(Figure(result.name, "the part failed", result.error[:200], goal="runs", met=False, timed=False))
        rows += result.figures
    return rows


def print_table(results: list[PartResult], *, markdown: bool) -> None:
    rows = rows_of(results)
    header = ("part", "measure", "figure", "goal", "met")
    cells = [(f.part, f.measure, f.value, f.goal, f.verdict) for f in rows]
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(" --- " for _ in header) + "|")
        for row in cells:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return
    widths = [max(len(header[i]), *(len(row[i]) for row in cells)) if cells else len(header[i]) for i in range(5)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in cells:
        print(line.format(*row))


def exit_code(results: list[PartResult], *, check: bool) -> int:
    missed = [f for f in rows_of(results) if f.met is False and (check or not f.timed)]
    for figure in missed:
        print(f"missed: {figure.part}: {figure.measure}: {figure.value} (goal {figure.goal})", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
