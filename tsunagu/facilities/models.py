"""Facilities, their units, capabilities, vacancies and coordination desks."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.network.models import CareNeed, FacilityKind, MedicalArea, Municipality, care_levels_of

_UNSET = object()


def stale_before():
    """Vacancies updated before this moment are stale."""
    return timezone.now() - timedelta(days=settings.VACANCY_STALE_DAYS)


class FacilityQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def in_area(self, area: MedicalArea):
        return self.filter(municipality__area=area)


class Facility(models.Model):
    """One organisation at one address: a hospital, clinic, station or care home."""

    class Source(models.TextChoices):
        IRYOJOHO = "iryojoho", _("医療情報ネット")
        KAIGO = "kaigo", _("介護サービス情報公表")
        MANUAL = "manual", _("手入力")
        GENERATED = "generated", _("生成データ")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=200)
    kana = models.CharField(_("フリガナ"), max_length=200, blank=True)
    kind = models.ForeignKey(
        FacilityKind, verbose_name=_("種別"), on_delete=models.PROTECT, related_name="facilities"
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("市区町村"), on_delete=models.PROTECT, related_name="facilities"
    )
    address = models.CharField(_("所在地"), max_length=300, blank=True)
    lat = models.FloatField(_("緯度"), null=True, blank=True)
    lng = models.FloatField(_("経度"), null=True, blank=True)
    phone = models.CharField(_("代表電話"), max_length=30, blank=True)
    fax = models.CharField(_("代表FAX"), max_length=30, blank=True)
    url = models.URLField(_("ホームページ"), max_length=300, blank=True)
    corporation = models.CharField(_("法人名"), max_length=200, blank=True)
    beds_total = models.PositiveIntegerField(_("許可病床・定員"), null=True, blank=True)
    source = models.CharField(_("出典"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    official_id = models.CharField(
        _("公的な施設番号"),
        max_length=20,
        blank=True,
        help_text=_("医療情報ネットのID、または介護保険事業所番号。再取込みの照合に使います。"),
    )
    note = models.TextField(_("施設からのお知らせ"), blank=True, max_length=2000)
    is_demo = models.BooleanField(_("デモ用データ"), default=False)
    active = models.BooleanField(_("ネットワーク参加中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        ordering = ["kana", "name"]
        verbose_name = _("施設")
        verbose_name_plural = _("施設")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "official_id"],
                condition=~models.Q(official_id=""),
                name="facility_unique_official_id",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "kind"])]

    def __str__(self):
        return self.name


# Unit columns the candidate search filters and ranks on, carried in its indexes.
SEARCH_RANK_FIELDS = [
    "capability_mask",
    "conditional_mask",
    "care_level_mask",
    "search_vacancy_at",
    "search_lat",
    "search_lng",
    "cost_min",
    # Also the index's own condition: SQLite reads an index as covering only when it holds
    # every column that the query names.
    "search_open",
]
SEARCH_RANK_FIELDS_BUT_PLACE = [f for f in SEARCH_RANK_FIELDS if f not in ("search_lat", "search_lng")]


class UnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True, facility__active=True)

    def covering(self, required_mask: int):
        """Units whose accepted capabilities (yes or conditional) include every required bit."""
        if not required_mask:
            return self
        return self.alias(_covered=models.F("capability_mask").bitand(required_mask)).filter(
            _covered=required_mask
        )

    def with_free_beds(self):
        return self.filter(vacancy__free_now__gt=0)

    def sync_search_fields(self, batch_size=2000):
        """Unit.sync_search_fields() for many units at once (imports, demo and bench data)."""
        units = self.select_related("facility__municipality", "vacancy").order_by("pk")
        batch = []
        for unit in units.iterator(chunk_size=batch_size):
            unit.sync_search_fields(save=False, vacancy=getattr(unit, "vacancy", None))
            batch.append(unit)
            if len(batch) >= batch_size:
                Unit.objects.bulk_update(batch, SEARCH_FIELDS_WRITE)
                batch = []
        if batch:
            Unit.objects.bulk_update(batch, SEARCH_FIELDS_WRITE)


class Unit(models.Model):
    """What a facility offers that has its own beds and rules: a ward type or a care service."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(
        Facility, verbose_name=_("施設"), on_delete=models.CASCADE, related_name="units"
    )
    kind = models.ForeignKey(
        FacilityKind, verbose_name=_("病棟・サービス種別"), on_delete=models.PROTECT, related_name="units"
    )
    name = models.CharField(_("名称"), max_length=100)
    beds = models.PositiveIntegerField(_("病床数・定員"), default=0)
    sex_matters = models.BooleanField(
        _("男女別に空床を管理する"),
        default=False,
        help_text=_("多床室などで男女別に空きを数える場合"),
    )
    care_level_mask = models.PositiveIntegerField(
        _("受入れ可能な要介護度"),
        default=0,
        help_text=_("0 は要介護度を問わないことを表します"),
    )
    cost_min = models.PositiveIntegerField(_("月額費用の目安(下限・円)"), null=True, blank=True)
    cost_max = models.PositiveIntegerField(_("月額費用の目安(上限・円)"), null=True, blank=True)
    # Derived from the unit's capabilities by Unit.refresh_capability_masks(); never edited by hand.
    capability_mask = models.BigIntegerField(default=0, editable=False)
    conditional_mask = models.BigIntegerField(default=0, editable=False)
    active = models.BooleanField(_("受付中"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("並び順"), default=0)
    # Copies for the candidate search (tsunagu/cases/search.py), so that it reads one table
    # through one index. Written only by Unit.sync_search_fields(); never edited by hand.
    search_area = models.ForeignKey(
        MedicalArea,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    search_pref = models.CharField(max_length=2, blank=True, editable=False)
    search_lat = models.FloatField(null=True, blank=True, editable=False)
    search_lng = models.FloatField(null=True, blank=True, editable=False)
    search_free_now = models.PositiveIntegerField(default=0, editable=False)
    search_expected_7d = models.PositiveIntegerField(default=0, editable=False)
    search_vacancy_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Active unit of an active facility that is not full: the only rows a search looks at.
    search_open = models.BooleanField(default=False, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["facility", "sort_order", "name"]
        verbose_name = _("病棟・サービス単位")
        verbose_name_plural = _("病棟・サービス単位")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cost_min__isnull=True)
                | models.Q(cost_max__isnull=True)
                | models.Q(cost_min__lte=models.F("cost_max")),
                name="unit_cost_range_ordered",
            ),
        ]
        # Partial indexes over open units only: regional (area, kind), prefecture (pref, kind)
        # and the latitude band that the nationwide distance search widens step by step. Each
        # also carries what the search filters and ranks on, so that both databases answer
        # from the index alone and touch table rows only for the 50 results (SQLite indexes
        # hold the row id already; PostgreSQL gets it as an included column).
        indexes = [
            models.Index(
                fields=["search_area", "kind", *SEARCH_RANK_FIELDS],
                condition=models.Q(search_open=True),
                include=["id"],
                name="unit_search_area",
            ),
            models.Index(
                fields=["search_pref", "kind", *SEARCH_RANK_FIELDS],
                condition=models.Q(search_open=True),
                include=["id"],
                name="unit_search_pref",
            ),
            models.Index(
                fields=["search_lat", "search_lng", *SEARCH_RANK_FIELDS_BUT_PLACE],
                condition=models.Q(search_open=True),
                include=["id"],
                name="unit_search_latlng",
            ),
        ]

    def __str__(self):
        return f"{self.facility.name} {self.name}"

    @property
    def accepted_care_levels(self) -> list[str]:
        return care_levels_of(self.care_level_mask)

    def sync_search_fields(self, save=True, vacancy=_UNSET):
        """Copy what the candidate search filters on from the facility and the vacancy.

        Every write path calls this after changing a unit, its facility (location, area,
        active), its municipality (area, position) or its vacancy: the vacancy update, unit
        editing, imports, demo data, the municipality admin and the reference loader.
        """
        facility = self.facility
        municipality = facility.municipality
        if vacancy is _UNSET:
            vacancy = Vacancy.objects.filter(unit_id=self.pk).first() if self.pk else None
        self.search_area_id = municipality.area_id
        self.search_pref = municipality.pref_code
        self.search_lat = facility.lat if facility.lat is not None else municipality.lat
        self.search_lng = facility.lng if facility.lng is not None else municipality.lng
        self.search_free_now = vacancy.free_now if vacancy else 0
        self.search_expected_7d = vacancy.expected_7d if vacancy else 0
        self.search_vacancy_at = vacancy.updated_at if vacancy else None
        self.search_open = bool(
            self.active and facility.active and (self.search_free_now or self.search_expected_7d)
        )
        if save and self.pk:
            Unit.objects.filter(pk=self.pk).update(**{field: getattr(self, field) for field in SEARCH_FIELDS})

    def refresh_capability_masks(self, save=True):
        """Recompute the search masks from this unit's capability rows."""
        yes = conditional = 0
        for level, bit in self.capabilities.values_list("level", "need__bit"):
            if level == UnitCapability.Level.YES:
                yes |= 1 << bit
            elif level == UnitCapability.Level.CONDITIONAL:
                conditional |= 1 << bit
        self.capability_mask = yes | conditional
        self.conditional_mask = conditional
        if save:
            Unit.objects.filter(pk=self.pk).update(
                capability_mask=self.capability_mask, conditional_mask=self.conditional_mask
            )


SEARCH_FIELDS = (
    "search_area_id",
    "search_pref",
    "search_lat",
    "search_lng",
    "search_free_now",
    "search_expected_7d",
    "search_vacancy_at",
    "search_open",
)
SEARCH_FIELDS_WRITE = tuple(field.removesuffix("_id") for field in SEARCH_FIELDS)


class UnitCapability(models.Model):
    """Whether a unit accepts a care need: yes, conditional (with a note) or no."""

    class Level(models.TextChoices):
        YES = "yes", _("受入可")
        CONDITIONAL = "conditional", _("条件付き")
        NO = "no", _("不可")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="capabilities")
    need = models.ForeignKey(CareNeed, on_delete=models.PROTECT, related_name="capabilities")
    level = models.CharField(_("受入れ"), max_length=12, choices=Level.choices, default=Level.YES)
    note = models.CharField(_("条件"), max_length=200, blank=True)

    class Meta:
        ordering = ["need__sort_order", "need__bit"]
        verbose_name = _("受入可能な医療処置・状態")
        verbose_name_plural = _("受入可能な医療処置・状態")
        constraints = [
            models.UniqueConstraint(fields=["unit", "need"], name="unitcapability_unique_need"),
        ]

    def __str__(self):
        return f"{self.need}: {self.get_level_display()}"


class Vacancy(models.Model):
    """The current free beds of one unit. History lives in VacancyEvent."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="vacancy")
    free_now = models.PositiveIntegerField(_("今日の空床"), default=0)
    free_male = models.PositiveIntegerField(_("うち男性"), null=True, blank=True)
    free_female = models.PositiveIntegerField(_("うち女性"), null=True, blank=True)
    expected_7d = models.PositiveIntegerField(_("7日以内に空く見込み"), default=0)
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), null=True, blank=True, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # One more on every save or 「変更なし」: the vacancy page sends back the version it showed,
    # and a save from figures that a colleague changed meanwhile is refused.
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("空き状況")
        verbose_name_plural = _("空き状況")

    def __str__(self):
        return f"{self.unit}: {self.free_now}"

    @property
    def is_stale(self) -> bool:
        return self.updated_at is None or self.updated_at < stale_before()

    @property
    def is_full(self) -> bool:
        return self.free_now == 0 and self.expected_7d == 0


class VacancyEvent(models.Model):
    """One update of a unit's vacancy: who, when, what. Append-only."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="vacancy_events")
    free_now = models.PositiveIntegerField()
    free_male = models.PositiveIntegerField(null=True, blank=True)
    free_female = models.PositiveIntegerField(null=True, blank=True)
    expected_7d = models.PositiveIntegerField()
    unchanged = models.BooleanField(_("変更なし"), default=False)
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["unit", "-at"])]


class CoordinationDesk(models.Model):
    """入退院調整窓口: a facility's contact point for referrals."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="desks")
    name = models.CharField(_("窓口名"), max_length=100, default="地域医療連携室")
    role = models.CharField(
        _("担当職種"), max_length=100, blank=True, help_text=_("例: MSW、退院調整看護師、生活相談員")
    )
    phone = models.CharField(_("電話"), max_length=30, blank=True)
    fax = models.CharField(_("FAX"), max_length=30, blank=True)
    email = models.EmailField(_("メール"), blank=True)
    hours = models.CharField(_("受付時間"), max_length=200, blank=True, help_text=_("例: 平日 9:00〜17:00"))
    note = models.CharField(_("備考"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("並び順"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("入退院調整窓口")
        verbose_name_plural = _("入退院調整窓口")

    def __str__(self):
        return f"{self.facility.name} {self.name}"


class ImportRunQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=ImportRun.Status.PENDING).order_by("created_at")


class ImportRun(models.Model):
    """One facility file uploaded by the network office, imported by the worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待機中")
        RUNNING = "running", _("取込み中")
        DONE = "done", _("完了")
        FAILED = "failed", _("取り込めませんでした")

    class Phase(models.TextChoices):
        WAITING = "waiting", _("順番待ち")
        VALIDATING = "validating", _("内容を確認中")
        WRITING = "writing", _("書き込み中")
        FINISHED = "finished", _("終了")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    format = models.CharField(_("形式"), max_length=20, choices=Facility.Source.choices)
    filename = models.CharField(_("ファイル名"), max_length=200)
    content = models.BinaryField(_("ファイルの内容"))
    dry_run = models.BooleanField(_("確認だけ (書き込まない)"), default=False)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.PENDING)
    phase = models.CharField(_("段階"), max_length=12, choices=Phase.choices, default=Phase.WAITING)
    total = models.PositiveIntegerField(_("行数"), default=0)
    processed = models.PositiveIntegerField(_("処理済みの行"), default=0)
    created_count = models.PositiveIntegerField(_("新規"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("変更なし"), default=0)
    error_count = models.PositiveIntegerField(_("誤りの数"), default=0)
    errors = models.JSONField(_("誤り"), default=list, blank=True)
    summary = models.TextField(_("結果"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("受付日時"), default=timezone.now)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("施設データの取込み")
        verbose_name_plural = _("施設データの取込み")

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


def resync_units_of_municipalities(municipalities):
    """Rewrite the search copies of every unit in these municipalities (settings.MUNICIPALITY_CHANGE_HOOKS)."""
    Unit.objects.filter(facility__municipality__in=municipalities).sync_search_fields()
