"""Reference data of the network: areas, municipalities, facility kinds, care needs."""

import math

from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

# Capability sets are stored as bit masks on units so that the search can test
# "covers every required need" in one predicate. A signed 64-bit column gives 63 bits.
MAX_CARE_NEED_BITS = 63


class MedicalArea(models.Model):
    """二次医療圏 (secondary medical area)."""

    code = models.CharField(_("コード"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    pref_code = models.CharField(_("都道府県コード"), max_length=2, db_index=True)
    pref_name = models.CharField(_("都道府県"), max_length=10)

    class Meta:
        ordering = ["code"]
        verbose_name = _("二次医療圏")
        verbose_name_plural = _("二次医療圏")

    def __str__(self):
        return self.name


class MunicipalityQuerySet(models.QuerySet):
    def sync_unit_search_fields(self):
        """Rewrite the search copies of every unit in these municipalities.

        Units carry their municipality's area, prefecture and (when the facility has no position
        of its own) coordinates for the candidate search (Unit.sync_search_fields()). Every write
        path that changes a municipality calls this: the admin and the reference loader.
        """
        # The apps above keep copies of municipality data; they list what to rewrite in
        # settings.MUNICIPALITY_CHANGE_HOOKS, so this app needs no import of them.
        for path in settings.MUNICIPALITY_CHANGE_HOOKS:
            import_string(path)(self)


class Municipality(models.Model):
    """市区町村 (or a ward of a designated city) with its 6-digit local-government code."""

    code = models.CharField(_("団体コード"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    kana = models.CharField(_("よみがな"), max_length=100, blank=True)
    pref_code = models.CharField(_("都道府県コード"), max_length=2, db_index=True)
    pref_name = models.CharField(_("都道府県"), max_length=10)
    area = models.ForeignKey(
        MedicalArea,
        verbose_name=_("二次医療圏"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="municipalities",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("政令市"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wards",
    )
    lat = models.FloatField(_("緯度"), null=True, blank=True)
    lng = models.FloatField(_("経度"), null=True, blank=True)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("市区町村")
        verbose_name_plural = _("市区町村")

    def __str__(self):
        return self.name

    @property
    def code5(self) -> str:
        return self.code[:5]


class FacilityKind(models.Model):
    """A kind of facility or of unit (ward type, care service)."""

    class Group(models.TextChoices):
        HOSPITAL = "hospital", _("病院・病棟")
        CLINIC = "clinic", _("診療所")
        HOME_CARE = "home_care", _("在宅医療・訪問看護")
        CARE_HOME = "care_home", _("介護施設・住まい")
        CARE_MANAGER = "care_manager", _("居宅介護支援")

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    short_name = models.CharField(_("略称"), max_length=20, blank=True)
    group = models.CharField(_("分類"), max_length=20, choices=Group.choices)
    has_beds = models.BooleanField(_("入所・入院の受入れ"), default=True)
    is_unit_kind = models.BooleanField(
        _("病棟・サービス単位として使う"),
        default=True,
        help_text=_("病棟種別やサービス種別として単位に付けられるもの"),
    )
    sort_order = models.PositiveSmallIntegerField(_("並び順"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("施設種別")
        verbose_name_plural = _("施設種別")

    def __str__(self):
        return self.short_name or self.name


class CareNeed(models.Model):
    """A catalogue item: a procedure or condition a unit can accept (胃ろう, 看取り…)."""

    class Group(models.TextChoices):
        NUTRITION = "nutrition", _("栄養")
        RESPIRATORY = "respiratory", _("呼吸")
        RENAL = "renal", _("腎・泌尿")
        DIGESTIVE = "digestive", _("消化器")
        METABOLIC = "metabolic", _("代謝")
        SKIN = "skin", _("皮膚")
        PALLIATIVE = "palliative", _("疼痛・緩和")
        INFECTION = "infection", _("感染")
        COGNITION = "cognition", _("認知・精神")
        REHABILITATION = "rehabilitation", _("リハビリ")
        MONITORING = "monitoring", _("管理")
        MEDICATION = "medication", _("薬剤")
        SOCIAL = "social", _("社会的")

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=60)
    group = models.CharField(_("分類"), max_length=20, choices=Group.choices)
    bit = models.PositiveSmallIntegerField(
        _("ビット位置"),
        unique=True,
        help_text=_("検索用の内部番号 (0〜62)。一度決めたら変えないでください。"),
    )
    at_night_matters = models.BooleanField(
        _("夜間の対応を区別する"),
        default=False,
        help_text=_("喀痰吸引のように、夜間も必要かどうかで受入れが変わるもの"),
    )
    sort_order = models.PositiveSmallIntegerField(_("並び順"), default=0)
    active = models.BooleanField(_("使用中"), default=True)

    class Meta:
        ordering = ["sort_order", "bit"]
        verbose_name = _("医療処置・状態")
        verbose_name_plural = _("医療処置・状態")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(bit__lt=MAX_CARE_NEED_BITS), name="careneed_bit_in_range"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def mask(self) -> int:
        return 1 << self.bit

    @classmethod
    def next_free_bit(cls) -> int:
        used = set(cls.objects.values_list("bit", flat=True))
        for bit in range(MAX_CARE_NEED_BITS):
            if bit not in used:
                return bit
        raise ValueError("care-need catalogue is full")


def mask_of(needs) -> int:
    """The bit mask of an iterable of CareNeed objects."""
    mask = 0
    for need in needs:
        mask |= 1 << need.bit
    return mask


class CareLevel(models.TextChoices):
    """要介護度."""

    NONE = "none", _("非該当")
    PENDING = "pending", _("申請中")
    SUPPORT1 = "s1", _("要支援1")
    SUPPORT2 = "s2", _("要支援2")
    CARE1 = "c1", _("要介護1")
    CARE2 = "c2", _("要介護2")
    CARE3 = "c3", _("要介護3")
    CARE4 = "c4", _("要介護4")
    CARE5 = "c5", _("要介護5")


CARE_LEVEL_BITS = {value: index for index, value in enumerate(CareLevel.values)}


def care_level_mask(levels) -> int:
    mask = 0
    for level in levels:
        mask |= 1 << CARE_LEVEL_BITS[level]
    return mask


def care_levels_of(mask: int) -> list[str]:
    return [level for level, bit in CARE_LEVEL_BITS.items() if mask & (1 << bit)]


def distance_km(lat1, lng1, lat2, lng2) -> float | None:
    """Great-circle distance in kilometres, or None when a point is unknown."""
    if None in (lat1, lng1, lat2, lng2):
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
