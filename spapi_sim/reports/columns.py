"""Column lists of the report documents, as Amazon documents them (Amazon's report type pages; the
tests hold them against ``spapi_sim/tests/amazon/documented_columns.json`` and Amazon's own sandbox)."""

from __future__ import annotations

ORDERS_BY_LAST_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
ORDERS_BY_ORDER_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
MERCHANT_LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
FBA_MYI = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"
FBA_PLANNING = "GET_FBA_INVENTORY_PLANNING_DATA"
RESTOCK = "GET_RESTOCK_INVENTORY_RECOMMENDATIONS_REPORT"
LEDGER_DETAIL = "GET_LEDGER_DETAIL_VIEW_DATA"
REIMBURSEMENTS = "GET_FBA_REIMBURSEMENTS_DATA"
SETTLEMENT_V2 = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

_ORDER_COLUMNS = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name",
    "sku", "asin", "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price",
    "shipping-tax", "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount",
    "ship-promotion-discount", "ship-city", "ship-state", "ship-postal-code", "ship-country",
    "promotion-ids", "is-business-order", "purchase-order-number", "price-designation",
)

COLUMNS: dict[str, tuple[str, ...]] = {
    ORDERS_BY_LAST_UPDATE: _ORDER_COLUMNS,
    ORDERS_BY_ORDER_DATE: (*_ORDER_COLUMNS[:28], "cpf", *_ORDER_COLUMNS[28:]),
    MERCHANT_LISTINGS: (
        "item-name", "item-description", "listing-id", "seller-sku", "price", "quantity", "open-date",
        "image-url", "item-is-marketplace", "product-id-type", "zshop-shipping-fee", "item-note",
        "item-condition", "zshop-category1", "zshop-browse-path", "zshop-storefront-feature", "asin1",
        "asin2", "asin3", "will-ship-internationally", "expedited-shipping", "zshop-boldface",
        "product-id", "bid-for-featured-placement", "add-delete", "pending-quantity",
        "fulfillment-channel", "merchant-shipping-group", "status",
    ),
    FBA_MYI: (
        "sku", "fnsku", "asin", "product-name", "condition", "your-price", "mfn-listing-exists",
        "mfn-fulfillable-quantity", "afn-listing-exists", "afn-warehouse-quantity",
        "afn-fulfillable-quantity", "afn-unsellable-quantity", "afn-reserved-quantity",
        "afn-total-quantity", "per-unit-volume", "afn-inbound-working-quantity",
        "afn-inbound-shipped-quantity", "afn-inbound-receiving-quantity", "afn-researching-quantity",
        "afn-reserved-future-supply", "afn-future-supply-buyable",
    ),
    FBA_PLANNING: (
        "snapshot-date", "sku", "fnsku", "asin", "product-name", "condition", "available",
        "pending-removal-quantity", "inv-age-0-to-90-days", "inv-age-91-to-180-days",
        "inv-age-181-to-270-days", "inv-age-271-to-365-days", "inv-age-365-plus-days", "currency",
        "qty-to-be-charged-ltsf-11-mo", "projected-ltsf-11-mo", "qty-to-be-charged-ltsf-12-mo",
        "estimated-ltsf-next-charge", "units-shipped-t7", "units-shipped-t30", "units-shipped-t60",
        "units-shipped-t90", "alert", "your-price", "sales-price", "lowest-price-new-plus-shipping",
        "lowest-price-used", "recommended-action", "healthy-inventory-level",
        "recommended-sales-price", "recommended-sale-duration-days", "recommended-removal-quantity",
        "estimated-cost-savings-of-recommended-actions", "sell-through", "item-volume",
        "volume-unit-measurement", "storage-type", "storage-volume", "marketplace", "product-group",
        "sales-rank", "days-of-supply", "estimated-excess-quantity", "weeks-of-cover-t30",
        "weeks-of-cover-t90", "featuredoffer-price", "sales-shipped-last-7-days",
        "sales-shipped-last-30-days", "sales-shipped-last-60-days", "sales-shipped-last-90-days",
        "inv-age-0-to-30-days", "inv-age-31-to-60-days", "inv-age-61-to-90-days",
        "inv-age-181-to-330-days", "inv-age-331-to-365-days", "estimated-storage-cost-next-month",
        "inbound-quantity", "inbound-working", "inbound-shipped", "inbound-received",
        "no-sale-last-6-months", "reserved-quantity", "unfulfillable-quantity",
    ),
    RESTOCK: (
        "Country", "Product Name", "FNSKU", "Merchant SKU", "ASIN", "Condition", "Supplier",
        "Supplier part no.", "Currency code", "Price", "Sales last 30 days",
        "Units Sold Last 30 Days", "Total Units", "Inbound", "Available", "FC transfer",
        "FC Processing", "Customer Order", "Unfulfillable", "Working", "Shipped", "Receiving",
        "Fulfilled by", "Total Days of Supply (including units from open shipments)",
        "Days of Supply at Amazon Fulfillment Network", "Alert", "Recommended replenishment qty",
        "Recommended ship date", "Recommended action", "Unit storage size",
    ),
    LEDGER_DETAIL: (
        "Date", "FNSKU", "ASIN", "MSKU", "Title", "EventType", "ReferenceID", "Quantity",
        "FulfillmentCenter", "Disposition", "Reason", "Country", "ReconciledQuantity",
        "UnreconciledQuantity",
    ),
    REIMBURSEMENTS: (
        "approval-date", "reimbursement-id", "case-id", "amazon-order-id", "reason", "sku", "fnsku",
        "asin", "product-name", "condition", "currency-unit", "amount-per-unit", "amount-total",
        "quantity-reimbursed-cash", "quantity-reimbursed-inventory", "quantity-reimbursed-total",
        "original-reimbursement-id", "original-reimbursement-type",
    ),
    SETTLEMENT_V2: (
        "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date",
        "total-amount", "currency", "transaction-type", "order-id", "merchant-order-id",
        "adjustment-id", "shipment-id", "marketplace-name", "amount-type", "amount-description",
        "amount", "fulfillment-id", "posted-date", "posted-date-time", "order-item-code",
        "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
        "promotion-id",
    ),
}

REQUESTABLE = frozenset(COLUMNS) - {SETTLEMENT_V2}
