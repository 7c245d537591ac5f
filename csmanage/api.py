"""The REST API v1 router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from staff.api import StaffViewSet, TeamViewSet
from tickets.api.views import CustomerViewSet, TicketViewSet

router = DefaultRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("customers", CustomerViewSet, basename="customer")
router.register("staff", StaffViewSet, basename="staff")
router.register("teams", TeamViewSet, basename="team")
