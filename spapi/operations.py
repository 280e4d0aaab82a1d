"""The SP-API operations the client knows: method, path template and default usage plan.

An operation is named ``"<api>.<operationId>"`` (``"ordersV0.getOrders"``,
``"orders_2026-01-01.getOrder"``) because operation ids repeat across API versions and
Amazon's usage plans are per version.  The same name keys the rate limiter and the paginator.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from spapi.usage_plans import OPERATIONS


@dataclass(frozen=True, slots=True)
class Operation:
    api: str
    name: str
    method: str
    path: str
    rate: float | None
    burst: int | None

    @property
    def key(self) -> str:
        return f"{self.api}.{self.name}"

    def render_path(self, path_params: dict[str, str] | None = None) -> str:
        """Fill the path template; every value is percent-encoded (SKUs may contain ``/``)."""
        path = self.path
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        if "{" in path:
            raise ValueError(f"{self.key}: missing path parameter in {path}")
        return path


_BY_KEY: dict[str, Operation] = {
    f"{api}.{name}": Operation(api, name, method, path, rate, burst)
    for api, name, method, path, rate, burst in OPERATIONS
}


def get_operation(key: str) -> Operation:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(
            f"unknown SP-API operation {key!r}; expected '<api>.<operationId>'"
        ) from None


def all_operations() -> list[Operation]:
    return list(_BY_KEY.values())
