from django.urls import path

from tsunagu.facilities import import_views, views

app_name = "facilities"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("import/", import_views.import_start, name="import"),
    path("import/<uuid:run_id>/", import_views.import_run, name="import_run"),
    path("vacancy/", views.vacancy, name="vacancy"),
    path("vacancy/all-unchanged/", views.vacancy_confirm_all, name="vacancy_confirm_all"),
    path("units/<uuid:unit_id>/vacancy/", views.vacancy_save, name="vacancy_save"),
    path("units/<uuid:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<uuid:unit_id>/capabilities/", views.unit_capabilities, name="unit_capabilities"),
    path("desks/<uuid:desk_id>/edit/", views.desk_edit, name="desk_edit"),
    path("desks/<uuid:desk_id>/delete/", views.desk_delete, name="desk_delete"),
    path("<uuid:facility_id>/", views.detail, name="detail"),
    path("<uuid:facility_id>/edit/", views.profile_edit, name="profile_edit"),
    path("<uuid:facility_id>/units/new/", views.unit_add, name="unit_add"),
    path("<uuid:facility_id>/desks/", views.desks, name="desks"),
    path("<uuid:facility_id>/members/", views.members, name="members"),
    path("<uuid:facility_id>/members/<uuid:user_id>/role/", views.member_role, name="member_role"),
]
