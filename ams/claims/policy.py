"""Amazon's claim windows, in one place so they can change with Amazon's policy.

As Amazon's FBA inventory reimbursement policy states them since 23 October 2024 (Seller Central
help, "FBA inventory reimbursement policy": "Fulfillment center operations claims" and "Customer
return claims"; docs/claims.md quotes them):

* a unit lost or damaged in a fulfilment centre: a claim no later than 60 days after the unit
  was reported lost or damaged (the inventory ledger's adjustment);
* a customer return (refunded or replaced, not returned, or returned in a state Amazon is
  responsible for): no sooner than 60 and no later than 120 days after the refund in North
  America; in Europe 45 to 105 days. The Far East follows the European window here: Amazon's
  pages there still give 45 days as the start.

A refund larger than what the customer paid is filed the same way as a customer return claim,
so it uses that window.

An FBA fee charged on the wrong weight or dimensions (Seller Central help, "FBA fees
reimbursement policy: Weight and dimensions"): "you must submit your request within 90 days of
the date the fee was charged". Each charge has its own 90 days; a case counts from the oldest
charge still inside them.

AMS's own rule, not Amazon's: a unit reported lost or damaged is shown as a case only after
``WAREHOUSE_SETTLING_DAYS``, by when Amazon has reimbursed or found most of them by itself
(it reimburses lost units proactively since November 2024); that still leaves 30 days to file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ams.claims.models import ClaimKind

WAREHOUSE_CLAIM_DAYS = 60
FEE_CLAIM_DAYS = 90
WAREHOUSE_SETTLING_DAYS = 30


@dataclass(frozen=True)
class ReturnWindow:
    opens_after_days: int
    closes_after_days: int


RETURN_WINDOWS: dict[str, ReturnWindow] = {
    "NA": ReturnWindow(60, 120),
    "EU": ReturnWindow(45, 105),
    "FE": ReturnWindow(45, 105),
}


@dataclass(frozen=True)
class Window:
    opens_on: date
    deadline: date


def return_window(region: str) -> ReturnWindow:
    return RETURN_WINDOWS.get(region, RETURN_WINDOWS["NA"])


def window(kind: str, region: str, occurred: date) -> Window:
    """When a claim of ``kind`` can be filed, counted from the day of its event."""
    if kind in (ClaimKind.WAREHOUSE_LOST, ClaimKind.WAREHOUSE_DAMAGED):
        return Window(occurred, occurred + timedelta(days=WAREHOUSE_CLAIM_DAYS))
    if kind == ClaimKind.FEE_TIER_CHANGE:
        return Window(occurred, occurred + timedelta(days=FEE_CLAIM_DAYS))
    returns = return_window(region)
    return Window(
        occurred + timedelta(days=returns.opens_after_days),
        occurred + timedelta(days=returns.closes_after_days),
    )
