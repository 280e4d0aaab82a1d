"""Reports API 2021-06-30: report lifecycle, documents and their expiring download URLs."""
