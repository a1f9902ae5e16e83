"""Users, their facility membership and role."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in. Network-office users (事務局) see and administer the whole network."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    is_office = models.BooleanField(_("事務局"), default=False)
    wants_email = models.BooleanField(_("新しい依頼をメールで受け取る"), default=True)

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")

    def __str__(self):
        return self.display_name or self.username

    @property
    def facility(self):
        membership = getattr(self, "membership", None)
        return membership.facility if membership else None

    @property
    def is_facility_admin(self) -> bool:
        membership = getattr(self, "membership", None)
        return bool(membership and membership.role == Membership.Role.FACILITY_ADMIN)


class Membership(models.Model):
    """The facility a user works for, and the role they hold there."""

    class Role(models.TextChoices):
        STAFF = "staff", _("職員")
        FACILITY_ADMIN = "facility_admin", _("施設管理者")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")

    def __str__(self):
        return f"{self.user} @ {self.facility} ({self.get_role_display()})"
