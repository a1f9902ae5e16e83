"""The units' search copies (Unit.search_*) follow every write path of their sources.

A unit copies its municipality's 二次医療圏, prefecture and position (the facility's own position
first) for the candidate search. Each test changes a source through one real write path and
checks that the unit's copies follow: the admin's municipality page, the reference loader, the
admin's facility page and the facility importer.
"""

from django.urls import reverse

from tests.base import PersonaTestCase, make_area, make_facility, make_municipality, make_unit
from tests.test_import import hiratsuka_tokuyo, to_csv
from tsunagu.facilities.importers import import_facilities
from tsunagu.facilities.models import Facility, Unit
from tsunagu.network.loaders import load_reference
from tsunagu.network.models import Municipality


def copies(unit):
    unit = Unit.objects.get(pk=unit.pk)
    return unit.search_area_id, unit.search_pref, unit.search_lat, unit.search_lng


class SearchCopiesTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.shonan_east = make_area(code="1407", name="湘南東部")
        cls.chigasaki = make_municipality(
            code="142077", name="茅ヶ崎市", area=cls.shonan_east, lat=35.3337, lng=139.4036
        )
        # No position of its own: the unit takes the municipality's.
        cls.home = make_facility("特養なぎさ", municipality=cls.hiratsuka, lat=None, lng=None)
        cls.unit = make_unit(cls.home, name="本館", free_now=3)
        cls.root = cls.office
        cls.root.is_staff = cls.root.is_superuser = True
        cls.root.save()

    def test_the_unit_starts_with_its_municipalitys_values(self):
        self.assertEqual(copies(self.unit), (self.area.pk, "14", 35.3272, 139.3497))

    def test_municipality_changed_in_the_admin(self):
        self.login(self.root)
        response = self.client.post(
            reverse("admin:network_municipality_change", args=[self.hiratsuka.pk]),
            {
                "code": self.hiratsuka.code,
                "name": self.hiratsuka.name,
                "kana": "",
                "pref_code": "14",
                "pref_name": "神奈川県",
                "area": self.shonan_east.pk,
                "parent": "",
                "lat": "35.3300",
                "lng": "139.3500",
            },
        )
        self.assertEqual(response.status_code, 302, getattr(response, "context", None) and response.content)
        self.assertEqual(copies(self.unit), (self.shonan_east.pk, "14", 35.33, 139.35))

    def test_municipality_changed_by_the_reference_loader(self):
        load_reference()
        hiratsuka = Municipality.objects.get(code="142034")
        official = (hiratsuka.area_id, hiratsuka.pref_code, hiratsuka.lat, hiratsuka.lng)
        # A municipality edited by hand to wrong values, with the unit's copies in step with it …
        Municipality.objects.filter(pk=hiratsuka.pk).update(area=self.shonan_east, lat=1.0, lng=2.0)
        Unit.objects.filter(pk=self.unit.pk).sync_search_fields()
        self.assertEqual(copies(self.unit), (self.shonan_east.pk, "14", 1.0, 2.0))
        # … is put back by the loader, and the copies follow.
        result = load_reference()["市区町村"]
        self.assertEqual(result.updated, 1)
        self.assertEqual(copies(self.unit), official)

    def test_facility_moved_to_another_municipality_in_the_admin(self):
        self.login(self.root)
        data = {
            "name": self.home.name,
            "kana": "",
            "kind": self.home.kind_id,
            "municipality": self.chigasaki.pk,
            "address": "",
            "lat": "",
            "lng": "",
            "phone": "",
            "fax": "",
            "url": "",
            "corporation": "",
            "beds_total": "",
            "source": self.home.source,
            "official_id": "",
            "note": "",
            "active": "on",
        }
        for prefix in ("units", "desks"):
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        response = self.client.post(reverse("admin:facilities_facility_change", args=[self.home.pk]), data)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None) and response.content)
        self.assertEqual(copies(self.unit), (self.shonan_east.pk, "14", 35.3337, 139.4036))

    def test_facility_moved_by_a_reimport(self):
        load_reference()
        header, rows = hiratsuka_tokuyo()
        import_facilities(to_csv(header, rows), "kaigo")
        home = Facility.objects.get(source="kaigo", official_id=rows[0][header.index("事業所番号")])
        unit = make_unit(home, name="従来型")
        moved = [list(row) for row in rows]
        code_column = header.index("都道府県コード又は市町村コード")
        moved[0][code_column] = "142077"  # 茅ヶ崎市, 湘南東部
        import_facilities(to_csv(header, moved), "kaigo")
        chigasaki = Municipality.objects.get(code="142077")
        self.assertEqual(copies(unit)[:2], (chigasaki.area_id, "14"))
