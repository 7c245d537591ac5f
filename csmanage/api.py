"""The REST API v1 router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from staff.api import StaffViewSet, TeamViewSet

router = DefaultRouter()
router.register("staff", StaffViewSet, basename="staff")
router.register("teams", TeamViewSet, basename="team")
