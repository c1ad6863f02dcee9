"""Command line: ``python -m mnistcore {download,train,evaluate,presets,runs}``.

* ``download [--dir DIR]`` fetches and verifies the four MNIST files;
* ``train`` trains from a preset plus hyperparameter flags, shows a progress bar, prints a
  summary (``--json``: one JSON object as the last line of stdout) and saves ``--out``
  (refused before training if that file could not be loaded again: over
  ``config.MAX_PARAMETERS`` or ``checkpoint.MAX_CHECKPOINT_BYTES``);
* ``evaluate MODEL`` measures a checkpoint's test and validation accuracy. MODEL must be a
  regular file (a directory, a FIFO or a device is named as such, never opened), and it is
  read as ``TrainedModel.load`` reads a stranger's upload;
* ``presets`` lists the named presets;
* ``runs`` lists the run store's runs (``train --save-run`` stores one; ``evaluate RUN_ID``
  reads one, as it reads a model file).

The hyperparameter flags are generated from ``config.FIELDS`` (``lr`` -> ``--lr``,
``batch_size`` -> ``--batch-size``), and their values are parsed and validated by
``config`` itself, so the CLI cannot disagree with the dashboard about what is allowed.

Exit status: 0 success; 1 the run diverged; 2 bad arguments or unreadable input (one line
``mnistcore: error: ...`` on stderr, never a traceback); 130 interrupted by Ctrl-C (a
training run still saves and reports what it has).

Three modules: ``parser`` (the flags, generated from ``config.FIELDS``), ``commands`` (what
each command does, with its progress bars and reports) and this one (``main``: dispatch,
and every error as one line).

Deliberate limits: progress bars appear only when stderr is a terminal; training runs in
one background thread so that Ctrl-C can stop it between two steps.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.cli.commands import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    cmd_download,
    cmd_evaluate,
    cmd_presets,
    cmd_runs,
    cmd_train,
)
from mnistcore.engine.cli.parser import PROG, UsageError, build_parser
from mnistcore.engine.config import ConfigError
from mnistcore.engine.data import DataError
from mnistcore.engine.runstore import RunStoreError

__all__ = ["main"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "download": cmd_download,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "presets": cmd_presets,
    "runs": cmd_runs,
}


def _one_line(message: object) -> str:
    """Error messages may span lines (data-install help): the CLI reports them on one."""
    return " ".join(str(message).split())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except SystemExit as exc:  # --help and --version print and exit through argparse
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except (UsageError, ConfigError, CheckpointError, DataError, RunStoreError, OSError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
