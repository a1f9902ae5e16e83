"""The JSON API, versioned: /api/v1/…"""

from django.urls import path

from tsunagu.api.v1 import api


def _authenticated_by_the_api(urls):
    """Let the API answer 401 in JSON instead of LoginRequiredMiddleware's redirect.

    Every operation has auth set on the NinjaAPI, so nothing here is public; the
    generated documentation pages keep the site-wide login.
    """
    patterns, app_name, namespace = urls
    for pattern in patterns:
        if getattr(pattern, "name", "") not in ("openapi-json", "openapi-view"):
            pattern.callback.login_required = False
    return patterns, app_name, namespace


urlpatterns = [
    path("v1/", _authenticated_by_the_api(api.urls)),
]
