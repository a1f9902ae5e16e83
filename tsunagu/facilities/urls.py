from django.urls import path

from tsunagu.facilities import import_views, views

app_name = "facilities"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("import/", import_views.import_start, name="import"),
    path("import/<uuid:run_id>/", import_views.import_run, name="import_run"),
]
