"""The benchmark cannot rot: a tiny dataset, then one timed round through a real HTTP server."""

import pytest
from django.conf import settings
from django.test import Client

from bench import data
from bench.build import timed_queries
from bench.run import SCENARIOS, Timer, summarise, timed_round
from tsunagu.facilities.models import Unit
from tsunagu.network.models import Municipality


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bench_builds_a_tiny_nationwide_dataset_and_times_one_round(live_server):
    counts = data.build(scale=0.001, seed=3, log=lambda line: None)
    assert counts["facilities"] >= 120 and counts["units"] >= 160 and counts["cases"] == 30
    # Every municipality of Japan has an area; Kanagawa keeps the official mapping.
    assert not Municipality.objects.filter(area__isnull=True).exists()
    assert Municipality.objects.get(code="142034").area.code == "1408"
    # The search copies were written through Unit.sync_search_fields().
    assert Unit.objects.filter(search_open=True).exclude(search_area__isnull=False).count() == 0

    client = Client()
    client.force_login(data_user())
    name = settings.SESSION_COOKIE_NAME
    cookie = {"name": name, "value": client.cookies[name].value}
    port = int(live_server.url.rsplit(":", 1)[1])
    timings = timed_round(Timer(port, cookie), timed_queries(seed=5, count=1)[0])
    assert set(timings) == {"floor", *SCENARIOS}
    assert all(ms > 0 for ms, _ in timings.values())
    assert timings["nationwide"][1] > 0  # the nationwide search always finds someone
    assert summarise([3.0, 1.0, 2.0])["median_ms"] == 2.0


def data_user():
    from tsunagu.accounts.models import User

    return User.objects.get(username=data.BENCH_USERNAME)


def test_kmeans_is_reproducible_and_uses_every_cluster():
    import random

    points = [(35 + i * 0.01, 139 + (i % 7) * 0.02) for i in range(40)]
    first = data.kmeans(points, 4, random.Random(1))
    assert first == data.kmeans(points, 4, random.Random(1))
    assert set(first) == {0, 1, 2, 3}
