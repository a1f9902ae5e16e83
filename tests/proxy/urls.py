from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path

from tsunagu.lib.client import client_ip


@login_not_required
def probe(request):
    return JsonResponse(
        {
            "secure": request.is_secure(),
            "client_ip": client_ip(request),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR"),
        }
    )


urlpatterns = [
    path("proxy-probe/", probe),
    path("", include("tsunagu.urls")),
]
