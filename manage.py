#!/usr/bin/env python
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The settings only read the environment; without DATABASE_URL (dev, the demo) the embedded
    # PostgreSQL under .devdb/ provides it, for this process and the ones it starts.
    from ams.core import embedded_postgres
    from config import local_secret

    devdb = Path(__file__).resolve().parent / ".devdb"
    embedded_postgres.environ_ensure(devdb)
    local_secret.environ_ensure(devdb)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
