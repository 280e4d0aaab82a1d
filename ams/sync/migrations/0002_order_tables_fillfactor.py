"""Room on each page of the order tables for the sync's updates.

An order's rows are rewritten when Amazon changes them (pending → shipped, a refund). With
free space left on the page, PostgreSQL writes the new version there without touching any of
the table's indexes (a HOT update), which roughly halves the cost of an update-heavy sync.
New pages keep 20% free; existing pages get it as they are rewritten.
"""

from django.db import migrations

TABLES = ("orders_order", "orders_orderline")


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[f"ALTER TABLE {table} SET (fillfactor = 80)" for table in TABLES],
            reverse_sql=[f"ALTER TABLE {table} RESET (fillfactor)" for table in TABLES],
        )
    ]
