"""Completes the login before any other page, and ends idle sessions.

The steps still due are worked out once at login (tsunagu.accounts.signals) and kept in the
session, so an ordinary request costs no extra query.
"""

import time
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from tsunagu.accounts.security import SECOND_FACTOR_SESSION_KEY, second_factor_step

# The idle timer is pushed forward at most once a minute, not on every request.
LAST_SEEN_SESSION_KEY = "tsunagu_last_seen"
_TOUCH_EVERY_SECONDS = 60


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if not self.is_polling(request):
                self.touch(request)
            target = self.pending_step(request, user)
            if target is not None and not self.is_open(request, target):
                return self.redirect(request, target)
        return self.get_response(request)

    @staticmethod
    def touch(request):
        # Saving the session moves its expiry SESSION_COOKIE_AGE (the idle timeout) ahead.
        now = int(time.time())
        if now - request.session.get(LAST_SEEN_SESSION_KEY, 0) >= _TOUCH_EVERY_SECONDS:
            request.session[LAST_SEEN_SESSION_KEY] = now

    @staticmethod
    def is_polling(request):
        """An htmx request the page makes by itself (a badge, a progress bar): not activity."""
        if request.method != "GET" or request.headers.get("HX-Request") != "true":
            return False
        try:
            return resolve(request.path_info).view_name in settings.SESSION_POLLING_VIEWS
        except Resolver404:
            return False

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
