"""manage.py backup / restore round-trip the demo network."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SNAPSHOT = (
    "import json, hashlib\n"
    "from django.apps import apps\n"
    "from tsunagu.facilities.models import Facility\n"
    "counts = {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.managed}\n"
    "names = hashlib.sha256('|'.join(Facility.objects.order_by('public_id')"
    ".values_list('name', flat=True)).encode()).hexdigest()\n"
    "print(json.dumps({'counts': counts, 'names': names}))\n"
)
DAMAGE = (
    "from tsunagu.facilities.models import Facility\n"
    "from tsunagu.accounts.models import User\n"
    "Facility.objects.filter(pk__in=list(Facility.objects.values_list('pk', flat=True)[:5])).delete()\n"
    "User.objects.create_user('intruder', password='x')\n"
)


def manage(database_url, *args, check=True):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DATABASE_URL=database_url, DEBUG="1")
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def snapshot(database_url):
    output = manage(database_url, "shell", "-c", SNAPSHOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def round_trip(database_url, backup_file):
    manage(database_url, "migrate", "--noinput", "-v0")
    manage(database_url, "load_demo")
    before = snapshot(database_url)
    assert before["counts"]["facilities.Facility"] > 0

    output = manage(database_url, "backup", "--output", str(backup_file)).stdout
    assert "sha256" in output and backup_file.stat().st_size > 0

    manage(database_url, "shell", "-c", DAMAGE)
    assert snapshot(database_url) != before

    refused = manage(database_url, "restore", str(backup_file), check=False)
    assert refused.returncode != 0
    assert "--yes" in refused.stderr

    manage(database_url, "restore", str(backup_file), "--yes")
    after = snapshot(database_url)
    # The restore adds its own audit event; everything else is as it was.
    assert after["counts"].pop("audit.AuditEvent") == before["counts"].pop("audit.AuditEvent") + 1
    assert after == before


def test_sqlite_round_trip_of_the_demo_network(tmp_path):
    round_trip(f"sqlite:///{tmp_path / 'live.sqlite3'}", tmp_path / "backup.sqlite3")


def test_restore_refuses_a_damaged_file(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    manage(database_url, "migrate", "--noinput", "-v0")
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database" * 100)
    result = manage(database_url, "restore", str(broken), "--yes", check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "バックアップファイルではありません" in result.stderr


@pytest.mark.postgres
def test_postgres_round_trip_of_the_demo_network(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"tsunagu_backup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        round_trip(f"{base}/{name}", tmp_path / "backup.dump")
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
