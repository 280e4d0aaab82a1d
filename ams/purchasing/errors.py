class PurchasingError(ValueError):
    """Input a supplier or a purchase order cannot take; the message says why, to the seller.

    Raised before anything is written, so a refused change leaves everything as it was.
    """
