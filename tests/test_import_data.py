"""The shipped reference extracts are the files their provenance describes."""

import hashlib
import re
from pathlib import Path

from django.test import SimpleTestCase

DATA = Path(__file__).resolve().parent.parent / "tsunagu" / "data"


class ShippedDataTests(SimpleTestCase):
    def test_every_shipped_csv_has_provenance_with_a_matching_sha256(self):
        provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
        recorded = dict(
            (path, sha)
            for path, sha in re.findall(
                r"`?([\w/]+\.csv)`?(?: sha256|\n\nsha256) `([0-9a-f]{64})`", provenance
            )
        )
        shipped = sorted(str(path.relative_to(DATA)) for path in DATA.rglob("*.csv"))
        self.assertEqual(sorted(recorded), shipped)
        for path in shipped:
            with self.subTest(path):
                self.assertEqual(hashlib.sha256((DATA / path).read_bytes()).hexdigest(), recorded[path])
