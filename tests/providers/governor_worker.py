"""A worker process for the cross-process governor tests (run with `python -m`).

    loop: wait until --start-at (a wall-clock time, so all workers start together), then
          --iterations times: acquire, print {"start": t, "end": t}, hold --hold seconds, release.
    hold: acquire once, print {"acquired": lease_pk}, then sleep until killed.

The database comes from DATABASE_URL, which the test points at its test database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["loop", "hold"])
    parser.add_argument("--provider", required=True)
    parser.add_argument("--cap", type=int, required=True)
    parser.add_argument("--ttl", type=float, default=30.0)
    parser.add_argument("--wait", type=float, default=60.0)
    parser.add_argument("--iterations", type=int, default=8)
    parser.add_argument("--hold", type=float, default=0.05)
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alain_site.settings")
    import django

    django.setup()
    from providers.governor import ProviderGovernor, ProviderPolicy

    policy = ProviderPolicy(
        provider=args.provider,
        max_concurrency=args.cap,
        requests_per_minute=None,
        lease_ttl_seconds=args.ttl,
        wait_seconds=args.wait,
    )
    governor = ProviderGovernor(policy)

    if args.mode == "hold":
        lease = governor.acquire()
        print(json.dumps({"acquired": lease.pk}), flush=True)
        while True:
            time.sleep(60)

    time.sleep(max(0.0, args.start_at - time.time()))
    for _ in range(args.iterations):
        lease = governor.acquire()
        start = time.time()
        time.sleep(args.hold)
        end = time.time()
        print(json.dumps({"start": start, "end": end}), flush=True)
        governor.release(lease, outcome="ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
