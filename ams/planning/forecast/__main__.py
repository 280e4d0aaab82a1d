import sys

from ams.planning.forecast.cli import main

sys.exit(main())
