"""schemathesis against a live server, as two users (issue 7's acceptance).

Two authors in different teams, each with an API token and three runs (queued, failed,
succeeded), and the schemathesis CLI with `--checks all`, once as each of them (the other is
its peer for `object_level_authorization`, and our `another_users_run_is_not_found` replays
every request on a run the caller sees with the other user's token). The rate limit is off for
the server; outlines and sections come from the demo teacher (the "local" provider points at a
fake teacher on this machine: nothing leaves it), and a queued manual is never executed (there
is no cluster).

Asserted: no server error, no ignored-auth or object-level-authorization failure, that every
operation was tested and the seeded runs were reached, and, from the server's own log, that no
request made with one user's token succeeded on the other's runs. Every other check's failures
are printed (run with `-s`), with the request counts; they are API bugs to fix, not to suppress.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.api.contract.harness import (
    CUSTOM_CODE,
    Outcome,
    ServerLog,
    Settings,
    on_runs_of,
    run_schemathesis,
    schemathesis_executable,
    seed_peer,
    status_classes,
    write_inputs,
)

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.skipif(schemathesis_executable() is None, reason="schemathesis is not installed (dev extras)"),
    pytest.mark.timeout(900),
]


@pytest.fixture(autouse=True)
def _postgresql_suite_only(django_db_blocker) -> None:
    # Minutes of fuzzing: CI runs it once, in the PostgreSQL suite (`make test-postgres`); the
    # SQLite suite would repeat the same requests against the same code.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the schemathesis run is part of the PostgreSQL suite (make test-postgres)")


@pytest.fixture
def server_log(monkeypatch: pytest.MonkeyPatch) -> ServerLog:
    return ServerLog().install(monkeypatch)


@pytest.fixture
def api_server(transactional_db, live_server, settings, teacher_server, server_log: ServerLog):
    """The live server with the API's limits off and teachers that answer at once, offline."""
    settings.ALAIN = {
        **settings.ALAIN,
        "API_RATE_PER_MINUTE": 0,
        "DEFAULT_PROVIDER": "demo",
        "OPENAI_API_KEY": "",
        "POE_API_KEY": "",
        "LOCAL_BASE_URL": teacher_server.base_url,
        "HTTP_MAX_ATTEMPTS": 1,
        "HTTP_TIMEOUT_SECONDS": 10.0,
        "JSON_MAX_ATTEMPTS": 1,
        "PROVIDER_WAIT_SECONDS": 5.0,
        "HF_OFFLINE": True,
        "HF_ENDPOINT": "http://127.0.0.1:9",
    }
    return live_server


def contract_settings() -> Settings:
    """ALAIN_SCHEMATHESIS_EXAMPLES / _SEED try harder or elsewhere than CI does."""
    return Settings(
        max_examples=int(os.environ.get("ALAIN_SCHEMATHESIS_EXAMPLES", "") or Settings.max_examples),
        seed=int(os.environ.get("ALAIN_SCHEMATHESIS_SEED", "") or Settings.seed),
    )


def describe(outcome: Outcome) -> str:
    lines = [outcome.summary()]
    for group in outcome.report.get("failures") or []:
        lines.append(f"  {group.get('code')} {group.get('title')} x{group.get('count')} on {group.get('operations')}")
    for error in outcome.errors():
        lines.append(f"  error: {error}")
    return "\n".join(lines)


def test_schemathesis_as_two_users_finds_no_server_error_nor_authorization_hole(
    api_server, server_log: ServerLog, tmp_path
) -> None:
    alice = seed_peer("alice", "blue")
    bob = seed_peer("bob", "red")
    config = write_inputs(tmp_path / "st", api_server.url, [alice, bob], contract_settings())
    schema_url = f"{api_server.url}/api/openapi.json"

    outcomes = [
        run_schemathesis(
            config=config,
            schema_url=schema_url,
            user=peer.name,
            report_dir=tmp_path / f"report-{peer.name}",
            server=server_log,
        )
        for peer in (alice, bob)
    ]
    every_request = [request for outcome in outcomes for request in outcome.requests]
    print("\n" + "\n".join(describe(outcome) for outcome in outcomes))
    print(f"total: {len(every_request)} requests {status_classes(every_request)}")

    for outcome in outcomes:
        assert outcome.report.get("complete"), describe(outcome) + "\n" + outcome.output[-4000:]
        assert not outcome.errors(), describe(outcome) + "\n" + outcome.output[-4000:]
        # Every operation of the schema was tested.
        operations = outcome.report["operations"]
        assert operations["tested"] == operations["selected"] > 0, operations
    # Other checks' failures are API bugs to fix: shown, with how to reproduce them (pytest -s).
    for outcome in outcomes:
        if outcome.report.get("failures"):
            print(f"\n--- schemathesis as {outcome.user} ---\n{outcome.failure_details()}")
    server_errors = [served for served in every_request if served.status >= 500]
    assert not server_errors, server_errors[:20]
    for outcome in outcomes:
        assert not outcome.forbidden_failures(), describe(outcome) + "\n" + outcome.failure_details()

    for owner, other in ((alice, bob), (bob, alice)):
        # The run was not 404s and 401s only: the owner read and acted on each seeded run...
        own = [served for served in every_request if served.user == owner.name and on_runs_of(owner, served.path)]
        for run in owner.runs.values():
            assert any(run.tutorial_id in served.path or str(run.public_id) in served.path for served in own), run
        assert any(served.method == "GET" and served.status == 200 for served in own), own[:20]
        # ...and the other user, who asked for them too, never learnt they exist.
        probes = [served for served in every_request if served.user == other.name and on_runs_of(owner, served.path)]
        assert probes, f"{other.name} never asked for {owner.name}'s runs"
        revealing = [served for served in probes if served.status < 400 or served.status in (403, 409)]
        assert not revealing, revealing[:20]


def any_run_or_404(user: object, ref: str):
    """`visible_run_or_404` without its point: any user's run."""
    from django.shortcuts import get_object_or_404

    from generation.models import Run

    try:
        return get_object_or_404(Run, public_id=uuid.UUID(ref))
    except ValueError:
        return get_object_or_404(Run, tutorial_id=ref)


@pytest.mark.parametrize("hole", ["detail", "list"])
def test_the_contract_run_catches_runs_shown_to_another_user(
    hole: str, api_server, server_log: ServerLog, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same run, as alice only, against a server that forgets whose runs are whose, must fail.

    detail: GET /api/runs/{ref} and the actions on a run find any user's run (the list is right).
    list: GET /api/runs lists every user's runs (the rest is right).
    """
    from alain_site.api.routes import runs
    from generation.models import Run

    if hole == "detail":
        monkeypatch.setattr(runs, "visible_run_or_404", any_run_or_404)
    else:
        monkeypatch.setattr(runs, "visible_runs", lambda user: Run.objects.all())
    alice = seed_peer("alice", "blue")
    bob = seed_peer("bob", "red")
    config = write_inputs(tmp_path / "st", api_server.url, [alice, bob], Settings(max_examples=5))

    outcome = run_schemathesis(
        config=config,
        schema_url=f"{api_server.url}/api/openapi.json",
        user="alice",
        report_dir=tmp_path / "report",
        server=server_log,
        extra=("--include-path-regex", "^/api/(runs|generate/notebook)", "--phases", "coverage,fuzzing,stateful"),
    )
    print("\n" + describe(outcome))

    caught = {group["code"] for group in outcome.forbidden_failures()}
    details = outcome.failure_details()
    if hole == "detail":
        # Ours, from the seeded runs; schemathesis's own, from a run alice created and bob then read.
        assert {CUSTOM_CODE, "ST402"} <= caught, describe(outcome)
        assert "alice reached bob's run" in details, details
    else:
        assert CUSTOM_CODE in caught, describe(outcome)
        assert "names another user's runs" in details, details
