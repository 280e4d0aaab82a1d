"""Helpers shared by the SP-API handlers: parameters, page tokens, money and errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from spapi_sim.clock import iso, parse_iso
from spapi_sim.http import Response, sp_error
from spapi_sim.money import s
from spapi_sim.state import Context


class ApiError(Exception):
    """Raised by handlers; the server renders it as SP-API's error body."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def response(self) -> Response:
        return sp_error(self.status, self.code, self.message, self.details)


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidInput", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NotFound", message)


def parse_time(value: str | None, name: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise invalid(f"Invalid {name}: {value!r} is not an ISO 8601 date-time.") from None


def int_arg(ctx: Context, name: str, default: int, low: int, high: int) -> int:
    raw = ctx.request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer.") from None
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low} and {high}.")
    return value


def marketplace_indices(
    ctx: Context, ids: list[str], *, required: bool, name: str = "MarketplaceIds"
) -> list[int]:
    """Marketplace ids as indices into the seller's marketplaces; unknown ids are an error."""
    if not ids:
        if required:
            raise invalid(f"Missing required parameter {name}.")
        return list(range(len(ctx.seller.marketplaces)))
    result = []
    for marketplace_id in ids:
        index = ctx.seller.marketplace_index(marketplace_id)
        if index is None:
            raise invalid(
                f"Invalid {name}: {marketplace_id} is not a marketplace this seller participates in."
            )
        result.append(index)
    return result


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, kind: str, now_ms: int | None = None) -> dict[str, Any]:
    """A page token back to its state; wrong kind, garbage or expiry is InvalidInput."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise invalid("Invalid NextToken.") from None
    if not isinstance(data, dict) or data.get("k") != kind:
        raise invalid("Invalid NextToken.")
    expires = data.get("x")
    if now_ms is not None and isinstance(expires, int) and expires < now_ms:
        raise invalid("The NextToken has expired.")
    return data


def money_v0(amount: Decimal, currency: str) -> dict[str, str]:
    """Orders v0 Money: {"CurrencyCode", "Amount"} with the amount as a string."""
    return {"CurrencyCode": currency, "Amount": s(amount)}


def money_2026(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": s(amount), "currencyCode": currency}


def currency_amount(amount: Decimal, currency: str) -> dict[str, Any]:
    """Finances v0 Currency: {"CurrencyCode", "CurrencyAmount"} where the amount is a number.

    The model types it as a number (BigDecimal); JSON carries it without quotes.
    """
    return {"CurrencyCode": currency, "CurrencyAmount": _json_number(amount)}


def _json_number(amount: Decimal) -> Any:
    return float(amount) if amount != amount.to_integral_value() else int(amount)


def iso_seconds(ctx: Context, seconds: int) -> str:
    return iso(ctx.seller.moment(seconds))
