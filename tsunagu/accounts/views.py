"""Login, password change, two-factor authentication and logout everywhere."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from tsunagu.accounts import lockouts, security
from tsunagu.accounts.forms import GuidelinePasswordChangeForm, PasswordConfirmForm, TokenForm, UnlockForm
from tsunagu.audit.services import Action, record
from tsunagu.lib.access import office_required


def _next_url(request, default="home"):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


login_view = login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True))


@require_http_methods(["GET"])
def account(request):
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "has_second_factor": security.has_second_factor(user),
            "codes_left": security.recovery_codes_left(user),
            "second_factor_required": user.needs_second_factor,
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
        },
    )


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_change(request):
    user = request.user
    form = GuidelinePasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save(commit=False)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        # Other sessions end (the session hash includes the password); this one stays.
        update_session_auth_hash(request, user)
        record(request, Action.PASSWORD_CHANGE, user=user)
        messages.success(request, _("パスワードを変更しました。"))
        return redirect(_next_url(request, "accounts:account"))
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "forced": user.must_change_password,
            "next": _next_url(request, ""),
        },
    )


@require_POST
def logout_everywhere(request):
    user = request.user
    record(request, Action.LOGOUT_EVERYWHERE, user=user)
    user.end_all_sessions()
    logout(request)
    messages.success(request, _("すべての端末からログアウトしました。"))
    return redirect(settings.LOGIN_URL)


@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Show the QR code of a new device; a correct code confirms it and shows recovery codes once."""
    user = request.user
    if request.session.get(security.SECOND_FACTOR_SESSION_KEY) == "verify":
        return redirect("accounts:otp_verify")
    device = security.pending_totp(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            security.confirm_totp(device)
            codes = security.new_recovery_codes(user)
            otp_login(request, device)
            security.mark_second_factor_done(request)
            record(request, Action.OTP_SETUP, user=user)
            record(request, Action.OTP_RECOVERY_CODES, user=user)
            return render(
                request,
                "accounts/recovery_codes.html",
                {
                    "codes": codes,
                    "just_set_up": True,
                    "next": _next_url(request, ""),
                },
            )
        record(request, Action.OTP_FAILED, user=user, detail={"step": "setup"})
        form.add_error("token", _("確認コードが正しくありません。アプリの時刻設定も確かめてください。"))
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": security.qr_data_uri(device),
            "secret": security.secret_for_display(device),
            "replacing": security.has_second_factor(user),
            "next": _next_url(request, ""),
        },
    )


@require_http_methods(["GET", "POST"])
def otp_verify(request):
    user = request.user
    if request.session.get(security.SECOND_FACTOR_SESSION_KEY) != "verify":
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            security.mark_second_factor_done(request)
            used_recovery = device.__class__.__name__ == "StaticDevice"
            record(request, Action.OTP_VERIFY, user=user, detail={"recovery_code": used_recovery})
            if used_recovery:
                messages.warning(
                    request,
                    _("回復コードを使いました。残り%(n)d個です。")
                    % {"n": security.recovery_codes_left(user)},
                )
            return redirect(_next_url(request))
        record(request, Action.OTP_FAILED, user=user, detail={"step": "verify"})
        form.add_error("token", _("確認コードが正しくありません。"))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request, "")})


@require_POST
def recovery_codes(request):
    """Issue a fresh set of recovery codes (the old ones stop working)."""
    user = request.user
    if not security.has_second_factor(user):
        return redirect("accounts:otp_setup")
    codes = security.new_recovery_codes(user)
    record(request, Action.OTP_RECOVERY_CODES, user=user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "just_set_up": False})


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def otp_disable(request):
    """Turn two-factor authentication off (not for users who must use it)."""
    user = request.user
    if user.needs_second_factor and settings.OTP_REQUIRED_FOR_ADMINS:
        messages.error(request, _("事務局と施設管理者は二要素認証を解除できません。"))
        return redirect("accounts:account")
    form = PasswordConfirmForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        security.remove_second_factor(user)
        record(request, Action.OTP_DISABLE, user=user)
        messages.success(request, _("二要素認証を解除しました。"))
        return redirect("accounts:account")
    return render(request, "accounts/otp_disable.html", {"form": form})


def _cooloff_minutes():
    return round(settings.AXES_COOLOFF_TIME * 60)


@office_required
@require_http_methods(["GET"])
def lockout_list(request):
    """事務局 → ロック中のアカウント: user names locked at an address, with a button to unlock."""
    return render(
        request,
        "accounts/lockouts.html",
        {
            "lockouts": lockouts.current_lockouts(),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": _cooloff_minutes(),
        },
    )


@office_required
@require_POST
def unlock(request):
    form = UnlockForm(request.POST)
    if not form.is_valid():
        raise Http404(_("ロックが見つかりません。"))
    username, ip_address = form.cleaned_data["username"], form.cleaned_data["ip_address"]
    if not lockouts.unlock(username, ip_address):
        raise Http404(_("ロックが見つかりません。"))
    record(
        request,
        Action.UNLOCK,
        object_type="user",
        object_ref=username,
        detail={"username": username, "ip": ip_address},
    )
    messages.success(
        request,
        _("%(username)s (%(ip)s) のロックを解除しました。") % {"username": username, "ip": ip_address},
    )
    return redirect("accounts:lockouts")


def lockout_response(request, original_response=None, credentials=None):
    """The page django-axes shows instead of the login form while a user name is locked."""
    return render(
        request,
        "accounts/lockout.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": _cooloff_minutes(),
        },
        status=429,
    )
