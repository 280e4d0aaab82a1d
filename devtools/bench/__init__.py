"""Benchmarks: each prints numbers (``manage.py bench ingest|backfill|pages``); no test times anything."""
