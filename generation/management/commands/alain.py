"""`python manage.py alain generate|retry|cancel|regenerate|validate|providers|watchdog|serve|report|purge|refresh`.

Exit codes: 0 success, 1 internal error, 2 usage error, 3 source error, 4 teacher error,
5 validation failure, 6 cancelled. Each failure prints one sentence on stderr. `refresh`: 0
nothing new, 10 a new version waits for approval, 1 a refresh failed (before 10), 2 usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generation.cli import (
    EXIT_CODES,
    ActionOutcome,
    GenerateRequest,
    Progress,
    build_report,
    cancel_run,
    generate_manual,
    list_providers,
    purge_expired,
    refresh_all,
    regenerate_section,
    retry_manual,
)
from generation.pipeline.research.snapshot import RESEARCH_MODES
from generation.queueing import watchdog
from generation.serve import serve
from generation.validate_file import finding_line, validate_file
from prompts import limits
from prompts.specs import DIFFICULTIES


class Command(BaseCommand):
    help = "Generate notebook manuals and inspect teacher providers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{generate,retry,cancel,regenerate,validate,providers,watchdog,serve,report,purge,refresh}",
        )
        generate = sub.add_parser("generate", help="Turn a model card into a validated notebook manual.")
        source = generate.add_mutually_exclusive_group(required=True)
        source.add_argument("--model", help="Subject model: a Hugging Face id or URL (org/name, org/name@rev, ...).")
        source.add_argument("--source", type=Path, help="A Markdown or text file with the model's documentation.")
        source.add_argument("--text", help="The documentation as text; '-' reads it from standard input.")
        generate.add_argument("--provider", help="Teacher provider key (see `alain providers`). Default: configured.")
        generate.add_argument("--teacherModel", dest="teacher_model", help="Model that writes the manual.")
        generate.add_argument("--baseUrl", dest="base_url", help="Base URL of an OpenAI-compatible teacher server.")
        generate.add_argument(
            "--apiKey", dest="api_key", help="Teacher API key (prefer the environment: it is visible in `ps`)."
        )
        generate.add_argument("--difficulty", choices=DIFFICULTIES, default="beginner")
        generate.add_argument(
            "--maxSections",
            dest="max_sections",
            type=int,
            default=limits.STEPS_DEFAULT,
            help=f"Steps in the manual ({limits.STEPS_MIN}-{limits.STEPS_MAX}).",
        )
        generate.add_argument("--language", default="en", help="ISO code of the manual's prose (default en).")
        generate.add_argument("--researchMode", dest="research_mode", choices=RESEARCH_MODES, default="standard")
        generate.add_argument("--outDir", dest="out_dir", type=Path, default=Path("out"), help="Default ./out")
        generate.add_argument("--no-execute", dest="execute", action="store_false", help="Skip execution validation.")
        generate.add_argument("--json", dest="as_json", action="store_true", help="Print a JSON summary on stdout.")
        generate.add_argument(
            "--queue", action="store_true", help="Queue the run for the workers (`manage.py qcluster`) and wait for it."
        )
        generate.add_argument(
            "--wait-timeout",
            dest="wait_timeout",
            type=float,
            help="With --queue: stop waiting after this many seconds.",
        )
        retry = sub.add_parser("retry", help="Run a failed run again from its failed stage, reusing the rest.")
        retry.add_argument("tutorial_id", help="The run's tutorial id (printed when it failed).")
        retry.add_argument("--apiKey", dest="api_key", help="Teacher API key (prefer the environment).")
        retry.add_argument("--outDir", dest="out_dir", type=Path, default=Path("out"), help="Default ./out")
        retry.add_argument("--json", dest="as_json", action="store_true", help="Print a JSON summary on stdout.")
        retry.add_argument("--queue", action="store_true", help="Queue the retry for the workers and wait for it.")
        cancel = sub.add_parser("cancel", help="Cancel a queued or running run.")
        cancel.add_argument("tutorial_id")
        regenerate = sub.add_parser("regenerate", help="Write one step of a finished run again (a new version).")
        regenerate.add_argument("tutorial_id")
        regenerate.add_argument("--step", type=int, required=True, help="The step to write again (1-based).")
        regenerate.add_argument("--instruction", default="", help="What the teacher should change in that step.")
        sub.add_parser("watchdog", help="Hand back or end runs that no worker is working on (also scheduled).")
        serve = sub.add_parser("serve", help="Start the web process and a qcluster together; Ctrl-C stops both.")
        serve.add_argument("--addr", default="127.0.0.1:8000", help="Where the web process listens.")
        serve.add_argument("--sample", type=Path, help="Queue a manual for this card once both are up.")
        serve.add_argument("--outDir", dest="out_dir", type=Path, default=Path("out"), help="Default ./out")
        serve.add_argument("--no-execute", dest="execute", action="store_false", help="Skip execution validation.")
        serve.add_argument("--once", action="store_true", help="Stop both once the sample manual is done.")
        validate = sub.add_parser("validate", help="Validate any notebook (exit 0 passed, 5 failed, 3 unreadable).")
        validate.add_argument("notebook", type=Path, help="The .ipynb file to check.")
        validate.add_argument("--execute", action="store_true", help="Also run it in the sandboxed kernel.")
        validate.add_argument("--fix", action="store_true", help="Apply the deterministic fixes to a copy first.")
        validate.add_argument("--out", type=Path, help="Where --fix writes the fixed copy (default NAME.fixed.ipynb).")
        validate.add_argument("--report", type=Path, help="Also write the validation.md report there.")
        validate.add_argument("--json", dest="as_json", action="store_true", help="Print the report as JSON.")
        providers = sub.add_parser("providers", help="List the teacher providers and probe each one.")
        providers.add_argument("--no-probe", dest="probe", action="store_false", help="Do not contact the servers.")
        providers.add_argument("--json", dest="as_json", action="store_true")
        report = sub.add_parser("report", help="The funnel and the diversity scorecard of every run in a window.")
        report.add_argument(
            "--since", default="30d", help="Runs created in the last 7d, 30d, 12h, 2w... (default 30d)."
        )
        report.add_argument("--json", dest="as_json", action="store_true", help="Print the reports as JSON.")
        purge = sub.add_parser(
            "purge",
            help="Delete the files of unapproved, superseded versions and the teacher-call payloads of old "
            "failed runs, past the retention window; approved, exported and latest versions are kept.",
        )
        purge.add_argument("--dry-run", dest="dry_run", action="store_true", help="List what would go; delete nothing.")
        purge.add_argument(
            "--older-than",
            dest="older_than",
            help="Purge what is older than this: 30d, 12h, 2w. Default: ALAIN_RETENTION_DAYS (30; 0 turns it off).",
        )
        purge.add_argument("--json", dest="as_json", action="store_true", help="Print what went as JSON.")
        refresh = sub.add_parser(
            "refresh",
            help="Research every manual again; rebuild those whose card changed and file them for review "
            "(exit 10: a version waits for approval).",
        )
        refresh.add_argument(
            "--approved-only", dest="approved_only", action="store_true", help="Only manuals with a live approval."
        )
        refresh.add_argument(
            "--since", help="Only manuals whose latest version is newer: 7d, 12h, 2w, or a date (2025-06-30)."
        )
        refresh.add_argument(
            "--force", action="store_true", help="Rebuild even when the card did not change (text sources too)."
        )
        refresh.add_argument("--json", dest="as_json", action="store_true", help="Print the refresh records as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "providers":
            self._providers(options)
        elif action == "validate":
            self._validate(options)
        elif action == "retry":
            progress = Progress(stream=self.stderr._out)
            outcome = retry_manual(
                options["tutorial_id"],
                out_dir=options["out_dir"],
                api_key=options["api_key"],
                progress=progress,
                queue=options["queue"],
            )
            progress.close()
            self._finish(outcome, as_json=options["as_json"])
        elif action == "cancel":
            self._done(cancel_run(options["tutorial_id"]))
        elif action == "regenerate":
            self._done(
                regenerate_section(options["tutorial_id"], step=options["step"], instruction=options["instruction"])
            )
        elif action == "report":
            self._report(options)
        elif action == "purge":
            self._purge(options)
        elif action == "refresh":
            self._refresh(options)
        elif action == "watchdog":
            self.stderr.write(watchdog().summary)
        elif action == "serve":
            code = serve(
                addr=options["addr"],
                sample=options["sample"],
                out_dir=options["out_dir"],
                execute=options["execute"],
                once=options["once"],
                out=self.stdout._out,
            )
            if code:
                raise CommandError("ALAIN stopped with an error (see above).", returncode=code)
        else:
            self._generate(options)

    def _done(self, outcome: ActionOutcome) -> None:
        if outcome.exit_code:
            raise CommandError(outcome.message, returncode=outcome.exit_code)
        self.stderr.write(outcome.message)

    def _report(self, options: dict[str, Any]) -> None:
        outcome = build_report(options["since"])
        if outcome.exit_code:
            raise CommandError(outcome.message, returncode=outcome.exit_code)
        self.stdout.write(json.dumps(outcome.data, indent=2) if options["as_json"] else outcome.text)
        self.stderr.write(outcome.message)

    def _purge(self, options: dict[str, Any]) -> None:
        outcome = purge_expired(older_than=options["older_than"], dry_run=options["dry_run"])
        if outcome.data is not None:
            text = json.dumps(outcome.data, indent=2) if options["as_json"] else outcome.text
            if text:
                self.stdout.write(text)
        if outcome.exit_code:
            raise CommandError(outcome.message, returncode=outcome.exit_code)
        self.stderr.write(outcome.message)

    def _refresh(self, options: dict[str, Any]) -> None:
        progress = Progress(stream=self.stderr._out)
        outcome = refresh_all(
            approved_only=options["approved_only"], since=options["since"], force=options["force"], progress=progress
        )
        progress.close()
        if outcome.data is not None:
            text = json.dumps(outcome.data, indent=2) if options["as_json"] else outcome.text
            if text:
                self.stdout.write(text)
        if outcome.exit_code:
            raise CommandError(outcome.message, returncode=outcome.exit_code)
        self.stderr.write(outcome.message)

    def _validate(self, options: dict[str, Any]) -> None:
        outcome = validate_file(options["notebook"], execute=options["execute"], fix=options["fix"], out=options["out"])
        if options["as_json"]:
            self.stdout.write(json.dumps(outcome.as_dict(), indent=2))
        elif outcome.report is not None:
            for finding in outcome.report.findings:
                self.stdout.write(finding_line(finding))
        if options["report"] and outcome.markdown:
            options["report"].write_text(outcome.markdown, encoding="utf-8")
        if outcome.exit_code != 0:
            raise CommandError(outcome.message, returncode=outcome.exit_code)
        self.stderr.write(outcome.message)

    def _providers(self, options: dict[str, Any]) -> None:
        entries = list_providers(probe=options["probe"])
        if options["as_json"]:
            self.stdout.write(json.dumps(entries, indent=2))
            return
        for entry in entries:
            state = "configured" if entry["configured"] else "not configured"
            probe = entry.get("probe")
            health = "" if probe is None else (" ok" if probe["ok"] else " unreachable") + f" ({probe['message']})"
            self.stdout.write(f"{entry['key']:<8} {entry['label']}: {state}; model {entry['default_model']}{health}")
            if entry.get("base_url"):
                self.stdout.write(f"         base URL {entry['base_url']}")

    def _generate(self, options: dict[str, Any]) -> None:
        text = options["text"]
        if text == "-":
            text = sys.stdin.read()
        request = GenerateRequest(
            model=options["model"],
            source_file=options["source"],
            text=text,
            provider=options["provider"],
            teacher_model=options["teacher_model"],
            base_url=options["base_url"],
            api_key=options["api_key"],
            difficulty=options["difficulty"],
            max_sections=options["max_sections"],
            language=options["language"],
            research_mode=options["research_mode"],
            out_dir=options["out_dir"],
            execute=options["execute"],
            queue=options["queue"],
            wait_timeout=options["wait_timeout"],
        )
        progress = Progress(stream=self.stderr._out)
        outcome = generate_manual(request, progress=progress)
        progress.close()
        self._finish(outcome, as_json=options["as_json"])

    def _finish(self, outcome: Any, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(outcome.as_dict(), indent=2))
        elif outcome.folder is not None:
            self.stdout.write(str(outcome.folder))
        if outcome.exit_code != EXIT_CODES["ok"]:
            raise CommandError(outcome.message, returncode=outcome.exit_code)
        self.stderr.write(outcome.message)
