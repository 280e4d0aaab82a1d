"""What the teams app tells the apps above it, which it cannot import (docs/architecture.md,
"Layers")."""

from django.dispatch import Signal

# Sent inside the transaction that changed a team's home currency, with ``team_id``: read models
# that hold figures converted into it convert them again.
home_currency_changed = Signal()
