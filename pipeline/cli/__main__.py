"""`python -m pipeline.cli`: the `screening` command without the installed entry point."""

import sys

from pipeline.cli import main

sys.exit(main())
