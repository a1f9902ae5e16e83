"""The network office imports facilities from the government's CSV files."""

import csv
import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.base import PersonaTestCase, make_municipality, make_unit
from tsunagu.facilities.importers import (
    ImportFailed,
    decode,
    import_facilities,
    kaigo_kind_code,
    process_pending_imports,
)
from tsunagu.facilities.models import Facility, ImportRun, Unit
from tsunagu.network.loaders import load_reference
from tsunagu.network.models import MedicalArea, Municipality

DATA = Path(__file__).resolve().parent.parent / "tsunagu" / "data"
TOKUYO = DATA / "care_facilities" / "kaigo_kouhyou_510_tokuyo_4areas.csv"
HOSPITALS = DATA / "hospitals" / "iryojoho_hospital_facility_20250601_kanagawa.csv"


def real_rows(path, keep):
    """The header and the rows of a shipped government file that `keep(row)` selects."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [row for row in rows[1:] if keep(dict(zip(rows[0], row)))]


def to_csv(header, rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def hiratsuka_tokuyo():
    return real_rows(TOKUYO, lambda row: row["都道府県コード又は市町村コード"] in ("142034", "142115"))


class ImportFileTests(PersonaTestCase):
    """Files of 平塚市 and 秦野市 taken from the shipped open data."""

    def test_shift_jis_and_utf8_bom_files_import_the_same_facilities(self):
        header, rows = hiratsuka_tokuyo()
        first = import_facilities(to_csv(header, rows, "cp932"), "kaigo")
        self.assertEqual(first.created, len(rows))
        again = import_facilities(to_csv(header, rows, "utf-8-sig"), "kaigo")
        self.assertEqual((again.created, again.updated, again.unchanged), (0, 0, len(rows)))
        plain = import_facilities(to_csv(header, rows, "utf-8"), "kaigo")
        self.assertEqual(plain.unchanged, len(rows))
        self.assertEqual(Facility.objects.filter(source="kaigo").count(), len(rows))

    def test_kaigo_row_becomes_a_care_home_with_its_official_details(self):
        header, rows = hiratsuka_tokuyo()
        import_facilities(to_csv(header, rows), "kaigo")
        home = Facility.objects.get(source="kaigo", official_id="1472000213")
        self.assertEqual(home.name, "高齢者福祉総合施設　豊田敬愛ホーム")
        self.assertEqual(home.kind.code, "tokuyo")
        self.assertEqual(home.municipality, self.hiratsuka)
        self.assertEqual((home.phone, home.fax), ("0463-36-0632", "0463-36-1681"))
        self.assertEqual(home.corporation, "社会福祉法人　湘南曽寿会")
        self.assertIsNone(home.beds_total)  # 定員 0 means "not stated"
        self.assertAlmostEqual(home.lat, 35.3551052)

    def test_reimport_updates_instead_of_duplicating(self):
        header, rows = hiratsuka_tokuyo()
        import_facilities(to_csv(header, rows), "kaigo")
        unit = make_unit(Facility.objects.get(official_id=rows[0][15]), name="従来型")
        changed = [list(row) for row in rows]
        changed[0][header.index("電話番号")] = "0463-00-0000"
        changed[0][header.index("緯度")] = "35.3600000"
        report = import_facilities(to_csv(header, changed), "kaigo")
        self.assertEqual((report.created, report.updated, report.unchanged), (0, 1, len(rows) - 1))
        facility = Facility.objects.get(official_id=rows[0][15])
        self.assertEqual(facility.phone, "0463-00-0000")
        self.assertEqual(Facility.objects.filter(source="kaigo").count(), len(rows))
        unit.refresh_from_db()
        self.assertEqual(unit.search_lat, 35.36)  # the search copy follows the facility

    def test_a_malformed_row_refuses_the_whole_file_and_names_its_line(self):
        header, rows = hiratsuka_tokuyo()
        bad = [list(row) for row in rows]
        bad[2] = bad[2][:-3]  # line 4: columns missing
        bad[4][header.index("緯度")] = "北緯35度"  # line 6
        bad[5][header.index("都道府県コード又は市町村コード")] = "999999"  # line 7
        bad[6][header.index("サービスの種類")] = "福祉用具貸与"  # line 8
        bad[7][header.index("事業所番号")] = ""  # line 9
        with self.assertRaises(ImportFailed) as caught:
            import_facilities(to_csv(header, bad), "kaigo")
        errors = {error.line: error.reason for error in caught.exception.report.errors}
        self.assertEqual(sorted(errors), [4, 6, 7, 8, 9])
        self.assertIn("列の数", errors[4])
        self.assertIn("緯度・経度", errors[6])
        self.assertIn("999999", errors[7])
        self.assertIn("福祉用具貸与", errors[8])
        self.assertIn("事業所番号が空", errors[9])
        self.assertFalse(Facility.objects.filter(source="kaigo").exists())

    def test_the_same_facility_twice_in_one_file_is_an_error(self):
        header, rows = hiratsuka_tokuyo()
        with self.assertRaises(ImportFailed) as caught:
            import_facilities(to_csv(header, [rows[0], rows[1], rows[0]]), "kaigo")
        self.assertEqual(caught.exception.report.errors[0].line, 4)
        self.assertIn("2行目と重複", caught.exception.report.errors[0].reason)

    def test_dry_run_counts_but_writes_nothing(self):
        header, rows = hiratsuka_tokuyo()
        report = import_facilities(to_csv(header, rows), "kaigo", dry_run=True)
        self.assertEqual(report.created, len(rows))
        self.assertIn("試行", report.summary())
        self.assertFalse(Facility.objects.filter(source="kaigo").exists())

    def test_wrong_format_is_explained_on_the_header_line(self):
        header, rows = hiratsuka_tokuyo()
        with self.assertRaises(ImportFailed) as caught:
            import_facilities(to_csv(header, rows), "iryojoho")
        error = caught.exception.report.errors[0]
        self.assertEqual(error.line, 1)
        self.assertIn("形式の選択", error.reason)

    def test_bytes_that_are_no_known_encoding_get_a_japanese_message(self):
        with self.assertRaises(ValueError) as caught:
            decode("事業所名\n".encode() + b"\x81\xff\xfe\n")
        self.assertIn("文字コード", str(caught.exception))
        with self.assertRaises(ImportFailed):
            import_facilities(b"\xef\xbb\xbf\xff\xfe", "kaigo")

    def test_progress_is_reported(self):
        header, rows = hiratsuka_tokuyo()
        calls = []
        import_facilities(to_csv(header, rows), "kaigo", progress=lambda *args: calls.append(args))
        self.assertIn(("validate", len(rows), len(rows)), calls)
        self.assertEqual(calls[-1], ("write", len(rows), len(rows)))

    def test_hospital_rows_find_wards_by_five_digit_code_and_drop_the_zero_sentinel(self):
        ward = make_municipality(code="141119", name="横浜市瀬谷区", area=self.area)
        header, rows = real_rows(HOSPITALS, lambda row: row["市区町村コード"] in ("203", "111"))
        rows = [list(row) for row in rows]
        lat, lng = header.index("所在地座標（緯度）"), header.index("所在地座標（経度）")
        rows[0][lat] = rows[0][lng] = "0.0"
        report = import_facilities(to_csv(header, rows), "iryojoho")
        self.assertEqual(report.created, len(rows))
        first = Facility.objects.get(source="iryojoho", official_id=rows[0][0])
        self.assertIsNone(first.lat)
        self.assertEqual(first.kind.code, "hospital")
        self.assertTrue(Facility.objects.filter(source="iryojoho", municipality=ward).exists())
        fureai = Facility.objects.get(official_id="1411400001600")
        self.assertEqual((fureai.name, fureai.beds_total), ("ふれあい平塚ホスピタル", 125))


class KaigoServiceKindTests(TestCase):
    def test_service_names_of_the_standard_format_map_to_kinds(self):
        cases = {
            "介護老人福祉施設": "tokuyo",
            "地域密着型介護老人福祉施設入所者生活介護": "tokuyo_local",
            "介護老人保健施設": "roken",
            "介護医療院": "kaigo_iryoin",
            "認知症対応型共同生活介護": "group_home",
            "訪問看護": "visiting_nurse",
            "看護小規模多機能型居宅介護": "kantaki",
            "特定施設入居者生活介護（有料老人ホーム（サービス付き高齢者向け住宅））": "sakouju",
            "特定施設入居者生活介護（有料老人ホーム）": "yuryo_kaigo",
            "特定施設入居者生活介護（軽費老人ホーム）": "care_house",
            "地域密着型特定施設入居者生活介護（有料老人ホーム（サービス付き高齢者向け住宅以外））": "yuryo_kaigo",
            "福祉用具貸与": None,
        }
        for service, code in cases.items():
            with self.subTest(service):
                self.assertEqual(kaigo_kind_code(service), code)


class ImportCommandTests(PersonaTestCase):
    def test_command_imports_and_reports_in_japanese(self):
        header, rows = hiratsuka_tokuyo()
        path = self.write(to_csv(header, rows, "cp932"))
        out = io.StringIO()
        call_command("import_facilities", "--format", "kaigo", str(path), stdout=out)
        self.assertIn(f"新規 {len(rows)} 件", out.getvalue())
        self.assertEqual(Facility.objects.filter(source="kaigo").count(), len(rows))

    def test_dry_run_and_errors(self):
        header, rows = hiratsuka_tokuyo()
        out = io.StringIO()
        call_command(
            "import_facilities",
            "--format",
            "kaigo",
            str(self.write(to_csv(header, rows))),
            "--dry-run",
            stdout=out,
        )
        self.assertIn("試行", out.getvalue())
        bad = [rows[0], rows[1][:5]]
        err = io.StringIO()
        with self.assertRaisesMessage(CommandError, "取り込んでいません"):
            call_command(
                "import_facilities",
                "--format",
                "kaigo",
                str(self.write(to_csv(header, bad))),
                stdout=io.StringIO(),
                stderr=err,
            )
        self.assertIn("3行目", err.getvalue())
        self.assertFalse(Facility.objects.filter(source="kaigo").exists())

    def write(self, data: bytes) -> Path:
        import tempfile

        handle = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)
        handle.write(data)
        handle.close()
        self.addCleanup(Path(handle.name).unlink)
        return Path(handle.name)


class WebImportTests(PersonaTestCase):
    def upload(self, data: bytes, fmt="kaigo", dry_run=False):
        payload = {"format": fmt, "file": SimpleUploadedFile("tokuyo.csv", data, "text/csv")}
        if dry_run:
            payload["dry_run"] = "on"
        return self.client.post(reverse("facilities:import"), payload)

    def test_office_uploads_a_file_and_sees_the_summary(self):
        header, rows = hiratsuka_tokuyo()
        self.login(self.office)
        self.assertContains(self.client.get(reverse("facilities:import")), "施設データの取込み")
        response = self.upload(to_csv(header, rows, "cp932"))
        run = ImportRun.objects.get()
        self.assertRedirects(response, reverse("facilities:import_run", args=[run.public_id]))
        page = self.client.get(response.url)
        self.assertContains(page, "待機中")
        self.assertContains(page, 'hx-trigger="every 2s"')
        self.assertEqual(process_pending_imports(), 1)
        self.assertEqual(process_pending_imports(), 0)
        page = self.client.get(response.url, headers={"HX-Request": "true"})
        self.assertNotContains(page, "<html")
        self.assertNotContains(page, "hx-trigger")
        self.assertContains(page, f"新規 {len(rows)} 件")
        self.assertEqual(Facility.objects.filter(source="kaigo").count(), len(rows))
        run.refresh_from_db()
        self.assertEqual((run.status, run.created_count, run.created_by), ("done", len(rows), self.office))

    def test_a_running_import_shows_how_far_it_got(self):
        run = ImportRun.objects.create(
            format="iryojoho",
            filename="all.csv",
            content=b"",
            created_by=self.office,
            status="running",
            phase="validating",
            processed=2000,
            total=8000,
        )
        self.login(self.office)
        page = self.client.get(
            reverse("facilities:import_run", args=[run.public_id]), headers={"HX-Request": "true"}
        )
        self.assertContains(page, 'value="25"')
        self.assertContains(page, "2000 / 8000 行")
        self.assertContains(page, 'hx-trigger="every 2s"')
        ImportRun.objects.filter(pk=run.pk).update(phase="writing")
        page = self.client.get(
            reverse("facilities:import_run", args=[run.public_id]), headers={"HX-Request": "true"}
        )
        self.assertContains(page, "書き込み中")

    def test_a_refused_file_lists_its_errors_by_line(self):
        header, rows = hiratsuka_tokuyo()
        self.login(self.office)
        response = self.upload(to_csv(header, [rows[0], rows[1][:4]]))
        process_pending_imports()
        page = self.client.get(response.url)
        self.assertContains(page, "取り込んでいません")
        self.assertContains(page, '<td class="num">3</td>', html=False)
        self.assertContains(page, "列の数")
        self.assertEqual(ImportRun.objects.get().status, "failed")
        self.assertFalse(Facility.objects.filter(source="kaigo").exists())

    def test_dry_run_from_the_web_writes_nothing(self):
        header, rows = hiratsuka_tokuyo()
        self.login(self.office)
        self.upload(to_csv(header, rows), dry_run=True)
        process_pending_imports()
        self.assertIn("試行", ImportRun.objects.get().summary)
        self.assertFalse(Facility.objects.filter(source="kaigo").exists())

    def test_an_empty_upload_is_refused_by_the_form(self):
        self.login(self.office)
        response = self.upload(b"")
        self.assertEqual(response.status_code, 200)
        self.assertFalse(ImportRun.objects.exists())

    def test_only_the_office_may_import(self):
        header, rows = hiratsuka_tokuyo()
        run = ImportRun.objects.create(format="kaigo", filename="x.csv", content=b"", created_by=self.office)
        urls = [reverse("facilities:import"), reverse("facilities:import_run", args=[run.public_id])]
        for url in urls:
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302, url)  # anonymous → login
        for user in (self.receiver_admin, self.sender_msw, self.outsider):
            self.login(user)
            for url in urls:
                self.assertEqual(self.client.get(url).status_code, 403, (user, url))
            self.assertEqual(self.upload(to_csv(header, rows)).status_code, 403)
        self.assertEqual(ImportRun.objects.count(), 1)

    def test_wrong_method_and_unknown_run(self):
        run = ImportRun.objects.create(format="kaigo", filename="x.csv", content=b"", created_by=self.office)
        self.login(self.office)
        self.assertEqual(self.client.put(reverse("facilities:import")).status_code, 405)
        self.assertEqual(
            self.client.post(reverse("facilities:import_run", args=[run.public_id])).status_code, 405
        )
        unknown = "00000000-0000-0000-0000-000000000000"
        self.assertEqual(self.client.get(reverse("facilities:import_run", args=[unknown])).status_code, 404)

    def test_run_list_query_count_does_not_grow(self):
        self.login(self.office)
        ImportRun.objects.create(format="kaigo", filename="a.csv", content=b"", created_by=self.office)
        self.client.get(reverse("facilities:import"))  # warm up the session
        with CaptureQueriesContext(connection) as one_run:
            self.client.get(reverse("facilities:import"))
        for index in range(5):
            ImportRun.objects.create(
                format="kaigo", filename=f"{index}.csv", content=b"", created_by=self.office
            )
        with self.assertNumQueries(len(one_run)):
            self.client.get(reverse("facilities:import"))


class LoadReferenceTests(TestCase):
    def test_kanagawa_areas_and_municipalities_load_idempotently(self):
        load_reference()
        result = load_reference()
        self.assertEqual(result["市区町村"].unchanged, 61)
        self.assertEqual(MedicalArea.objects.count(), 9)
        self.assertEqual(Municipality.objects.count(), 61)
        hiratsuka = Municipality.objects.get(code="142034")
        self.assertEqual((hiratsuka.name, hiratsuka.area.name), ("平塚市", "湘南西部"))
        tsurumi = Municipality.objects.get(code="141011")
        self.assertEqual((tsurumi.parent.name, tsurumi.area.code), ("横浜市", "1412"))
        self.assertIsNone(Municipality.objects.get(code="141305").area)  # 川崎市 spans two areas

    def test_all_japan(self):
        load_reference(all_japan=True)
        self.assertGreater(MedicalArea.objects.count(), 330)
        self.assertEqual(Municipality.objects.count(), 1916)
        self.assertEqual(Municipality.objects.get(code="011011").parent.name, "札幌市")
        self.assertIsNone(Municipality.objects.get(code="011011").area)
        self.assertEqual(Municipality.objects.get(code="142034").area.code, "1408")
        self.assertEqual(Unit.objects.count(), 0)
