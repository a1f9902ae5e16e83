"""Faults: the database is cut during a burst of answers; a worker is killed mid-batch.

1. On PostgreSQL, a live server takes a burst of answers (POST /api/v1/referrals/<id>/transition)
   from several threads while another thread cuts every database connection of the service
   (pg_terminate_backend) again and again. Every answer that was acknowledged (200) is stored
   with its event; nothing is half-written; afterwards the same server answers again without
   a restart.
   Each stored answer has exactly one audit row, committed with it.
2. A worker (manage.py run_worker, a real process) is killed with SIGKILL in the middle of an
   expiry batch: every referral is either expired with its event or untouched — never one
   without the other.
"""

import http.client
import json
import logging
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, LiveServerTestCase

from tests.base import make_facility, make_municipality, make_unit, make_user
from tests.referral_factories import make_case
from tsunagu.audit.models import AuditEvent
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral, ReferralEvent

ROOT = Path(__file__).resolve().parent.parent
S = Referral.Status
BURST = 120
THREADS = 6


def answer(host, port, session, csrf, public_id):
    """One declined answer through the API; returns the HTTP status (0 when the connection failed)."""
    body = json.dumps({"to": "declined", "decline_reason": "full"})
    try:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request(
            "POST",
            f"/api/v1/referrals/{public_id}/transition",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": csrf,
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
            },
        )
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return 0


@pytest.mark.postgres
class DatabaseCutDuringAnswersTests(LiveServerTestCase):
    serialized_rollback = True  # keeps the catalogue loaded by the data migrations

    def setUp(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL (pg_terminate_backend cuts the service's connections)")
        municipality = make_municipality()
        hospital = make_facility("平塚中央病院", kind_code="acute", municipality=municipality)
        home = make_facility("特養あおば", kind_code="tokuyo", municipality=municipality)
        unit = make_unit(home, name="本体", capabilities=["peg"], free_now=3)
        msw = make_user(hospital, username="msw")
        self.nurse = make_user(home, username="carehome")
        self.referrals = []
        for _ in range(BURST):
            case = make_case(hospital, by=msw, needs=["peg"])
            batch = services.send_request(case, [unit], by=msw)
            referral = batch.referrals.select_related("case", "unit", "receiver").get()
            services.transition(referral, S.VIEWED, by=self.nurse)
            self.referrals.append(referral)
        client = Client()
        client.force_login(self.nurse)
        self.session = client.cookies["sessionid"].value
        self.csrf = "k" * 32  # an unmasked CSRF secret, sent as cookie and header
        self.host, self.port = self.server_thread.host, self.server_thread.port

    def cut(self, stop, cuts):
        import psycopg

        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            dbname="postgres",
            autocommit=True,
        ) as admin:
            # Only the connections the burst opens are cut: those that existed before it (this
            # test's own, and any a session-wide live server of other tests holds) are left alone.
            before = [
                pid
                for (pid,) in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [settings["NAME"]]
                ).fetchall()
            ]
            while not stop.is_set():
                killed = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() AND NOT (pid = ANY(%s))",
                    [settings["NAME"], before],
                ).fetchone()[0]
                cuts.append(killed)
                time.sleep(0.4)

    def burst(self, referrals):
        jobs, results = queue.Queue(), []
        for referral in referrals:
            jobs.put(referral)

        def work():
            while True:
                try:
                    referral = jobs.get_nowait()
                except queue.Empty:
                    return
                results.append(
                    (referral.pk, answer(self.host, self.port, self.session, self.csrf, referral.public_id))
                )

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return results

    def test_every_acknowledged_answer_is_stored_and_the_service_recovers(self):
        stop, cuts = threading.Event(), []
        cutter = threading.Thread(target=self.cut, args=(stop, cuts))
        # The requests that lose their connection log a 500 each; expected here, so kept quiet.
        request_log = logging.getLogger("django.request")
        level = request_log.level
        request_log.setLevel(logging.CRITICAL)
        cutter.start()
        try:
            results = self.burst(self.referrals)
        finally:
            stop.set()
            cutter.join()
            request_log.setLevel(level)

        acknowledged = {pk for pk, status in results if status == 200}
        self.assertEqual(len(results), BURST)
        self.assertGreater(sum(cuts), 0, "the database was never cut")
        self.assertTrue(acknowledged, results)
        for referral in Referral.objects.filter(pk__in=[r.pk for r in self.referrals]):
            events = list(ReferralEvent.objects.filter(referral=referral).values_list("to_status", flat=True))
            if referral.pk in acknowledged:
                self.assertEqual(referral.status, S.DECLINED)
            # Whatever happened to the request: status and events agree, nothing half-written.
            self.assertIn(referral.status, {S.VIEWED, S.DECLINED})
            self.assertEqual(events[-1], referral.status)
            self.assertEqual(events.count(S.DECLINED), 1 if referral.status == S.DECLINED else 0)
            # The audit row commits with the answer: one for each stored answer, none for the others.
            recorded = AuditEvent.objects.filter(
                action=AuditEvent.Action.TRANSITION, object_ref=str(referral.public_id)
            ).count()
            self.assertEqual(recorded, 1 if referral.status == S.DECLINED else 0)

        # The same server, not restarted, answers the rest.
        rest = list(Referral.objects.filter(pk__in=[r.pk for r in self.referrals], status=S.VIEWED))
        statuses = [status for _, status in self.burst(rest)]
        self.assertEqual(statuses, [200] * len(rest))
        self.assertEqual(
            Referral.objects.filter(pk__in=[r.pk for r in self.referrals]).exclude(status=S.DECLINED).count(),
            0,
        )
        print(
            f"\n{BURST} answers under {len(cuts)} cuts ({sum(cuts)} connections ended): "
            f"{len(acknowledged)} acknowledged, {BURST - len(acknowledged)} failed and answered again"
        )


# --- the worker ----------------------------------------------------------------------------

MAKE_OVERDUE = """
from datetime import timedelta
from django.utils import timezone
from tests.base import make_facility, make_municipality, make_unit, make_user
from tests.referral_factories import make_case
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral
muni = make_municipality()
hospital = make_facility("平塚中央病院", kind_code="acute", municipality=muni)
msw = make_user(hospital, username="msw")
units = [make_unit(make_facility(f"特養{n}", kind_code="tokuyo", municipality=muni), name="本体",
                   capabilities=["peg"], free_now=1) for n in range(COUNT_UNITS)]
for n in range(COUNT_CASES):
    case = make_case(hospital, by=msw, needs=["peg"])
    services.send_request(case, units, by=msw)
Referral.objects.update(deadline=timezone.now() - timedelta(minutes=5))
print(Referral.objects.count())
"""


def _env(database_url):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DATABASE_URL=database_url, DEBUG="1", PYTHONPATH=str(ROOT))
    return env


def _count(database_url, sql):
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as db:
            return db.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as db:
        return db.execute(sql).fetchone()[0]


def _database_for_worker(tmp_path):
    """A database of its own for the worker process: PostgreSQL when the suite runs on it."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base = url.rpartition("/")[0]
        name = f"tsunagu_worker_{os.getpid()}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"{base}/{name}", drop
    return f"sqlite:///{tmp_path / 'worker.sqlite3'}", lambda: None


def test_a_worker_killed_mid_batch_leaves_no_half_done_expiry(tmp_path):
    database_url, drop = _database_for_worker(tmp_path)
    try:
        env = _env(database_url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
        )
        script = MAKE_OVERDUE.replace("COUNT_UNITS", "10").replace("COUNT_CASES", "60")
        made = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
            capture_output=True,
            text=True,
        )
        total = int(made.stdout.strip().splitlines()[-1])
        assert total == 600

        expired_sql = "SELECT count(*) FROM referrals_referral WHERE status = 'expired'"
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                done = _count(database_url, expired_sql)
                if done >= 5:
                    break
                time.sleep(0.01)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
        expired = _count(database_url, expired_sql)
        assert 0 < expired < total, f"the kill did not land mid-batch ({expired} of {total} expired)"

        # Every expired referral has exactly one expiry event, and no event exists without its status.
        mismatched = _count(
            database_url,
            """
            SELECT count(*) FROM referrals_referral r
            WHERE (r.status = 'expired') <> EXISTS (
                SELECT 1 FROM referrals_referralevent e WHERE e.referral_id = r.id AND e.to_status = 'expired')
        """,
        )
        assert mismatched == 0
        doubled = _count(
            database_url,
            """
            SELECT count(*) FROM (SELECT referral_id FROM referrals_referralevent WHERE to_status = 'expired'
                                  GROUP BY referral_id HAVING count(*) > 1) AS d
        """,
        )
        assert doubled == 0
        not_closed = _count(
            database_url,
            "SELECT count(*) FROM referrals_referral WHERE status = 'expired' AND closed_at IS NULL",
        )
        assert not_closed == 0

        # A new worker finishes the job.
        subprocess.run(
            [sys.executable, "manage.py", "run_worker", "--once"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
            capture_output=True,
        )
        for _ in range(10):
            if _count(database_url, expired_sql) == total:
                break
            subprocess.run(
                [sys.executable, "manage.py", "run_worker", "--once"],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=600,
                capture_output=True,
            )
        assert _count(database_url, expired_sql) == total
        print(f"\nworker killed after {expired} of {total} expiries; none half-done; a new worker finished")
    finally:
        drop()
