from django.conf import settings

from tsunagu.accounts.access import member_facility


def membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_facility": member_facility(user),
        # A demo run may make the second factor optional; every page then says so.
        "otp_optional_demo": not settings.OTP_REQUIRED_FOR_ADMINS,
    }
