from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from tsunagu.accounts.models import Membership, User
from tsunagu.audit.admin import AuditedAdminMixin


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0


@admin.register(User)
class TsunaguUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username",
        "display_name",
        "is_office",
        "must_change_password",
        "last_login",
        "is_active",
    ]
    list_filter = ["is_office", "is_active", "must_change_password"]
    search_fields = ["username", "display_name", "email"]
    fieldsets = UserAdmin.fieldsets + (
        (
            "つなぐ",
            {
                "fields": [
                    "display_name",
                    "is_office",
                    "wants_email",
                    "must_change_password",
                    "password_changed_at",
                ]
            },
        ),
    )
    readonly_fields = ["password_changed_at", "last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        # A password typed by an administrator is an initial password: the user replaces it.
        if not change or "password" in form.changed_data:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)


# django-otp's own admins, registered again: audited, and 404 (not 500) for a device id that
# does not exist. The key and the QR code stay hidden (OTP_ADMIN_HIDE_SENSITIVE_DATA).
class AuditedTOTPDeviceAdmin(AuditedAdminMixin, TOTPDeviceAdmin):
    def audit_detail(self, obj):
        return {"of_user": obj.user.get_username()}

    def config_view(self, request, pk):
        get_object_or_404(TOTPDevice, pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        get_object_or_404(TOTPDevice, pk=pk)
        return super().qrcode_view(request, pk)


class AuditedStaticDeviceAdmin(AuditedAdminMixin, StaticDeviceAdmin):
    def audit_detail(self, obj):
        return {"of_user": obj.user.get_username()}


for _model, _admin_class in [(TOTPDevice, AuditedTOTPDeviceAdmin), (StaticDevice, AuditedStaticDeviceAdmin)]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
