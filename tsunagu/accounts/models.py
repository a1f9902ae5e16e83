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
    # An initial password set by an administrator must be replaced by the user at first login.
    must_change_password = models.BooleanField(_("次回ログイン時にパスワード変更が必要"), default=False)
    password_changed_at = models.DateTimeField(_("パスワード変更日時"), null=True, blank=True)
    # Part of the session hash: raising it ends every session of the user ("logout everywhere").
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")

    def __str__(self):
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret=None):
        # Django checks this hash on every request; mixing in session_epoch lets
        # end_all_sessions() invalidate every session without scanning the session table.
        from django.utils.crypto import salted_hmac

        key_salt = "tsunagu.accounts.User.session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def end_all_sessions(self):
        """Log this user out on every browser and device."""
        User.objects.filter(pk=self.pk).update(session_epoch=models.F("session_epoch") + 1)
        self.refresh_from_db(fields=["session_epoch"])

    @property
    def needs_second_factor(self) -> bool:
        """Network-office users, facility admins and whoever may open the admin (staff) must use
        two-factor authentication."""
        return self.is_office or self.is_staff or self.is_superuser or self.is_facility_admin

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
    facility = models.ForeignKey("facilities.Facility", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")

    def __str__(self):
        return f"{self.user} @ {self.facility} ({self.get_role_display()})"
