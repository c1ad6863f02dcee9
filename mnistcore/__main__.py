"""``python -m mnistcore``: the command line (see ``mnistcore.cli``)."""

import sys

from mnistcore.cli import main

if __name__ == "__main__":
    sys.exit(main())
