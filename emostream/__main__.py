"""`python -m emostream` runs the `emostream` command."""

import sys

from emostream.cli import main

sys.exit(main())
