"""Read-only staff directory for internal tools, under the same scope rule as the pages."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from staff.models import Staff, Team
from staff.selectors import staff_list_for, team_list_for


class TeamSerializer(serializers.ModelSerializer):
    headcount = serializers.IntegerField(read_only=True, help_text=_("Members who have not left."))
    leader = serializers.SlugRelatedField(slug_field="employee_number", read_only=True)

    class Meta:
        model = Team
        fields = ("id", "name", "kind", "parent", "leader", "headcount")


class StaffSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    team = serializers.CharField(source="team.name", read_only=True, default=None)
    reports_to = serializers.SlugRelatedField(slug_field="employee_number", read_only=True)

    class Meta:
        model = Staff
        fields = (
            "id",
            "employee_number",
            "name",
            "username",
            "role",
            "team",
            "reports_to",
            "specialisation",
            "skills",
            "status",
            "hire_date",
            "onboarding_passed",
        )


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number a bigint holds ("1e80" or "1.5" is a 400, not a database
    error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class StaffFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Staff.Role.choices)
    status = django_filters.ChoiceFilter(choices=Staff.Status.choices)
    team = IdFilter(field_name="team_id")
    q = django_filters.CharFilter(method="search", label=_("Name or employee number"))

    class Meta:
        model = Staff
        fields = ("role", "status", "team")

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value) | queryset.filter(
            employee_number__icontains=value
        )


@extend_schema_view(
    list=extend_schema(summary="人员列表 / List staff in your scope"),
    retrieve=extend_schema(summary="人员详情 / One staff member in your scope"),
)
class StaffViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StaffSerializer
    filterset_class = StaffFilter

    def get_queryset(self):
        return staff_list_for(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="团队列表 / List teams in your scope"),
    retrieve=extend_schema(summary="团队详情 / One team in your scope"),
)
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    filterset_fields = ("kind", "parent")

    def get_queryset(self):
        return team_list_for(user=self.request.user)
