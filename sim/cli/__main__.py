"""``python -m sim.cli``: the ``sim`` command."""

import sys

from sim.cli.main import main

sys.exit(main())
