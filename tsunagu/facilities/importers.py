"""Importing facilities from the two government open-data CSV formats.

- 医療情報ネット (iryojoho): the 病院 施設票 of 厚生労働省's 医療情報ネット open data, keyed on `ID`.
- 介護サービス情報公表 (kaigo): the 24-column standard format of 介護サービス情報公表システム,
  keyed on the 10-digit 事業所番号.

A file is read whole (UTF-8 with or without BOM, or Shift_JIS/CP932), every row is validated
first without writing anything, and only a file without errors is written, in one transaction.
Re-importing a file updates the facilities it created, matched on (source, official id).
"""

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from tsunagu.facilities.models import Facility, Unit
from tsunagu.network.models import FacilityKind, Municipality

log = logging.getLogger("tsunagu.import")

MAX_REPORTED_ERRORS = 200
PROGRESS_EVERY = 200

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class Format:
    IRYOJOHO = Facility.Source.IRYOJOHO
    KAIGO = Facility.Source.KAIGO
    CHOICES = [
        (Facility.Source.IRYOJOHO.value, "医療情報ネット (病院 施設票)"),
        (Facility.Source.KAIGO.value, "介護サービス情報公表 (24項目の標準形式)"),
    ]


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self):
        return f"{self.line}行目: {self.reason}" if self.line else self.reason

    def as_dict(self):
        return {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def summary(self) -> str:
        if not self.ok:
            return f"{self.error_count} 件の誤りがあったため、このファイルは取り込んでいません。"
        prefix = "試行 (書き込みなし): " if self.dry_run else ""
        return (
            f"{prefix}{self.total} 行を確認し、新規 {self.created} 件、更新 {self.updated} 件、"
            f"変更なし {self.unchanged} 件です。"
        )

    def as_dict(self):
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "error_count": self.error_count,
            "summary": self.summary(),
        }


class ImportFailed(Exception):
    """The file was refused; nothing of it was written."""

    def __init__(self, report: ImportReport):
        super().__init__(report.summary())
        self.report = report


class _Errors:
    def __init__(self, report: ImportReport):
        self.report = report

    def add(self, line: int, reason: str):
        self.report.error_count += 1
        if len(self.report.errors) < MAX_REPORTED_ERRORS:
            self.report.errors.append(RowError(line, reason))


# --- decoding ---------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without BOM), else Shift_JIS/CP932.

    Raises ValueError with a Japanese message when the bytes are neither.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(_bad_bytes("UTF-8", data[3:], exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise ValueError(_bad_bytes("UTF-8 でも Shift_JIS (CP932)", data, exc)) from None


def _bad_bytes(encoding: str, data: bytes, exc: UnicodeDecodeError) -> str:
    line = data[: exc.start].count(b"\n") + 1
    return (
        f"文字コードを読み取れません ({line}行目付近)。{encoding} として読めない文字があります。"
        "UTF-8 または Shift_JIS の CSV として保存し直してください。"
    )


# --- normalising values -----------------------------------------------------------------------

_url_validator = URLValidator(schemes=["http", "https"])
JAPAN_LAT = (20.0, 46.0)
JAPAN_LNG = (122.0, 154.0)


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _url(value: str) -> str:
    """A usable web address or ''. A bad address on the public site is not worth refusing a row."""
    value = unicodedata.normalize("NFKC", _clean(value))
    if not value:
        return ""
    if not value.lower().startswith(("http://", "https://")):
        value = "http://" + value
    try:
        _url_validator(value)
    except ValidationError:
        return ""
    return value[:300]


def _int_or_none(value: str, label: str, errors, line) -> int | None:
    value = unicodedata.normalize("NFKC", _clean(value)).replace(",", "")
    if not value:
        return None
    match = re.fullmatch(r"(-?\d+)(\.0+)?", value)
    if match is None:
        errors.add(line, f"{label}「{value}」が数値ではありません。")
        return None
    number = int(match.group(1))
    if number < 0:
        errors.add(line, f"{label}「{value}」が負の数です。")
        return None
    return number


def _coordinates(lat: str, lng: str, errors, line) -> tuple[float | None, float | None]:
    lat, lng = _clean(lat), _clean(lng)
    if not lat and not lng:
        return None, None
    try:
        lat_f, lng_f = float(lat), float(lng)
    except ValueError:
        errors.add(line, f"緯度・経度「{lat}, {lng}」が数値ではありません。")
        return None, None
    if lat_f == 0.0 and lng_f == 0.0:
        return None, None  # the government files' sentinel for "unknown"
    if not (JAPAN_LAT[0] <= lat_f <= JAPAN_LAT[1] and JAPAN_LNG[0] <= lng_f <= JAPAN_LNG[1]):
        errors.add(line, f"緯度・経度「{lat}, {lng}」が日本の範囲外です。")
        return None, None
    return round(lat_f, 7), round(lng_f, 7)


# --- the two formats ---------------------------------------------------------------------------

IRYOJOHO_COLUMNS = [
    "ID",
    "正式名称",
    "正式名称（フリガナ）",
    "都道府県コード",
    "市区町村コード",
    "所在地",
    "所在地座標（緯度）",
    "所在地座標（経度）",
    "案内用ホームページアドレス",
    "合計病床数",
]
KAIGO_COLUMNS = [
    "都道府県コード又は市町村コード",
    "事業所名",
    "事業所名カナ",
    "サービスの種類",
    "住所",
    "方書（ビル名等）",
    "緯度",
    "経度",
    "電話番号",
    "FAX番号",
    "法人の名称",
    "事業所番号",
    "定員",
    "URL",
]

# サービスの種類 (NFKC-normalised) → facility kind code, for the services that place a person.
KAIGO_SERVICE_KINDS = {
    "介護老人福祉施設": "tokuyo",
    "地域密着型介護老人福祉施設入所者生活介護": "tokuyo_local",
    "地域密着型介護老人福祉施設": "tokuyo_local",
    "介護老人保健施設": "roken",
    "介護医療院": "kaigo_iryoin",
    "介護療養型医療施設": "kaigo_iryoin",
    "認知症対応型共同生活介護": "group_home",
    "訪問看護": "visiting_nurse",
    "小規模多機能型居宅介護": "shoukibo",
    "看護小規模多機能型居宅介護": "kantaki",
    "複合型サービス(看護小規模多機能型居宅介護)": "kantaki",
    "短期入所生活介護": "short_stay",
    "短期入所療養介護": "short_stay",
    "短期入所療養介護(介護老人保健施設)": "short_stay",
    "短期入所療養介護(介護医療院)": "short_stay",
    "居宅介護支援": "care_manager",
}


def kaigo_kind_code(service: str) -> str | None:
    """The facility kind of a 介護サービス情報公表 service name, or None if not placed by Tsunagu."""
    service = unicodedata.normalize("NFKC", service).replace(" ", "").replace("　", "")
    if service in KAIGO_SERVICE_KINDS:
        return KAIGO_SERVICE_KINDS[service]
    # 特定施設入居者生活介護(…) and its 地域密着型 variants name the kind of housing in brackets.
    if service.startswith(("特定施設入居者生活介護", "地域密着型特定施設入居者生活介護")):
        if "サービス付き高齢者向け住宅" in service and "サービス付き高齢者向け住宅以外" not in service:
            return "sakouju"
        if "軽費" in service:
            return "care_house"
        if "養護" in service:
            return "yougo"
        return "yuryo_kaigo"
    return None


@dataclass
class Record:
    """One validated row: the facility's fields, keyed on its official id."""

    line: int
    official_id: str
    values: dict


class _Context:
    """Lookups shared by a file's rows, loaded once."""

    def __init__(self):
        codes = Municipality.objects.values_list("code", "pk")
        self.municipality_by_code = dict(codes)
        # The 医療情報ネット file gives 5 digits (no check digit); wards have their own code.
        self.municipality_by_code5 = {code[:5]: pk for code, pk in codes}
        self.kind_by_code = dict(FacilityKind.objects.values_list("code", "pk"))
        parents = Municipality.objects.filter(wards__isnull=False).values_list("code", "pk").distinct()
        self.designated_cities = sorted((code[:5], pk) for code, pk in parents)

    def municipality_for_code5(self, code5: str):
        """The municipality of a 5-digit code; a ward newer than our list falls back to its city.

        Wards are numbered right after their city's code (浜松市 22130 → 中央区 22138, created 2024).
        """
        pk = self.municipality_by_code5.get(code5)
        if pk is not None:
            return pk
        candidates = [
            (city, pk)
            for city, pk in self.designated_cities
            if city[:2] == code5[:2] and city <= code5 and int(code5) - int(city) < 30
        ]
        return candidates[-1][1] if candidates else None

    def kind(self, code):
        return self.kind_by_code.get(code)


def _parse_iryojoho(row: dict, line: int, ctx: _Context, errors) -> Record | None:
    official_id = _clean(row["ID"])
    name = _clean(row["正式名称"])
    if not official_id:
        errors.add(line, "ID が空です。")
        return None
    if not name:
        errors.add(line, "正式名称が空です。")
    pref, city = _clean(row["都道府県コード"]), _clean(row["市区町村コード"])
    municipality = None
    if not (pref.isdigit() and city.isdigit()):
        errors.add(line, f"都道府県コード・市区町村コード「{pref}」「{city}」が数字ではありません。")
    else:
        code5 = pref.zfill(2) + city.zfill(3)
        municipality = ctx.municipality_for_code5(code5)
        if municipality is None:
            errors.add(line, f"市区町村コード {code5} の市区町村が登録されていません。")
    lat, lng = _coordinates(row["所在地座標（緯度）"], row["所在地座標（経度）"], errors, line)
    beds = _int_or_none(row["合計病床数"], "合計病床数", errors, line)
    kind = ctx.kind("hospital")
    if kind is None:
        errors.add(line, "施設種別「病院」(hospital) が登録されていません。")
    return Record(
        line,
        official_id,
        dict(
            name=name[:200],
            kana=_clean(row["正式名称（フリガナ）"])[:200],
            kind_id=kind,
            municipality_id=municipality,
            address=_clean(row["所在地"])[:300],
            lat=lat,
            lng=lng,
            url=_url(row["案内用ホームページアドレス"]),
            beds_total=beds,
        ),
    )


def _parse_kaigo(row: dict, line: int, ctx: _Context, errors) -> Record | None:
    official_id = unicodedata.normalize("NFKC", _clean(row["事業所番号"]))
    name = _clean(row["事業所名"])
    if not official_id:
        errors.add(line, "事業所番号が空です。")
        return None
    if not re.fullmatch(r"\d{10}", official_id):
        errors.add(line, f"事業所番号「{official_id}」は10桁の数字ではありません。")
        return None
    if not name:
        errors.add(line, "事業所名が空です。")
    lgcode = unicodedata.normalize("NFKC", _clean(row["都道府県コード又は市町村コード"]))
    municipality = ctx.municipality_by_code.get(lgcode.zfill(6)) if lgcode.isdigit() else None
    if municipality is None:
        errors.add(line, f"市町村コード「{lgcode}」の市区町村が登録されていません。")
    service = _clean(row["サービスの種類"])
    kind_code = kaigo_kind_code(service)
    kind = ctx.kind(kind_code) if kind_code else None
    if kind is None:
        errors.add(line, f"サービスの種類「{service}」は取り込めない種類です。")
    lat, lng = _coordinates(row["緯度"], row["経度"], errors, line)
    capacity = _int_or_none(row["定員"], "定員", errors, line)
    address = _clean(row["住所"])
    building = _clean(row["方書（ビル名等）"])
    if building and building not in address:
        address = f"{address} {building}"
    return Record(
        line,
        official_id,
        dict(
            name=name[:200],
            kana=_clean(row["事業所名カナ"])[:200],
            kind_id=kind,
            municipality_id=municipality,
            address=address[:300],
            lat=lat,
            lng=lng,
            phone=_clean(row["電話番号"])[:30],
            fax=_clean(row["FAX番号"])[:30],
            corporation=_clean(row["法人の名称"])[:200],
            url=_url(row["URL"]),
            beds_total=capacity or None,  # 0 means "not stated" in this format
        ),
    )


PARSERS = {
    Format.IRYOJOHO: (IRYOJOHO_COLUMNS, _parse_iryojoho),
    Format.KAIGO: (KAIGO_COLUMNS, _parse_kaigo),
}


# --- validation and writing -------------------------------------------------------------------


def validate(text: str, fmt: str, report: ImportReport, progress: Progress | None = None) -> list[Record]:
    """Parse and check every row; errors go to the report. Writes nothing."""
    if fmt not in PARSERS:
        raise ValueError(f"形式「{fmt}」には対応していません。")
    required, parse = PARSERS[fmt]
    errors = _Errors(report)
    lines = text.splitlines(keepends=True)
    total_rows = max(0, sum(1 for line in lines if line.strip()) - 1)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [_clean(name).lstrip("\ufeff") for name in next(reader)]
    except StopIteration:
        errors.add(0, "ファイルが空です。")
        return []
    missing = [name for name in required if name not in header]
    if missing:
        errors.add(
            1,
            "見出し行に必要な列がありません: "
            + "、".join(missing)
            + "。形式の選択が正しいか確認してください。",
        )
        return []
    ctx = _Context()
    records, seen = [], {}
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            report.total += 1
            if len(cells) != len(header):
                errors.add(start, f"列の数が {len(cells)} です (見出しは {len(header)} 列)。")
            else:
                record = parse(dict(zip(header, cells)), start, ctx, errors)
                if record is not None:
                    if record.official_id in seen:
                        errors.add(
                            start,
                            f"施設番号 {record.official_id} が {seen[record.official_id]}行目と重複しています。",
                        )
                    else:
                        seen[record.official_id] = start
                        records.append(record)
            if progress and report.total % PROGRESS_EVERY == 0:
                progress("validate", report.total, total_rows)
    except csv.Error as exc:
        errors.add(reader.line_num, f"CSV として読めません ({exc})。")
    if progress:
        progress("validate", report.total, report.total)
    return records


def _write(
    records: list[Record], source: str, report: ImportReport, dry_run: bool, progress: Progress | None
):
    ids = [record.official_id for record in records]
    existing = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's parameter limit
        for facility in Facility.objects.filter(source=source, official_id__in=ids[start : start + 500]):
            existing[facility.official_id] = facility
    to_create, to_update, changed_fields = [], [], set()
    for record in records:
        facility = existing.get(record.official_id)
        if facility is None:
            to_create.append(Facility(source=source, official_id=record.official_id, **record.values))
            continue
        changed = [name for name, value in record.values.items() if getattr(facility, name) != value]
        if not changed:
            report.unchanged += 1
            continue
        for name in changed:
            setattr(facility, name, record.values[name])
        changed_fields.update(changed)
        to_update.append(facility)
    report.created, report.updated = len(to_create), len(to_update)
    if dry_run:
        return
    now = timezone.now()
    done = 0
    for start in range(0, len(to_create), PROGRESS_EVERY):
        batch = to_create[start : start + PROGRESS_EVERY]
        Facility.objects.bulk_create(batch)
        done += len(batch)
        if progress:
            progress("write", done, len(to_create) + len(to_update))
    for facility in to_update:
        facility.updated_at = now
    for start in range(0, len(to_update), PROGRESS_EVERY):
        batch = to_update[start : start + PROGRESS_EVERY]
        Facility.objects.bulk_update(batch, sorted(changed_fields | {"updated_at"}))
        done += len(batch)
        if progress:
            progress("write", done, len(to_create) + len(to_update))
    if to_update:
        # Units copy location and area from their facility for the search; keep them in step.
        Unit.objects.filter(facility__in=[facility.pk for facility in to_update]).sync_search_fields()


def import_facilities(
    data: bytes, fmt: str, *, dry_run: bool = False, progress: Progress | None = None, before_write=None
) -> ImportReport:
    """Import one government CSV file; all of it or, on any error, nothing.

    Raises ImportFailed (with the report and its line-numbered errors) when the file is refused.
    `progress(phase, done, total)` is called during validation ("validate", before any write)
    and while writing ("write", inside the transaction); `before_write(report)` once between.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        text = decode(data)
    except ValueError as exc:
        _Errors(report).add(0, str(exc))
        raise ImportFailed(report) from None
    try:
        records = validate(text, fmt, report, progress)
    except ValueError as exc:
        _Errors(report).add(0, str(exc))
        raise ImportFailed(report) from None
    if not report.ok:
        raise ImportFailed(report)
    if before_write:
        before_write(report)
    with transaction.atomic():
        _write(records, fmt, report, dry_run, progress)
    return report


# --- the office's web import, run by the worker ------------------------------------------------


def process_pending_imports() -> int:
    """Worker task: import the oldest waiting ImportRun, if any; returns how many were handled.

    Progress is stored on the run row while the file is validated, before anything is written:
    those updates commit at once so the office's page can show them. The writing itself is one
    transaction, during which the page shows "書き込み中" without a count (its writes are not
    visible to other connections until the commit, and on SQLite a second writer would block).
    """
    from tsunagu.facilities.models import ImportRun

    run = ImportRun.objects.pending().first()
    if run is None:
        return 0
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PENDING).update(
        status=ImportRun.Status.RUNNING,
        phase=ImportRun.Phase.VALIDATING,
        started_at=timezone.now(),
    )
    if not claimed:
        return 0  # another worker took it

    def progress(phase, done, total):
        if phase == "validate":
            ImportRun.objects.filter(pk=run.pk).update(processed=done, total=total)

    def before_write(report):
        ImportRun.objects.filter(pk=run.pk).update(
            phase=ImportRun.Phase.WRITING,
            processed=report.total,
            total=report.total,
        )

    finished = dict(phase=ImportRun.Phase.FINISHED, finished_at=timezone.now())
    try:
        report = import_facilities(
            bytes(run.content),
            run.format,
            dry_run=run.dry_run,
            progress=progress,
            before_write=before_write,
        )
    except ImportFailed as exc:
        report = exc.report
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED,
            summary=report.summary(),
            error_count=report.error_count,
            errors=[error.as_dict() for error in report.errors],
            total=report.total,
            **finished,
        )
        return 1
    except Exception:
        log.exception("import run %s failed", run.pk)
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED,
            summary="取込み中に予期しないエラーが起きました。何も取り込まれていません。",
            **finished,
        )
        return 1
    log.info("import run %s (%s): %s", run.pk, run.filename, report.summary())
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.DONE,
        summary=report.summary(),
        total=report.total,
        processed=report.total,
        created_count=report.created,
        updated_count=report.updated,
        unchanged_count=report.unchanged,
        **finished,
    )
    return 1
