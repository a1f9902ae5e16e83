"""Completes the login before any other page, and ends idle sessions.

The steps still due are worked out once at login (tsunagu.accounts.signals) and kept in the
session, so an ordinary request costs no extra query.
"""

import time
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from tsunagu.accounts.security import SECOND_FACTOR_SESSION_KEY, second_factor_step
from tsunagu.lib.polling import is_poll

# The idle timer is pushed forward at most once a minute, not on every request.
LAST_SEEN_SESSION_KEY = "tsunagu_last_seen"
_TOUCH_EVERY_SECONDS = 60


def now() -> int:
    """The clock of the idle timeout, in whole seconds (tests move it)."""
    return int(time.time())


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if self.idle_expired(request):
                # The login-required check that follows sends the user to the login page.
                logout(request)
                return self.get_response(request)
            if not is_poll(request):
                self.touch(request)
            target = self.pending_step(request, user)
            if target is not None and not self.is_open(request, target):
                return self.redirect(request, target)
        return self.get_response(request)

    @staticmethod
    def idle_expired(request) -> bool:
        """No activity (polls do not count) for SESSION_IDLE_MINUTES.

        The session's own expiry says the same when the session store honours it; this check
        holds whatever the store, and whatever else may have saved the session meanwhile.
        """
        last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
        return bool(last_seen) and now() - last_seen >= settings.SESSION_IDLE_MINUTES * 60

    @staticmethod
    def touch(request):
        # Saving the session moves its expiry SESSION_COOKIE_AGE (the idle timeout) ahead.
        moment = now()
        if moment - request.session.get(LAST_SEEN_SESSION_KEY, 0) >= _TOUCH_EVERY_SECONDS:
            request.session[LAST_SEEN_SESSION_KEY] = moment

    @staticmethod
    def pending_step(request, user):
        """The URL name of the step the user must finish first, or None."""
        step = request.session.get(SECOND_FACTOR_SESSION_KEY)
        if step is None:
            step = request.session[SECOND_FACTOR_SESSION_KEY] = second_factor_step(user)
        if step == "verify":
            return "accounts:otp_verify"
        if user.must_change_password:
            return "accounts:password_change"
        if step == "setup" and settings.OTP_REQUIRED_FOR_ADMINS:
            return "accounts:otp_setup"
        return None

    @staticmethod
    def is_open(request, target):
        if request.path_info.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return True  # a 404 reveals nothing
        return match.view_name in {target, "accounts:logout", "set_language"}

    @staticmethod
    def redirect(request, target):
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": "ログインの手続きが完了していません。"}, status=403)
        url = reverse(target)
        # HtmxMiddleware runs later, so the header is read directly.
        htmx = request.headers.get("HX-Request") == "true"
        if request.method == "GET" and not htmx:
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if htmx:
            # A page's own htmx requests (a badge that polls) while it shows the step itself:
            # answer nothing rather than reload the page again and again.
            if urlparse(request.headers.get("HX-Current-URL", "")).path == urlparse(url).path:
                return HttpResponse(status=204)
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)


class PrivateResponseMiddleware:
    """What a logged-in user is shown is never kept by the browser or a proxy.

    Cases, answers and exports must not stay in the cache of a shared ward computer or of a
    proxy: every response to a logged-in user gets `Cache-Control: no-store, private` (and
    `Pragma: no-cache` for HTTP/1.0 caches). A view opts out only by setting Cache-Control itself
    (django.views.decorators.cache). Static files never get here: WhiteNoise answers them first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's, except that an htmx request (a board that polls, a card that saves) sends the
    whole page to the login form instead of drawing the login form inside the fragment."""

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") != "true":
            return super().handle_no_permission(request, view_func)
        url = resolve_url(self.get_login_url(view_func))
        # Back to the page the fragment belongs to (a path only: never another site).
        page = urlparse(request.headers.get("HX-Current-URL", ""))
        if page.path.startswith("/"):
            back = page.path + (f"?{page.query}" if page.query else "")
            url = f"{url}?{urlencode({self.get_redirect_field_name(view_func): back})}"
        return HttpResponseClientRedirect(url)
