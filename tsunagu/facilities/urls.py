from django.urls import path

from tsunagu.facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.directory, name="directory"),
]
