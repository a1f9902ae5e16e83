"""Bench subprocess: migrate and fill the bench database, or log the bench user in.

    python -m bench.build dataset --scale 1 --seed 42   → JSON with the row counts
    python -m bench.build migrate                        → brings a kept dataset up to the schema, ANALYZE
    python -m bench.build session                        → JSON with a session cookie
    python -m bench.build queries --seed 42 --count 200  → JSON with the timed queries

DATABASE_URL must point at the bench database (bench.run sets it); never the demo database.
"""

import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["dataset", "migrate", "session", "queries"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args(argv)

    import django

    django.setup()
    if args.what == "dataset":
        from django.core.management import call_command

        from bench.data import build

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        counts = build(scale=args.scale, seed=args.seed, log=lambda line: print(line, file=sys.stderr))
        counts["build_seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(counts))
    elif args.what == "migrate":
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        # Fresh planner statistics after a bulk load, as a production database would have.
        # VACUUM on PostgreSQL also sets the visibility map that index-only scans need.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(json.dumps({"migrated": True, "analyzed": True}))
    elif args.what == "session":
        print(json.dumps(session_cookie()))
    else:
        print(json.dumps(timed_queries(args.seed, args.count)))


def session_cookie():
    from django.conf import settings
    from django.test import Client

    from bench.data import BENCH_USERNAME
    from tsunagu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=BENCH_USERNAME))
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def timed_queries(seed, count):
    """Query strings for the three scopes, drawn reproducibly: 3 needs, a patient's municipality."""
    from bench.data import QUERY_NEEDS
    from tsunagu.network.models import Municipality

    rng = random.Random(seed)
    origins = list(
        Municipality.objects.filter(area__isnull=False, facilities__isnull=False)
        .distinct()
        .order_by("code")
        .values_list("code", "area__code", "pref_code")
    )
    queries = []
    for _ in range(count):
        code, area, pref = rng.choice(origins)
        needs = ",".join(rng.sample(QUERY_NEEDS, 3))
        common = f"needs={needs}&origin={code}&limit=50"
        queries.append(
            {
                "area": f"/api/v1/search?{common}&area={area}",
                "prefecture": f"/api/v1/search?{common}&pref={pref}",
                "nationwide": f"/api/v1/search?{common}&nationwide=true",
            }
        )
    return queries


if __name__ == "__main__":
    main()
