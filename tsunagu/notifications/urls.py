from django.urls import path

from tsunagu.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.index, name="index"),
    path("badge/", views.badge, name="badge"),
    path("read/", views.read_all, name="read_all"),
]
