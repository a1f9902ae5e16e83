"""The Django admin, open only after the second factor wherever the second factor is required."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class SecondFactorAdminSite(admin.AdminSite):
    """Staff reach the admin only with a session that passed the second factor.

    The login already sends staff to the second factor (User.needs_second_factor); this is the
    gate at the admin itself, so that a session that skipped it (an account made staff after it
    logged in) is sent to the admin's login instead of in.
    """

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if not settings.OTP_REQUIRED_FOR_ADMINS:
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())


class TsunaguAdminConfig(AdminConfig):
    default_site = "tsunagu.accounts.admin_site.SecondFactorAdminSite"
