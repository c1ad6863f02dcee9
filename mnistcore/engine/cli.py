"""Command line: ``python -m mnistcore {download,train,evaluate,presets}``.

* ``download [--dir DIR]`` fetches and verifies the four MNIST files;
* ``train`` trains from a preset plus hyperparameter flags, shows a progress bar, prints a
  summary (``--json``: one JSON object as the last line of stdout) and saves ``--out``
  (refused before training if that file could not be loaded again: over
  ``config.MAX_PARAMETERS`` or ``checkpoint.MAX_CHECKPOINT_BYTES``);
* ``evaluate MODEL`` measures a checkpoint's test and validation accuracy. MODEL must be a
  regular file (a directory, a FIFO or a device is named as such, never opened), and it is
  read as ``TrainedModel.load`` reads a stranger's upload;
* ``presets`` lists the named presets.

The hyperparameter flags are generated from ``config.FIELDS`` (``lr`` -> ``--lr``,
``batch_size`` -> ``--batch-size``), and their values are parsed and validated by
``config`` itself, so the CLI cannot disagree with the dashboard about what is allowed.

Exit status: 0 success; 1 the run diverged; 2 bad arguments or unreadable input (one line
``mnistcore: error: ...`` on stderr, never a traceback); 130 interrupted by Ctrl-C (a
training run still saves and reports what it has).

Deliberate limits: progress bars appear only when stderr is a terminal; training runs in
one background thread so that Ctrl-C can stop it between two steps.
"""

from __future__ import annotations

import argparse
import json
import math
import stat
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from mnistcore.engine import data as mnist_data
from mnistcore.engine.checkpoint import MAX_CHECKPOINT_BYTES, CheckpointError
from mnistcore.engine.config import (
    FIELDS,
    MAX_PARAMETERS,
    ConfigError,
    Field,
    TrainConfig,
    format_value,
    parameter_count,
    parse_value,
)
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import TrainedModel, estimated_checkpoint_bytes, finish, trainer_for
from mnistcore.engine.presets import PRESET_NOTES, PRESETS
from mnistcore.engine.trainer import RunResult, Trainer

PROG = "mnistcore"
EXIT_OK, EXIT_DIVERGED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad arguments or unusable input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors become a UsageError instead of usage text and sys.exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


# --------------------------------------------------------------------------- parser


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
    download.add_argument("--dir", help=f"target directory (default: {mnist_data.default_cache_dir()})")

    train = commands.add_parser("train", help="train a network", allow_abbrev=False)
    train.add_argument("--preset", choices=tuple(PRESETS), default="seed", help="starting settings (default: seed)")
    groups: dict[str, argparse._ArgumentGroup] = {}
    for field in FIELDS.values():
        if field.group not in groups:
            groups[field.group] = train.add_argument_group(f"{field.group} (default: the preset's value)")
        _add_field_flag(groups[field.group], field)
    train.add_argument("--out", metavar="FILE", help="save the trained model to this .npz checkpoint")
    train.add_argument("--max-seconds", type=_positive_seconds, metavar="S", help="stop training after S seconds")
    train.add_argument("--name", help="a name stored in the model (default: the preset, '(custom)' if changed)")
    _add_output_flags(train)

    evaluate = commands.add_parser("evaluate", help="measure a saved model's accuracy", allow_abbrev=False)
    evaluate.add_argument("model", metavar="MODEL", help="a .npz checkpoint written by train --out or the dashboard")
    _add_output_flags(evaluate)

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


# --------------------------------------------------------------------------- output helpers


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: a missing or unmeasured number becomes null."""
    return None if value is None or not math.isfinite(value) else float(value)


def _percent(value: float | None) -> str:
    return "n/a" if _finite_or_none(value) is None else f"{100 * value:.2f}%"  # type: ignore[operator]


def _print_report(report: dict[str, Any], as_json: bool, lines: Sequence[str]) -> None:
    """Human lines to stdout, or (with --json) to stderr and then the JSON as stdout's last line."""
    human: TextIO = sys.stderr if as_json else sys.stdout
    for line in lines:
        print(line, file=human)
    if as_json:
        print(json.dumps(report), flush=True)


def _summary_lines(report: dict[str, Any]) -> list[str]:
    rate = report["samples_per_second"]
    return [
        f"status: {report['status']}",
        f"test accuracy: {_percent(report['test_accuracy'])}",
        f"validation accuracy: {_percent(report['validation_accuracy'])}",
        f"steps: {report['steps']:,}  epochs: {report['epochs']:.2f}",
        f"train time: {report['train_seconds']:.1f} s  ({rate:,.0f} samples/s)" if rate else "train time: n/a",
    ]


def _load_data(data_dir: str | None) -> mnist_data.Mnist:
    """MNIST from ``data_dir``, $MNIST_DATA_DIR or the cache; downloads into the cache if absent."""
    if data_dir is None and mnist_data.find_data_dir() is None:
        print(f"MNIST not found; downloading it into {mnist_data.default_cache_dir()}", file=sys.stderr)
    with _ByteBars() as bars:
        return mnist_data.load_mnist(data_dir, progress=bars.update)


class _ByteBars:
    """A tqdm byte bar per downloaded file, fed by ``data.download``'s progress callback."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None
        self.name = ""

    def update(self, name: str, done: int, total: int | None) -> None:
        if self.bar is None or name != self.name or done < self.bar.n:  # next file, or a retry on another mirror
            self.close()
            self.name = name
            self.bar = tqdm(total=total, desc=name, unit="B", unit_scale=True, file=sys.stderr, disable=None)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> _ByteBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- commands


def cmd_download(args: argparse.Namespace) -> int:
    with _ByteBars() as bars:
        directory = mnist_data.download(args.dir, progress=bars.update)
    print(f"MNIST is in {directory} (all four files verified)")
    return EXIT_OK


def cmd_presets(args: argparse.Namespace) -> int:
    if args.json:
        print(
            json.dumps({name: {"note": PRESET_NOTES.get(name, ""), **cfg.to_dict()} for name, cfg in PRESETS.items()})
        )
        return EXIT_OK
    for name, cfg in PRESETS.items():
        print(f"{name}: {PRESET_NOTES.get(name, '')}")
        flags = [
            f"{flag_name(key)} {format_value(key, value).replace(',', ' ')}"
            for key, value in cfg.to_dict().items()
            if value is not None and not isinstance(value, bool)
        ]
        switches = {key: value for key, value in cfg.to_dict().items() if isinstance(value, bool)}
        flags += [flag_name(key) if value else "--no-" + key for key, value in switches.items()]
        print("    " + " ".join(flags))
    return EXIT_OK


def _progress_feed(bar: tqdm) -> Callable[[ProgressEvent], None]:
    """An on_event callback that moves the bar and shows loss, last validation accuracy and speed."""
    last_validation = [float("nan")]

    def on_event(event: ProgressEvent) -> None:
        if math.isfinite(event.validation_accuracy):
            last_validation[0] = event.validation_accuracy
        postfix = {"loss": f"{event.batch_loss:.4f}", "val acc": _percent(last_validation[0])}
        postfix["samples/s"] = f"{event.samples_per_second:,.0f}"
        bar.set_postfix(postfix, refresh=False)
        bar.update(event.step - bar.n)

    return on_event


def _run_interruptibly(trainer: Trainer) -> bool:
    """Train in a worker thread, so that Ctrl-C (delivered to the main thread) can stop it
    between two steps; an exception in the worker is re-raised here. Returns True if interrupted.

    Waits on an Event rather than ``Thread.join``: a join interrupted by KeyboardInterrupt
    can leave the thread looking finished to a second join (CPython 3.11), which then
    returned before the run had ended."""
    failures: list[BaseException] = []
    finished = threading.Event()

    def work() -> None:
        try:
            trainer.run()
        except BaseException as exc:  # handed over to the main thread
            failures.append(exc)
        finally:
            finished.set()

    threading.Thread(target=work, name="mnistcore-cli-trainer", daemon=True).start()
    interrupted = False
    try:
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        print("\ninterrupted: stopping after the current step ...", file=sys.stderr)
        trainer.stop()
        finished.wait()
        interrupted = True
    if failures:
        raise failures[0]
    return interrupted


def _check_out_path(out: str | None) -> None:
    """Fail before training, not after, when the checkpoint cannot be written there."""
    if out is not None and not Path(out).expanduser().resolve().parent.is_dir():
        raise UsageError(f"cannot save to {out}: the directory {Path(out).parent} does not exist")


def _check_loadable(config: TrainConfig, out: str | None) -> None:
    """Refuse before training, not after, to save a network no one could load again."""
    if out is None:
        return
    count = parameter_count(config)
    if count > MAX_PARAMETERS:
        raise UsageError(
            f"cannot save to {out}: the network has {count:,} weights and biases, and model files "
            f"are loaded only up to {MAX_PARAMETERS:,} (train without --out, or with fewer hidden units)"
        )
    size = estimated_checkpoint_bytes(config)
    if size > MAX_CHECKPOINT_BYTES:
        raise UsageError(
            f"cannot save to {out}: its model file would hold about {size / 1e6:.0f} MB, and model files "
            f"are loaded only up to {MAX_CHECKPOINT_BYTES / 1e6:.0f} MB (try --dtype float32 or fewer hidden units)"
        )


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    _check_out_path(args.out)
    _check_loadable(config, args.out)
    mnist = _load_data(args.data_dir)
    layers = "-".join(map(str, config.layer_sizes))
    print(
        f"training {layers} ({config.activation}, {config.loss}, {config.optimizer} lr {config.lr:g}) "
        f"from preset {args.preset!r} on {len(mnist.train_y):,} digits",
        file=sys.stderr,
        flush=True,
    )
    with tqdm(desc="train", unit="step", file=sys.stderr, disable=None) as bar:
        trainer = trainer_for(config, mnist, on_event=_progress_feed(bar), max_seconds=args.max_seconds)
        bar.reset(total=trainer.total_steps)
        interrupted = _run_interruptibly(trainer)
    default_name = args.preset if not _overrides(args) else f"{args.preset} (custom)"
    model = finish(trainer, mnist, name=args.name or default_name)
    result = trainer.result
    assert result is not None  # run() returned normally
    saved = _save(model, args.out) if args.out and not result.diverged else None
    report = _train_report(result, model, saved)
    lines = [result.message, *_summary_lines(report)]
    if saved:
        lines.append(f"saved to {saved}")
    elif args.out:
        lines.append(f"not saved to {args.out}: the weights are no longer finite numbers")
    _print_report(report, args.json, lines)
    if result.diverged:
        advice = f"try a smaller learning rate than {config.lr:g}"
        print(f"{PROG}: diverged at step {result.steps}: {advice}", file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def _train_report(result: RunResult, model: TrainedModel, saved: str | None) -> dict[str, Any]:
    return {
        "status": result.status,
        "diverged": result.diverged,
        "test_accuracy": _finite_or_none(model.test_accuracy),
        "validation_accuracy": _finite_or_none(result.validation_accuracy),
        "steps": result.steps,
        "epochs": result.epochs,
        "train_seconds": result.train_seconds,
        "samples_per_second": result.samples_per_second,
        "message": result.message,
        "config": model.config.to_dict(),
        "out": saved,
    }


def _overrides(args: argparse.Namespace) -> bool:
    return any(getattr(args, name) is not None for name in FIELDS)


def _save(model: TrainedModel, out: str) -> str:
    """Write the checkpoint to exactly ``out`` (np.savez would append .npz to a bare path)."""
    path = Path(out).expanduser()
    try:
        with open(path, "wb") as handle:
            model.save(handle)
    except OSError as exc:
        raise UsageError(f"cannot save the model to {out}: {exc.strerror or exc}") from None
    return str(path)


def _require_model_file(name: str) -> Path:
    """The path of an existing regular file; says what ``name`` is otherwise. Checked with
    ``stat`` before anything opens it: opening a FIFO would block, and a device never ends."""
    path = Path(name).expanduser()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UsageError(f"no such model file: {name}") from None
    except ValueError:  # a NUL byte in the name
        raise UsageError(f"not a valid file name: {name!r}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"{name} is a directory, not a model file")
    if not stat.S_ISREG(mode):
        raise UsageError(f"{name} is not a regular file (a model file is an .npz checkpoint)")
    return path


def cmd_evaluate(args: argparse.Namespace) -> int:
    path = _require_model_file(args.model)
    model = TrainedModel.load(path)
    mnist = _load_data(args.data_dir)
    events = model.history.snapshot()
    last = events[-1] if events else None
    report = {
        "status": model.status,
        "diverged": False,
        "test_accuracy": model.network.accuracy(mnist.test_x, mnist.test_y),
        "validation_accuracy": model.network.accuracy(mnist.val_x, mnist.val_y),
        "steps": last.step if last else 0,
        "epochs": last.epoch if last else 0.0,
        "train_seconds": model.train_seconds,
        "samples_per_second": last.samples_per_second if last else 0.0,
        "config": model.config.to_dict(),
        "out": None,
        "model": str(path),
        "name": model.name,
        "trained_at": model.trained_at,
    }
    layers = "-".join(map(str, model.config.layer_sizes))
    header = f"model {path} ({layers}, {model.config.activation}, {model.config.loss}; trained {model.trained_at})"
    _print_report(report, args.json, [header, *_summary_lines(report)])
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "download": cmd_download,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "presets": cmd_presets,
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
    except (UsageError, ConfigError, CheckpointError, mnist_data.DataError, OSError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
