"""The purchase order pages: the list, a new order, one order with its lines, receipts and
payments, each step of its life, its PDF and the export.

Who may do what: members draft orders, change a draft's lines, record the supplier's confirmation
and count goods in; owners and admins approve and send an order, record payments, cancel and close
(the roles declared on each view, ``ams.teams.access``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.core.audit_log import audit_record
from ams.core.export_jobs import export_download
from ams.core.files import file_response
from ams.orders.selectors import home_currency
from ams.products.selectors import products as team_products
from ams.purchasing import attachments, selectors, services
from ams.purchasing.cash import cash_view
from ams.purchasing.errors import PurchasingError
from ams.purchasing.exports import orders_export
from ams.purchasing.forms import (
    AttachmentForm,
    ChargeForm,
    LineForm,
    PaymentForm,
    PurchaseOrderForm,
)
from ams.purchasing.models import (
    POStatus,
    PurchaseOrder,
    PurchaseOrderAttachment,
    PurchaseOrderLine,
    StockPool,
    Supplier,
)
from ams.purchasing.pdf import purchase_order_pdf
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role


def _order(request: TeamRequest, order_id: int) -> PurchaseOrder:
    order = selectors.access_purchase_order(request.team, order_id)
    if order is None:
        raise Http404("No such purchase order")
    return order


def _role(request: TeamRequest, role: Role) -> bool:
    return request.membership.role_enum.at_least(role)


def _supplier_choices(request: TeamRequest) -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in selectors.suppliers(request.team)]


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def order_list(request: TeamRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in POStatus.values else ""
    q = request.GET.get("q", "").strip()[:64]
    query = urlencode({k: v for k, v in {"status": status, "q": q}.items() if v})
    context = {
        "orders": selectors.purchase_orders(request.team, status=status, q=q)[:200],
        "status": status,
        "q": q,
        "statuses": POStatus.choices,
        "export_csv": urlencode({"format": "csv", "status": status, "q": q}),
        "export_xlsx": urlencode({"format": "xlsx", "status": status, "q": q}),
        "query": query,
        "can_edit": _role(request, Role.MEMBER),
    }
    return render(request, "purchasing/orders.html", context)


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def cash(request: TeamRequest) -> HttpResponse:
    view = cash_view(request.team, home=home_currency(request.team), today=timezone.now().date())
    return render(request, "purchasing/cash.html", {"view": view})


@team_view(read=Role.MEMBER, write=Role.MEMBER, costs=True)
@require_http_methods(["GET", "POST"])
def order_new(request: TeamRequest) -> HttpResponse:
    form = PurchaseOrderForm(
        request.POST or None,
        suppliers=_supplier_choices(request),
        initial={"supplier": request.GET.get("supplier")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.create_purchase_order(
                team=request.team,
                actor=request.user,
                supplier_id=data["supplier"],
                expected_ship_date=data["expected_ship_date"],
                expected_arrival_date=data["expected_arrival_date"],
                note=data["note"],
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        except Supplier.DoesNotExist:
            raise Http404("No such supplier") from None
        else:
            messages.success(request, f"{order.number} is a draft: add its lines.")
            return redirect("purchase_order_detail", request.team.slug, order.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "purchasing/order_new.html", {"form": form}, status=status)


def _detail_context(request: TeamRequest, order: PurchaseOrder, **forms: Any) -> dict[str, Any]:
    team = request.team
    today = timezone.now().date()
    lines = list(selectors.order_lines(team, order))
    can_edit = _role(request, Role.MEMBER)
    can_approve = _role(request, Role.ADMIN)
    open_for_goods = order.status in (
        POStatus.SENT,
        POStatus.CONFIRMED,
        POStatus.PARTIALLY_RECEIVED,
        POStatus.RECEIVED,
    )
    next_steps = services.NEXT[order.status]
    return {
        "order": order,
        "lines": lines,
        "receipts": selectors.order_receipts(team, order),
        "attachments": selectors.order_attachments(team, order),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "payments": selectors.order_payments(team, order),
        "totals": selectors.order_totals(team, order),
        "today": today,
        "stock_pools": StockPool.choices,
        "is_draft": order.status == POStatus.DRAFT,
        "can_edit": can_edit,
        "can_approve": can_approve,
        "may_send": can_approve and POStatus.SENT in next_steps,
        "may_confirm": can_edit and POStatus.CONFIRMED in next_steps,
        "may_cancel": can_approve and POStatus.CANCELLED in next_steps,
        "may_close": can_approve and POStatus.CLOSED in next_steps,
        "may_receive": can_edit and open_for_goods,
        "may_pay": can_approve and order.status not in (POStatus.DRAFT, POStatus.CANCELLED),
        "line_form": forms.get("line_form")
        or LineForm(
            products=[(p.pk, str(p)) for p in team_products(team)],
            auto_id="line_%s",
        ),
        "payment_form": forms.get("payment_form")
        or PaymentForm(auto_id="payment_%s", initial={"paid_on": today}),
        "charges": selectors.order_charges(team, order),
        "may_charge": can_edit and order.status != POStatus.CANCELLED,
        "charge_form": forms.get("charge_form")
        or ChargeForm(auto_id="charge_%s", initial={"currency": order.currency}),
        "receipt_error": forms.get("receipt_error", ""),
    }


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def order_detail(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    return render(request, "purchasing/order.html", _detail_context(request, order))


def _back(request: TeamRequest, order: PurchaseOrder, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("purchase_order_detail", request.team.slug, order.pk)


def _refused(request: TeamRequest, order: PurchaseOrder, message: str) -> HttpResponse:
    messages.error(request, message)
    context = _detail_context(request, _order(request, order.pk))
    return render(request, "purchasing/order.html", context, status=400)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def line_set(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    form = LineForm(
        request.POST,
        products=[(p.pk, str(p)) for p in team_products(request.team)],
        auto_id="line_%s",
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            line = services.purchase_order_line_set(
                team=request.team,
                order_id=order.pk,
                line=services.LineInput(
                    product_id=data["product"],
                    quantity=data["quantity"],
                    unit_price=data["unit_price"],
                    expected_date=data["expected_date"],
                ),
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        else:
            return _back(request, order, f"{line.quantity} x {line.product.code} on the order.")
    context = _detail_context(request, order, line_form=form)
    return render(request, "purchasing/order.html", context, status=400)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def line_remove(
    request: TeamRequest, purchaseorder_id: int, purchaseorderline_id: int
) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    try:
        line = services.purchase_order_line_remove(
            team=request.team, order_id=order.pk, line_id=purchaseorderline_id
        )
    except PurchaseOrderLine.DoesNotExist:
        raise Http404("No such line") from None
    except PurchasingError as exc:
        return _refused(request, order, str(exc))
    return _back(request, order, f"{line.product.code} taken off the order.")


@team_view(read=Role.VIEWER, write=Role.ADMIN, costs=True)
@require_POST
def order_send(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    by_email = request.POST.get("email") == "1"
    try:
        services.purchase_order_send(
            team=request.team, actor=request.user, order_id=order.pk, email=by_email
        )
    except PurchasingError as exc:
        return _refused(request, order, str(exc))
    audit_record(
        team_id=request.team.id,
        actor_id=request.user.id,
        kind="purchase_order.sent",
        number=order.number,
        email=by_email,
    )
    where = f"mailed to {order.supplier.email}" if by_email else "marked as sent"
    return _back(request, order, f"{order.number} approved and {where}.")


def _simple_step(request: TeamRequest, purchaseorder_id: int, step: str) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    action = {
        "confirm": services.purchase_order_confirm,
        "cancel": services.purchase_order_cancel,
        "close": services.purchase_order_close,
    }[step]
    try:
        changed = action(team=request.team, order_id=order.pk)
    except PurchasingError as exc:
        return _refused(request, order, str(exc))
    return _back(request, order, f"{changed.number} is {changed.get_status_display().lower()}.")


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def order_confirm(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    return _simple_step(request, purchaseorder_id, "confirm")


@team_view(read=Role.VIEWER, write=Role.ADMIN, costs=True)
@require_POST
def order_cancel(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    return _simple_step(request, purchaseorder_id, "cancel")


@team_view(read=Role.VIEWER, write=Role.ADMIN, costs=True)
@require_POST
def order_close(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    return _simple_step(request, purchaseorder_id, "close")


def _receipt_input(request: TeamRequest, order: PurchaseOrder) -> tuple[dict[int, int], date]:
    """The units per line (``qty_<line id>``) and the day, or a PurchasingError saying what is wrong."""
    quantities: dict[int, int] = {}
    for line in selectors.order_lines(request.team, order):
        raw = request.POST.get(f"qty_{line.pk}", "").strip()
        if not raw:
            continue
        try:
            quantities[line.pk] = int(raw)
        except ValueError:
            raise PurchasingError(
                f"{raw!r} is not a number of units of {line.product.code}."
            ) from None
    try:
        day = date.fromisoformat(request.POST.get("received_on", ""))
    except ValueError:
        raise PurchasingError("Which day did the goods arrive? Give a date.") from None
    return quantities, day


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def receipt_add(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    try:
        quantities, day = _receipt_input(request, order)
        receipt = services.receipt_record(
            team=request.team,
            actor=request.user,
            order_id=order.pk,
            received_on=day,
            quantities=quantities,
            confirm_over=request.POST.get("confirm_over") == "1",
            note=request.POST.get("note", "")[:500],
            stock_pool=request.POST.get("stock_pool", StockPool.OWN),
        )
    except PurchasingError as exc:
        context = _detail_context(request, _order(request, order.pk), receipt_error=str(exc))
        return render(request, "purchasing/order.html", context, status=400)
    units = sum(quantities.values())
    return _back(request, order, f"Received {units} units on {receipt.received_on}.")


@team_view(read=Role.VIEWER, write=Role.ADMIN, costs=True)
@require_POST
def payment_add(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    form = PaymentForm(request.POST, auto_id="payment_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_record(
                team=request.team,
                actor=request.user,
                order_id=order.pk,
                kind=data["kind"],
                amount=data["amount"],
                paid_on=data["paid_on"],
                note=data["note"],
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        else:
            return _back(request, order, f"Paid {payment.amount.normalize():f} {payment.currency}.")
    context = _detail_context(request, order, payment_form=form)
    return render(request, "purchasing/order.html", context, status=400)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def charge_add(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    form = ChargeForm(request.POST, auto_id="charge_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            charge = services.landed_charge_add(
                team=request.team,
                order_id=order.pk,
                kind=data["kind"],
                amount=data["amount"],
                currency=data["currency"],
                basis=data["basis"],
                paid_on=data["paid_on"],
                note=data["note"],
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        else:
            return _back(
                request,
                order,
                f"Added {charge.get_kind_display().lower()} of "
                f"{charge.amount.normalize():f} {charge.currency}.",
            )
    context = _detail_context(request, order, charge_form=form)
    return render(request, "purchasing/order.html", context, status=400)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def charge_remove(
    request: TeamRequest, purchaseorder_id: int, landedcharge_id: int
) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    try:
        services.landed_charge_remove(
            team=request.team, order_id=order.pk, charge_id=landedcharge_id
        )
    except PurchasingError as exc:
        return _refused(request, order, str(exc))
    return _back(request, order, "Charge removed.")


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def order_pdf(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    team = request.team
    pdf = purchase_order_pdf(
        order=order,
        lines=list(selectors.order_lines(team, order)),
        totals=selectors.order_totals(team, order),
        buyer=team.name,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{order.number}.pdf"'
    return response


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def order_export(request: TeamRequest) -> HttpResponseBase:
    team = request.team
    return export_download(
        request,
        lambda: orders_export(team, request.GET),
        team_id=team.id,
        team_slug=team.slug,
        page="purchase_orders",
    )


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def attachment_add(request: TeamRequest, purchaseorder_id: int) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = attachments.attachment_add(
                team=request.team,
                order_id=order.pk,
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except PurchasingError as exc:
            form.add_error("file", str(exc))
        else:
            return _back(request, order, f"Kept {attachment.file.name} with the order.")
    context = _detail_context(request, order, attachment_form=form)
    return render(request, "purchasing/order.html", context, status=400)


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def attachment_download(
    request: TeamRequest, purchaseorder_id: int, purchaseorderattachment_id: int
) -> HttpResponseBase:
    order = _order(request, purchaseorder_id)
    attachment = selectors.access_attachment(request.team, order, purchaseorderattachment_id)
    if attachment is None:
        raise Http404("No such document")
    return file_response(attachment.file, team_id=request.team.id)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def attachment_remove(
    request: TeamRequest, purchaseorder_id: int, purchaseorderattachment_id: int
) -> HttpResponse:
    order = _order(request, purchaseorder_id)
    try:
        removed = attachments.attachment_remove(
            team=request.team, order_id=order.pk, attachment_id=purchaseorderattachment_id
        )
    except PurchaseOrderAttachment.DoesNotExist:
        raise Http404("No such document") from None
    return _back(request, order, f"Removed {removed.file.name}.")
