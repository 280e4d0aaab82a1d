"""The monthly plans, from configuration: what each costs and what it allows.

No Django here: settings parse ``BILLING_PLANS`` with this module at start-up, so a malformed
plan list stops the process before it serves a request.
"""

from __future__ import annotations

import json
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class Limits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seller_accounts: int = Field(ge=1)
    marketplaces: int = Field(ge=1)
    seats: int = Field(ge=1)
    history_months: int = Field(ge=1, le=18)  # Amazon's policy caps non-personal data at 18 months


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    name: str
    price_id: str = Field(min_length=1)
    # For display only; Stripe's price is what is charged.
    amount: Decimal = Field(ge=0, decimal_places=2)
    currency: str = Field(default="usd", pattern=r"^[a-z]{3}$")
    limits: Limits


DEFAULT_PLANS: list[dict[str, object]] = [
    {
        "key": "starter",
        "name": "Starter",
        "price_id": "price_starter_monthly",
        "amount": "29.00",
        "limits": {"seller_accounts": 1, "marketplaces": 3, "seats": 3, "history_months": 12},
    },
    {
        "key": "growth",
        "name": "Growth",
        "price_id": "price_growth_monthly",
        "amount": "79.00",
        "limits": {"seller_accounts": 3, "marketplaces": 10, "seats": 10, "history_months": 18},
    },
    {
        "key": "scale",
        "name": "Scale",
        "price_id": "price_scale_monthly",
        "amount": "199.00",
        "limits": {"seller_accounts": 10, "marketplaces": 25, "seats": 50, "history_months": 18},
    },
]


class PlanList(BaseModel):
    plans: list[Plan] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PlanList:
        for attr in ("key", "price_id"):
            values = [getattr(p, attr) for p in self.plans]
            if len(set(values)) != len(values):
                raise ValueError(f"plan {attr}s must be unique")
        return self


def parse_plans(raw: str | None) -> tuple[Plan, ...]:
    """The plans from ``BILLING_PLANS`` (a JSON list), or the defaults; raises ValueError if malformed."""
    try:
        data = json.loads(raw) if raw else DEFAULT_PLANS
        return tuple(PlanList.model_validate({"plans": data}).plans)
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ValueError(f"BILLING_PLANS is not a valid plan list: {exc}") from exc


def plan_by_key(plans: tuple[Plan, ...], key: str) -> Plan | None:
    return next((p for p in plans if p.key == key), None)


def plan_by_price(plans: tuple[Plan, ...], price_id: str) -> Plan | None:
    return next((p for p in plans if p.price_id == price_id), None)
