"""Two-factor devices and recovery codes of a user (django-otp)."""

from base64 import b32encode

import segno
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10


def confirmed_totp(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp(user) -> TOTPDevice:
    """The device being set up (not yet confirmed); created on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="スマートフォン", confirmed=False)
    return device


def secret_for_display(device) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)


@transaction.atomic
def confirm_totp(device):
    """Make the device the user's one confirmed TOTP device."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with fresh ones; each works once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="回復コード", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def remove_second_factor(user):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# What the login still needs: "verify" (prove the second factor), "setup" (a required second
# factor is not set up yet) or "" (nothing).
SECOND_FACTOR_SESSION_KEY = "tsunagu_second_factor"


def second_factor_step(user) -> str:
    if has_second_factor(user):
        return "verify"
    if user.needs_second_factor:
        return "setup"
    return ""


def mark_second_factor_done(request):
    """The login is complete. The session gets a new id, as at the first factor: an id someone
    learned before the second factor (a fixed or stolen cookie) is worth nothing after it."""
    request.session[SECOND_FACTOR_SESSION_KEY] = ""
    request.session.cycle_key()
