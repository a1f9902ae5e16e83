from django.conf import settings


def membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_facility": user.facility,
        # A demo run may make the second factor optional; every page then says so.
        "otp_optional_demo": not settings.OTP_REQUIRED_FOR_ADMINS,
    }
