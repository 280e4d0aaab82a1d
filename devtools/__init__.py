"""Tooling around the product, never part of it: the demo, the benchmarks and Stripe's local stand-in.

Nothing under ``ams/``, ``config/``, ``spapi/`` or ``spapi_sim/`` imports this package (a test
holds that). Settings install it as a Django app outside production only, so ``manage.py demo``,
``manage.py bench`` and ``manage.py fake_stripe`` exist in dev, test and the demo and nowhere else.
"""
