"""The command line's flags: one subcommand each for download, train, evaluate and presets,
and one ``train`` flag per setting in ``config.FIELDS`` (``lr`` -> ``--lr``), whose values
``config`` itself parses and validates. argparse's errors become a ``UsageError`` (one line,
exit status 2) instead of usage text and ``sys.exit``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from mnistcore.engine.config import FIELDS, Field, TrainConfig, parse_value
from mnistcore.engine.data import DATASETS, default_cache_dir
from mnistcore.engine.presets import PRESETS

PROG = "mnistcore"


class UsageError(Exception):
    """Bad arguments or unusable input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors become a UsageError instead of usage text and sys.exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def flag_name(field_name: str) -> str:
    """``batch_size`` -> ``--batch-size``."""
    return "--" + field_name.replace("_", "-")


def _add_field_flag(group: argparse._ArgumentGroup, field: Field) -> None:
    """One flag per setting; values stay text (or bool) until ``config.parse_value`` reads them."""
    help_text = f"{field.help} Allowed: {field.describe_range()}."
    if field.kind is bool:
        group.add_argument(flag_name(field.name), action=argparse.BooleanOptionalAction, default=None, help=help_text)
    elif field.kind is tuple:
        group.add_argument(flag_name(field.name), nargs="+", metavar="N", default=None, help=field.help)
    elif field.choices:
        group.add_argument(flag_name(field.name), choices=field.choices, default=None, help=field.help)
    else:
        group.add_argument(flag_name(field.name), metavar=field.kind.__name__.upper(), default=None, help=help_text)


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="A from-scratch NumPy neural network on real MNIST.", allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    download = commands.add_parser("download", help="download and verify the MNIST files", allow_abbrev=False)
    download.add_argument(
        "--dir", help=f"target directory (default: {default_cache_dir()}, or its fashion-mnist beside)"
    )
    download.add_argument("--dataset", choices=tuple(DATASETS), default="mnist", help="which dataset (default: mnist)")

    train = commands.add_parser("train", help="train a network", allow_abbrev=False)
    train.add_argument("--preset", choices=tuple(PRESETS), default="seed", help="starting settings (default: seed)")
    groups: dict[str, argparse._ArgumentGroup] = {}
    for field in FIELDS.values():
        if field.group not in groups:
            groups[field.group] = train.add_argument_group(f"{field.group} (default: the preset's value)")
        _add_field_flag(groups[field.group], field)
    train.add_argument("--out", metavar="FILE", help="save the trained model to this .npz checkpoint")
    train.add_argument(
        "--save-run", action="store_true", help="store the run in the run store ($MNIST_RUNS_DIR) and print its id"
    )
    train.add_argument("--max-seconds", type=_positive_seconds, metavar="S", help="stop training after S seconds")
    train.add_argument("--name", help="a name stored in the model (default: the preset, '(custom)' if changed)")
    _add_output_flags(train)

    evaluate = commands.add_parser("evaluate", help="measure a saved model's accuracy", allow_abbrev=False)
    evaluate.add_argument(
        "model", metavar="MODEL", help="a .npz checkpoint written by train --out or the dashboard, or a stored run's id"
    )
    evaluate.add_argument(
        "--dataset", choices=tuple(DATASETS), help="refuse unless the model is for this dataset (default: its own)"
    )
    _add_output_flags(evaluate)

    runs = commands.add_parser("runs", help="list the runs in the run store ($MNIST_RUNS_DIR)", allow_abbrev=False)
    runs.add_argument("--json", action="store_true", help="print the runs as one JSON list")

    presets = commands.add_parser("presets", help="list the presets and their settings", allow_abbrev=False)
    presets.add_argument("--json", action="store_true", help="print the presets as one JSON object")
    return parser


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line of stdout")
    parser.add_argument("--data-dir", metavar="DIR", help="MNIST directory (default: $MNIST_DATA_DIR, then the cache)")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset with every given flag applied; ConfigError names the bad setting."""
    changes: dict[str, Any] = {}
    for name, field in FIELDS.items():
        value = getattr(args, name)
        if value is None:
            continue
        if field.kind is tuple:
            value = " ".join(value)
        changes[name] = parse_value(name, value) if isinstance(value, str) else value
    return PRESETS[args.preset].replace(**changes)
