"""The listings as SQL for other apps' queries to compose (the costs page's SKUs without a cost
is one anti join in the database). Catalog owns the table, so it hands out the SELECT, named from
its model. See docs/architecture.md, "Layers".
"""

from __future__ import annotations

from django.db import connection

from ams.catalog.models import Listing


def listings() -> str:
    """A SELECT of the team's (``%(team)s``) listings (``Listing``): one row per connection,
    marketplace and SKU, with ``sku``."""
    return f"SELECT * FROM {connection.ops.quote_name(Listing._meta.db_table)} WHERE team_id = %(team)s"  # noqa: S608 (model's table)
