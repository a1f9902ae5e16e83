"""Anonymous cases: the description of one patient who needs a place.

A case never holds what identifies a person. There is no field for a name, birth
date, address, phone, patient or insurance number, and the free-text fields pass
the personal-data guard (tsunagu.lib.privacy).
"""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tsunagu.lib.privacy import validate_no_personal_data
from tsunagu.network.models import CareLevel, CareNeed, FacilityKind, MedicalArea, Municipality

SUMMARY_MAX_LENGTH = 800
OUTCOME_NOTE_MAX_LENGTH = 400

# 5-year age bands stored as their lower bound: 65 means 65〜69歳, 100 means 100歳以上.
AGE_BAND_TOP = 100
AGE_BAND_CHOICES = [
    (low, format_lazy(_("{low}〜{high}歳"), low=low, high=low + 4)) for low in range(0, AGE_BAND_TOP, 5)
] + [(AGE_BAND_TOP, format_lazy(_("{low}歳以上"), low=AGE_BAND_TOP))]

# "At night too": the catalogue keeps some needs as a day item and a separate night item
# (喀痰吸引(日中) / 喀痰吸引(夜間も)) because units declare them separately. On a case, the
# day item carries a 「夜間も」 tick; when ticked, the case requires the night item *instead*
# of the day item (a unit that suctions at night suctions by day too). Needs flagged
# at_night_matters without a separate night item keep their own bit and record
# CaseNeed.at_night, which receivers see with the case.
NIGHT_VARIANTS = {"suction_day": "suction_night"}

# The social catalogue items that the case form asks as yes/no flags.
FLAG_NEEDS = {"no_guarantor": "no_guarantor", "welfare": "welfare"}


class Sex(models.TextChoices):
    MALE = "male", _("男性")
    FEMALE = "female", _("女性")
    OTHER = "other", _("その他・不明")


class ConditionCategory(models.TextChoices):
    STROKE = "stroke", _("脳血管疾患")
    ORTHOPAEDIC = "orthopaedic", _("骨折・整形外科")
    CARDIAC = "cardiac", _("心疾患")
    RESPIRATORY = "respiratory", _("呼吸器疾患")
    CANCER = "cancer", _("がん")
    DEMENTIA = "dementia", _("認知症")
    NEURO_INTRACTABLE = "neuro_intractable", _("神経難病")
    RENAL = "renal", _("腎疾患")
    DISUSE = "disuse", _("廃用症候群")
    PSYCHIATRIC = "psychiatric", _("精神疾患")
    OTHER = "other", _("その他")


class DementiaLevel(models.TextChoices):
    """認知症高齢者の日常生活自立度."""

    INDEPENDENT = "independent", _("自立")
    I = "I", "I"  # noqa: E741 - the official grade name
    IIA = "IIa", "IIa"
    IIB = "IIb", "IIb"
    IIIA = "IIIa", "IIIa"
    IIIB = "IIIb", "IIIb"
    IV = "IV", "IV"
    M = "M", "M"


class MobilityLevel(models.TextChoices):
    """障害高齢者の日常生活自立度 (寝たきり度)."""

    J1 = "J1", "J1"
    J2 = "J2", "J2"
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


class MedicalClass(models.TextChoices):
    CLASS1 = "1", _("医療区分1")
    CLASS2 = "2", _("医療区分2")
    CLASS3 = "3", _("医療区分3")


class AdlClass(models.TextChoices):
    CLASS1 = "1", _("ADL区分1")
    CLASS2 = "2", _("ADL区分2")
    CLASS3 = "3", _("ADL区分3")


class CaseStateError(Exception):
    """A status change that the case's current state does not allow."""


class CaseCounter(models.Model):
    """The last reference number handed out in a year (C-YYYY-NNNNN)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("患者番号の採番")
        verbose_name_plural = _("患者番号の採番")

    def __str__(self):
        return f"{self.year}: {self.last}"


def allocate_ref(year: int) -> str:
    """The next free reference code of the year, e.g. C-2026-00123.

    The counter row is created if missing (INSERT … ON CONFLICT DO NOTHING), then
    incremented with a single UPDATE: the row stays locked until the surrounding
    transaction commits, so two concurrent registrations never get the same number
    (on PostgreSQL the second UPDATE waits and re-reads; SQLite serialises writers).
    """
    with transaction.atomic():
        CaseCounter.objects.bulk_create([CaseCounter(year=year, last=0)], ignore_conflicts=True)
        CaseCounter.objects.filter(year=year).update(last=F("last") + 1)
        number = CaseCounter.objects.filter(year=year).values_list("last", flat=True).get()
    return f"C-{year}-{number:05d}"


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Cases the user may see: the own facility's; the network office sees all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_office:
            return self.all()
        facility = user.facility
        if facility is None:
            return self.none()
        return self.filter(self.visible_to_facility_q(facility))

    @staticmethod
    def visible_to_facility_q(facility) -> Q:
        """What a member of `facility` may see, as one condition.

        The owner's cases. Cases addressed to the facility (referrals to its units) and
        cases published for offers are added here as further `| Q(...)` terms, written
        as subqueries (pk__in=…) so that the result needs no DISTINCT.
        """
        # Through the reverse relation of the referrals app's Referral.case, so this app needs no import of it.
        addressed = Case.objects.filter(referrals__receiver=facility).values("pk")
        published = Case.objects.filter(
            status=Case.Status.OPEN,
            published_for_offers=True,
            municipality__area__municipalities=facility.municipality_id,
        ).values("pk")
        return Q(owner=facility) | Q(pk__in=addressed) | Q(pk__in=published)

    def owned_by(self, facility):
        return self.filter(owner=facility)

    def open(self):
        return self.filter(status=Case.Status.OPEN)

    def matched(self):
        return self.filter(status=Case.Status.MATCHED)

    def closed(self):
        return self.filter(status=Case.Status.CLOSED)

    def published_for_offers(self):
        return self.open().filter(published_for_offers=True)

    def with_progress(self):
        """Cases with what the case list shows about their progress.

        Loads the needs and the municipality in constant queries; the referral counts
        are added here as annotations by the referrals app.
        """
        return self.select_related("municipality", "created_by").prefetch_related(
            models.Prefetch("needs", queryset=CaseNeed.objects.select_related("need")),
        )

    def status_counts(self) -> dict[str, int]:
        """{status: count} for every status, zeros included, in one query."""
        counts = dict.fromkeys(Case.Status.values, 0)
        for row in self.order_by().values("status").annotate(n=models.Count("pk")):
            counts[row["status"]] = row["n"]
        return counts


class Case(models.Model):
    """患者登録(匿名): one patient who needs a place, described without identifying them."""

    class Status(models.TextChoices):
        OPEN = "open", _("調整中")
        MATCHED = "matched", _("受入先決定")
        CLOSED = "closed", _("終了")

    class Outcome(models.TextChoices):
        TRANSFERRED = "transferred", _("転院・入所した")
        HOME = "home", _("自宅へ退院した")
        DIED = "died", _("亡くなった")
        CANCELLED = "cancelled", _("依頼を取りやめた")
        OTHER = "other", _("その他")

    # Allowed status changes; everything else raises CaseStateError.
    TRANSITIONS = {
        Status.OPEN: {Status.MATCHED, Status.CLOSED},
        Status.MATCHED: {Status.OPEN, Status.CLOSED},
        Status.CLOSED: set(),
    }

    ref = models.CharField(_("患者番号"), max_length=16, unique=True, editable=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        "facilities.Facility", verbose_name=_("登録施設"), on_delete=models.PROTECT, related_name="cases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登録日時"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    age_band = models.PositiveSmallIntegerField(_("年代"), choices=AGE_BAND_CHOICES)
    sex = models.CharField(_("性別"), max_length=8, choices=Sex.choices)
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("お住まいの市区町村"), on_delete=models.PROTECT, related_name="cases"
    )
    condition_category = models.CharField(_("主な疾患"), max_length=24, choices=ConditionCategory.choices)
    care_level = models.CharField(_("要介護度"), max_length=8, choices=CareLevel.choices, blank=True)
    dementia_level = models.CharField(
        _("認知症高齢者の日常生活自立度"), max_length=12, choices=DementiaLevel.choices, blank=True
    )
    mobility_level = models.CharField(
        _("障害高齢者の日常生活自立度"), max_length=2, choices=MobilityLevel.choices, blank=True
    )
    medical_class = models.CharField(_("医療区分"), max_length=1, choices=MedicalClass.choices, blank=True)
    adl_class = models.CharField(_("ADL区分"), max_length=1, choices=AdlClass.choices, blank=True)

    wished_kinds = models.ManyToManyField(
        FacilityKind, verbose_name=_("希望する施設種別"), blank=True, related_name="+"
    )
    wished_areas = models.ManyToManyField(
        MedicalArea, verbose_name=_("希望する地域(二次医療圏)"), blank=True, related_name="+"
    )
    wished_date = models.DateField(_("受入れ希望日"), null=True, blank=True)
    budget_monthly = models.PositiveIntegerField(_("月額の予算(円)"), null=True, blank=True)
    no_guarantor = models.BooleanField(_("身寄りなし・身元保証人なし"), default=False)
    welfare = models.BooleanField(_("生活保護"), default=False)
    summary = models.TextField(
        _("経過・補足"),
        max_length=SUMMARY_MAX_LENGTH,
        blank=True,
        validators=[validate_no_personal_data],
        help_text=_("氏名・生年月日・住所・電話番号・患者IDなど、個人を特定できる情報は書かないでください。"),
    )
    published_for_offers = models.BooleanField(
        _("受入れ打診を受け付ける"),
        default=False,
        help_text=_("空床のある施設が、この患者(匿名)を見て受入れを申し出られるようにします。"),
    )

    status = models.CharField(_("状態"), max_length=8, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("結果"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(
        _("結果の補足"),
        max_length=OUTCOME_NOTE_MAX_LENGTH,
        blank=True,
        validators=[validate_no_personal_data],
    )
    closed_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("終了した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Derived from the case's CaseNeed rows by refresh_required_mask(); the search
    # filters units whose capability_mask covers it.
    required_mask = models.BigIntegerField(default=0, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("患者登録")
        verbose_name_plural = _("患者登録")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="closed") & ~Q(outcome="") & Q(closed_at__isnull=False))
                | (~Q(status="closed") & Q(outcome="") & Q(closed_at__isnull=True)),
                name="case_outcome_iff_closed",
            ),
            models.CheckConstraint(condition=Q(age_band__lte=AGE_BAND_TOP), name="case_age_band_in_range"),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="case_owner_status"),
            models.Index(fields=["status", "municipality"], name="case_status_municipality"),
            models.Index(
                fields=["municipality"],
                condition=Q(status="open", published_for_offers=True),
                name="case_open_published",
            ),
        ]

    def __str__(self):
        return self.ref

    def save(self, *args, **kwargs):
        # The reference code is the case's identity: allocated with the insert, in one transaction.
        if not self.ref:
            with transaction.atomic():
                self.ref = allocate_ref(timezone.localtime(self.created_at).year)
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)

    # -- needs ---------------------------------------------------------------------

    def set_needs(self, needs, at_night=()):
        """Replace the case's care needs.

        `needs` are CareNeed objects; `at_night` those of them ticked 「夜間も」. A day item
        with a night variant (NIGHT_VARIANTS) is stored as its night item instead. The
        catalogue items behind the no_guarantor / welfare flags follow the flags.
        """
        night_ids = {need.pk for need in at_night}
        flag_codes = set(FLAG_NEEDS.values())
        wanted = {}  # need code -> at_night
        for need in needs:
            if need.code in flag_codes:
                continue
            night = need.pk in night_ids or need.code in NIGHT_VARIANTS.values()
            code = NIGHT_VARIANTS.get(need.code, need.code) if night else need.code
            wanted[code] = wanted.get(code, False) or night
        for field, code in FLAG_NEEDS.items():
            if getattr(self, field):
                wanted[code] = False
        catalogue = {n.code: n for n in CareNeed.objects.filter(code__in=wanted)}
        with transaction.atomic():
            self.needs.all().delete()
            CaseNeed.objects.bulk_create(
                [
                    CaseNeed(case=self, need=catalogue[code], at_night=night)
                    for code, night in wanted.items()
                    if code in catalogue
                ]
            )
            self.refresh_required_mask()

    def refresh_required_mask(self, save=True):
        """Recompute required_mask from the CaseNeed rows."""
        mask = 0
        for bit in self.needs.values_list("need__bit", flat=True):
            mask |= 1 << bit
        self.required_mask = mask
        if save:
            Case.objects.filter(pk=self.pk).update(required_mask=mask)

    # -- status ----------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def _change_status(self, to, **fields):
        """Compare-and-set: succeeds only if the row still has the status we read."""
        if self.status == self.Status.CLOSED:
            raise CaseStateError(_("この患者登録はすでに終了しています。"))
        if to not in self.TRANSITIONS[self.status]:
            raise CaseStateError(
                _("「%(old)s」の患者登録を「%(new)s」にはできません。")
                % {"old": self.Status(self.status).label, "new": self.Status(to).label}
            )
        now = timezone.now()
        changed = Case.objects.filter(pk=self.pk, status=self.status).update(
            status=to, updated_at=now, **fields
        )
        if not changed:
            raise CaseStateError(_("この患者登録は他の人が先に更新しました。画面を読み込み直してください。"))
        self.status = to
        self.updated_at = now
        for name, value in fields.items():
            setattr(self, name, value)

    def close(self, outcome, note="", by=None):
        """End the case with its outcome (転院・入所, 自宅, 死亡, 取りやめ, その他)."""
        if outcome not in self.Outcome.values:
            raise CaseStateError(_("結果を選んでください。"))
        validate_no_personal_data(note, max_length=OUTCOME_NOTE_MAX_LENGTH)
        self._change_status(
            self.Status.CLOSED, outcome=outcome, outcome_note=note, closed_at=timezone.now(), closed_by=by
        )

    def mark_matched(self):
        """The case has a confirmed receiver (called when a referral is confirmed)."""
        self._change_status(self.Status.MATCHED)

    def reopen(self):
        """Back to open after the confirmed receiver fell through."""
        self._change_status(self.Status.OPEN)


class CaseNeed(models.Model):
    """One required care need of a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs")
    need = models.ForeignKey(CareNeed, on_delete=models.PROTECT, related_name="+")
    at_night = models.BooleanField(_("夜間も"), default=False)

    class Meta:
        ordering = ["need__sort_order", "need__bit"]
        verbose_name = _("必要な医療処置・状態")
        verbose_name_plural = _("必要な医療処置・状態")
        constraints = [
            models.UniqueConstraint(fields=["case", "need"], name="caseneed_unique_need"),
        ]

    def __str__(self):
        return f"{self.need.label}{_('(夜間も)') if self.at_night else ''}"
