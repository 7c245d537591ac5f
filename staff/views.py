from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from csmanage.params import id_param
from staff.models import Staff
from staff.selectors import staff_get_for, staff_list_for, staff_of, team_list_for

STAFF_PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its day starts."""
    staff = staff_of(request.user)
    if staff is None:
        return redirect("admin:index" if request.user.is_staff else "staff:me")
    if staff.role in (Staff.Role.SUPERVISOR, Staff.Role.MANAGER) and staff.team_id:
        return redirect("staff:team", team_id=staff.team_id)
    if staff.role == Staff.Role.DIRECTOR:
        return redirect("staff:teams")
    if staff.role == Staff.Role.HR:
        return redirect("staff:list")
    if staff.role == Staff.Role.SPECIALIST:
        return redirect("tickets:queue", queue="mine")
    return redirect("staff:me")


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    staff = staff_list_for(user=request.user)
    filters = {
        "role": request.GET.get("role", ""),
        "status": request.GET.get("status", ""),
        "team": request.GET.get("team", ""),
        "q": request.GET.get("q", "").strip(),
    }
    if filters["role"] in Staff.Role.values:
        staff = staff.filter(role=filters["role"])
    if filters["status"] in Staff.Status.values:
        staff = staff.filter(status=filters["status"])
    if (team_id := id_param(filters["team"])) is not None:
        staff = staff.filter(team_id=team_id)
    if filters["q"]:
        staff = staff.filter(
            Q(name__icontains=filters["q"]) | Q(employee_number__icontains=filters["q"])
        )
    page = Paginator(staff, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/staff_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "roles": Staff.Role.choices,
            "statuses": Staff.Status.choices,
            "teams": team_list_for(user=request.user),
        },
    )


@login_required
def staff_detail(request: HttpRequest, staff_id: int) -> HttpResponse:
    person = staff_get_for(user=request.user, staff_id=staff_id)
    return render(request, "staff/staff_detail.html", {"person": person})


@login_required
def me(request: HttpRequest) -> HttpResponse:
    person = staff_of(request.user)
    if person is None:
        return render(request, "staff/no_staff_record.html", status=404)
    return staff_detail(request, person.pk)


@login_required
def team_tree(request: HttpRequest) -> HttpResponse:
    teams = list(team_list_for(user=request.user))
    return render(request, "staff/team_tree.html", {"teams": teams})


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(team_list_for(user=request.user), pk=team_id)
    members = staff_list_for(user=request.user).filter(team__path__startswith=team.path)
    return render(
        request,
        "staff/team_detail.html",
        {
            "team": team,
            "members": members,
            "subteams": team_list_for(user=request.user).filter(parent=team),
            "list_url": f"{reverse('staff:list')}?team={team.pk}",
        },
    )
