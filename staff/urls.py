from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("staff/", views.staff_list, name="list"),
    path("staff/<int:staff_id>/", views.staff_detail, name="detail"),
    path("teams/", views.team_tree, name="teams"),
    path("teams/<int:team_id>/", views.team_detail, name="team"),
]
