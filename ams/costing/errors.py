from ams.purchasing.errors import PurchasingError


class CostingError(PurchasingError):
    """Goods that cannot be valued (a currency without a rate): the change that asked is refused."""
