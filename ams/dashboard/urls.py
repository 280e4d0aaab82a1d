from django.urls import path

from ams.dashboard import (
    deposit_views,
    export_views,
    money_views,
    pnl_views,
    profit_views,
    views,
)

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("orders/", views.orders, name="orders"),
    path("profit/", profit_views.sku_profit, name="sku_profit"),
    path("orders/detail/", money_views.order_detail, name="order_detail"),
    path("inventory/", views.inventory, name="inventory"),
    path("inventory/history/", views.stock_history, name="stock_history"),
    path("listings/", views.listings, name="listings"),
    path("settlements/", views.settlements, name="settlements"),
    path("settlements/lines/", views.settlement_lines, name="settlement_lines"),
    path("settlements/deposits/", deposit_views.deposits, name="deposits"),
    path(
        "settlements/deposits/statement/",
        deposit_views.statement_upload,
        name="statement_upload",
    ),
    path(
        "settlements/deposits/columns/",
        deposit_views.statement_columns,
        name="statement_columns",
    ),
    path(
        "settlements/deposits/discard/",
        deposit_views.statement_discard,
        name="statement_discard",
    ),
    path("transactions/", money_views.transactions, name="transactions"),
    path("fees/", money_views.fees, name="fees"),
    path("profit-and-loss/", pnl_views.pnl, name="pnl"),
    path("exports/", export_views.exports, name="exports"),
    path(
        "exports/<int:exportjob_id>/download/",
        export_views.export_download,
        name="export_download",
    ),
]
