"""What procurement tells the apps above it, which it cannot import (docs/architecture.md,
"Layers": the lower layer owns the question)."""

from django.dispatch import Signal

# Sent inside the transaction that saved or deleted cost records, with ``team_id`` and ``skus``
# (the SKUs whose costs changed): read models that priced units at the old costs price them again.
costs_changed = Signal()
