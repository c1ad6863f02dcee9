"""``python -m mnistcore``: the command line (see ``mnistcore.engine.cli``)."""

import sys

from mnistcore.engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
