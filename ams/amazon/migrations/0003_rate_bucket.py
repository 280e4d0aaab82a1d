"""The shared token buckets of the SP-API rate limiter (ams.amazon.ratelimit).

Amazon meters each (selling partner, application, operation), so the buckets are keyed by seller
and operation and shared by every team that connects the same seller: not tenant data.
"""

from django.db import migrations

CREATE = """
CREATE TABLE amazon_spapi_rate_bucket (
    seller_id  text NOT NULL,
    operation  text NOT NULL,
    tokens     double precision NOT NULL,
    last       double precision NOT NULL,
    rate       double precision NOT NULL,
    burst      double precision NOT NULL,
    PRIMARY KEY (seller_id, operation)
);
"""


class Migration(migrations.Migration):
    dependencies = [("amazon", "0002_vault")]

    operations = [migrations.RunSQL(CREATE, reverse_sql="DROP TABLE amazon_spapi_rate_bucket")]
