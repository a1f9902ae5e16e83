"""The audit trail: one append-only row per login, logout, view and change.

Rows are never updated or deleted by the product: the model refuses it, and a database
trigger (see migration 0002) refuses it for any other client of the database too.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(_("アクセス記録は変更できません。"))

    def delete(self):
        raise AppendOnlyError(_("アクセス記録は削除できません。"))


class AppendOnlyError(Exception):
    pass


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("ログイン")
        LOGOUT = "logout", _("ログアウト")
        LOGIN_FAILED = "login_failed", _("ログイン失敗")
        LOCKOUT = "lockout", _("ロックアウト")
        LOGOUT_EVERYWHERE = "logout_everywhere", _("全端末からログアウト")
        PASSWORD_CHANGE = "password_change", _("パスワード変更")
        OTP_SETUP = "otp_setup", _("二要素認証の設定")
        OTP_VERIFY = "otp_verify", _("二要素認証の確認")
        OTP_FAILED = "otp_failed", _("二要素認証の失敗")
        OTP_RECOVERY_CODES = "otp_recovery_codes", _("回復コードの発行")
        OTP_DISABLE = "otp_disable", _("二要素認証の解除")
        VIEW = "view", _("閲覧")
        CREATE = "create", _("作成")
        UPDATE = "update", _("更新")
        DELETE = "delete", _("削除")
        TRANSITION = "transition", _("状態変更")
        EXPORT = "export", _("書き出し")
        IMPORT = "import", _("取り込み")
        DENIED = "denied", _("アクセス拒否")
        UNLOCK = "unlock", _("ロック解除")

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    # DO_NOTHING without a database constraint: deleting a user or facility must not rewrite
    # the trail (the trigger would refuse it anyway); the ids and snapshots stay as recorded.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # Snapshots keep the record readable after a user or facility is renamed or removed.
    username = models.CharField(_("利用者"), max_length=150, blank=True)
    facility = models.ForeignKey(
        "facilities.Facility",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    facility_name = models.CharField(_("施設"), max_length=200, blank=True)
    action = models.CharField(_("操作"), max_length=30, choices=Action.choices)
    object_type = models.CharField(_("対象の種類"), max_length=50, blank=True)
    # A public id or reference code, never personal data.
    object_ref = models.CharField(_("対象"), max_length=100, blank=True, db_index=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    user_agent = models.CharField(_("ブラウザ"), max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("アクセス記録")
        verbose_name_plural = _("アクセス記録")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "-at"], name="audit_user_at"),
            models.Index(fields=["facility", "-at"], name="audit_facility_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_action_display()} {self.object_ref}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise AppendOnlyError(_("アクセス記録は変更できません。"))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("アクセス記録は削除できません。"))
