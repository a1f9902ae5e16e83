"""Reference codes stay unique when several coordinators register at the same moment."""

import threading

import pytest
from django.db import connection, connections
from django.test import TransactionTestCase

from tests.base import make_facility
from tsunagu.cases.models import Case, CaseCounter, allocate_ref
from tsunagu.network.models import FacilityKind

pytestmark = pytest.mark.postgres

THREADS = 6
PER_THREAD = 5


def run_in_threads(work):
    """Run `work(index)` in THREADS threads started together; re-raise the first error."""
    barrier = threading.Barrier(THREADS)
    errors, results = [], []

    def worker(index):
        try:
            barrier.wait()
            results.extend(work(index))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real concurrent connections (PostgreSQL)"
)
class ConcurrentReferenceTests(TransactionTestCase):
    # Put the reference data back for the tests that run after this one.
    serialized_rollback = True

    def test_allocations_racing_for_a_new_year_never_repeat(self):
        refs = run_in_threads(lambda _index: [allocate_ref(2031) for _ in range(PER_THREAD)])
        total = THREADS * PER_THREAD
        self.assertEqual(sorted(refs), [f"C-2031-{n:05d}" for n in range(1, total + 1)])
        self.assertEqual(CaseCounter.objects.get(year=2031).last, total)

    def test_cases_registered_at_once_get_distinct_codes(self):
        # TransactionTestCase empties the tables, the catalogue too: add the one kind needed.
        FacilityKind.objects.get_or_create(code="acute", defaults=dict(name="急性期病院", group="hospital"))
        owner = make_facility("同時登録病院", kind_code="acute")

        def register(_index):
            return [
                Case.objects.create(
                    owner=owner,
                    age_band=75,
                    sex="male",
                    municipality=owner.municipality,
                    condition_category="cardiac",
                ).ref
                for _ in range(PER_THREAD)
            ]

        refs = run_in_threads(register)
        self.assertEqual(len(set(refs)), THREADS * PER_THREAD)
        self.assertEqual(Case.objects.count(), THREADS * PER_THREAD)
