"""``python -m devicekit``: the command line (guarded, as sweep worker processes import it)."""

import sys

from devicekit.cli import main

if __name__ == "__main__":
    sys.exit(main())
