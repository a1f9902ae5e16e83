from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from tsunagu import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("tsunagu.accounts.urls")),
    path("facilities/", include("tsunagu.facilities.urls")),
    path("cases/", include("tsunagu.cases.urls")),
    path("referrals/", include("tsunagu.referrals.urls")),
    path("notifications/", include("tsunagu.notifications.urls")),
    path("api/", include("tsunagu.api.urls")),
    path("audit/", include("tsunagu.audit.urls")),
    # The language switch is on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

# After a failed POST the 500 page says that the outcome is unknown, not that nothing happened.
handler500 = "tsunagu.lib.error_views.server_error"
