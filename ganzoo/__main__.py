"""`python -m ganzoo`: the `ganzoo` command line."""

import sys

from ganzoo.cli import main

sys.exit(main())
