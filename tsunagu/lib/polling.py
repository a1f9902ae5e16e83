"""Views that pages call by themselves on a timer (htmx polling), declared once with @polled.

A poll is not the user doing anything: it must not keep an idle session alive (the idle
timeout in tsunagu.accounts.middleware) and must not leave an audit row (tsunagu.audit.services).
Both ask is_poll(); the list of polled views is whatever carries the mark.
"""

from django.urls import Resolver404, resolve


def polled(view):
    """Mark a view that pages refresh on a timer (hx-trigger="every …")."""
    view.polled = True
    return view


def is_polled_view(func) -> bool:
    return getattr(func, "polled", False)


def is_poll(request) -> bool:
    """Whether this request is a page's own timed refresh: an htmx GET of a @polled view.

    The same view loaded as a page (no HX-Request) is the user's doing and counts as activity.
    """
    if request.method != "GET" or request.headers.get("HX-Request") != "true":
        return False
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
    return is_polled_view(match.func)
