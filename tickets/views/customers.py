"""Customer records: list, page, phone reveal, merge."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from csmanage.params import page_param
from staff.models import Staff
from tickets import forms, services
from tickets.models import normalise_phone
from tickets.permissions import may_reveal_phone
from tickets.selectors import (
    customer_duplicates,
    customer_get_for,
    customer_list_for,
    customer_tickets_for,
    ticket_get_for,
    with_duplicate_flag,
)
from tickets.views.common import (
    PAGE_SIZE,
    _error_text,
    _staff_or_403,
)


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    _staff_or_403(request)
    customers = with_duplicate_flag(customer_list_for(user=request.user))
    text = request.GET.get("q", "").strip()[:100]
    if text:
        digits = normalise_phone(text)
        if len(digits) >= 4 and digits == text.replace(" ", "").replace("-", "").lstrip("+"):
            customers = customers.filter(phones__normalised__endswith=digits).distinct()
        else:
            customers = customers.filter(name__icontains=text) | customers.filter(
                accounts__buyer_id=text
            )
    page_number = page_param(request.GET.get("page"))
    start = (page_number - 1) * PAGE_SIZE
    rows = list(customers.order_by("-created_at", "-pk")[start : start + PAGE_SIZE + 1])
    return render(
        request,
        "tickets/customer_list.html",
        {
            "customers": rows[:PAGE_SIZE],
            "q": text,
            "page_number": page_number,
            "has_next": len(rows) > PAGE_SIZE,
        },
    )


@login_required
@require_GET
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    staff = _staff_or_403(request)
    customer = customer_get_for(user=request.user, customer_id=customer_id)
    return render(
        request,
        "tickets/customer_detail.html",
        {
            "customer": customer,
            "tickets": customer_tickets_for(user=request.user, customer=customer)[:100],
            "duplicates": customer_duplicates(customer) if customer.merged_into_id is None else [],
            "may_reveal": may_reveal_phone(staff),
            "may_merge": staff.role
            in (Staff.Role.SUPERVISOR, Staff.Role.MANAGER, Staff.Role.DIRECTOR),
            "merge_form": forms.MergeForm(),
        },
    )


@login_required
@require_POST
def customer_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Show the full numbers once (htmx swaps them in); the reveal is logged."""
    staff = _staff_or_403(request)
    customer = customer_get_for(user=request.user, customer_id=customer_id)
    ticket = None
    if request.POST.get("ticket"):
        ticket = ticket_get_for(user=request.user, number=request.POST["ticket"])
    try:
        numbers = services.customer_reveal_phones(actor=staff, customer=customer, ticket=ticket)
    except PermissionDenied as denied:
        return HttpResponse(str(denied), status=403)
    return render(request, "tickets/_revealed_phones.html", {"numbers": numbers})


@login_required
@require_POST
def customer_merge_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    staff = _staff_or_403(request)
    source = customer_get_for(user=request.user, customer_id=customer_id)
    form = forms.MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(form.errors)))
        return redirect(source)
    try:
        target = customer_get_for(user=request.user, customer_id=form.cleaned_data["target"])
        services.customer_merge(actor=staff, source=source, target=target)
    except Http404:
        messages.error(
            request, _("There is no customer no. %(id)s.") % {"id": form.cleaned_data["target"]}
        )
        return redirect(source)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
        return redirect(source)
    messages.success(
        request,
        _("%(source)s was merged into %(target)s.")
        % {"source": source.name, "target": target.name},
    )
    return redirect(target)
