from django.urls import path

from tsunagu.cases import search_views, views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("<str:ref>/", views.case_detail, name="detail"),
    path("<str:ref>/edit/", views.case_edit, name="edit"),
    path("<str:ref>/close/", views.case_close, name="close"),
    path("<str:ref>/search/", search_views.case_search, name="search"),
]
