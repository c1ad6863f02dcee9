"""What each command does: ``download``, ``train``, ``evaluate``, ``presets``.

Each ``cmd_*`` takes the parsed arguments and returns the exit status; it prints human
lines (to stderr under ``--json``, whose one JSON object is stdout's last line), shows tqdm
bars for a download and for training, and raises ``UsageError`` for unusable input.
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
from mnistcore.engine.checkpoint import MAX_CHECKPOINT_BYTES
from mnistcore.engine.cli.parser import PROG, UsageError, config_from_args, flag_name
from mnistcore.engine.config import FIELDS, MAX_PARAMETERS, TrainConfig, format_value, parameter_count
from mnistcore.engine.health import final_values
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import TrainedModel, estimated_checkpoint_bytes, finish, percent, trainer_for
from mnistcore.engine.network import shape_text
from mnistcore.engine.outcome import Outcome, assess
from mnistcore.engine.presets import PRESET_NOTES, PRESETS
from mnistcore.engine.runstore import RunStore, RunStoreError, is_run_id
from mnistcore.engine.trainer import RunResult, Trainer

EXIT_OK, EXIT_DIVERGED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


# --------------------------------------------------------------------------- output helpers


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: a missing or unmeasured number becomes null."""
    return None if value is None or not math.isfinite(value) else float(value)


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
        f"test accuracy: {percent(report['test_accuracy'], missing='n/a')}",
        f"validation accuracy: {percent(report['validation_accuracy'], missing='n/a')}",
        f"steps: {report['steps']:,}  epochs: {report['epochs']:.2f}",
        f"train time: {report['train_seconds']:.1f} s  ({rate:,.0f} samples/s)" if rate else "train time: n/a",
    ]


def _load_data(data_dir: str | None, dataset: str = "mnist") -> mnist_data.Mnist:
    """MNIST (or ``dataset``) from ``data_dir``, $MNIST_DATA_DIR (or $FASHION_MNIST_DATA_DIR) or
    the cache; downloads into the cache if absent."""
    spec = mnist_data.dataset_named(dataset)
    if data_dir is None and mnist_data.find_data_dir(dataset=spec) is None:
        print(f"{spec.title} not found; downloading it into {mnist_data.default_cache_dir(spec)}", file=sys.stderr)
    with _ByteBars() as bars:
        return mnist_data.load_mnist(data_dir, progress=bars.update, dataset=dataset)


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
        spec = mnist_data.dataset_named(args.dataset)
        more: dict[str, Any] = {} if spec is mnist_data.MNIST else {"dataset": spec}  # MNIST: the call as before
        directory = mnist_data.download(args.dir, progress=bars.update, **more)
    print(f"{spec.title} is in {directory} (all four files verified)")
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    """The run store's runs, newest first: id, when, network, test accuracy, size."""
    store = RunStore.from_env()
    runs = store.runs()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": run.run_id,
                        "created": run.created,
                        "name": run.name,
                        "test_accuracy": run.test_accuracy,
                        "bytes": run.size,
                        **run.summary,
                    }
                    for run in runs
                ]
            )
        )
        return EXIT_OK
    print(f"{len(runs)} stored run{'s' if len(runs) != 1 else ''} in {store.directory}")
    for run in runs:
        config = run.summary.get("config", {})
        hidden = config.get("hidden", []) if isinstance(config, dict) else []
        shape = "-".join(str(n) for n in [784, *hidden, 10]) if isinstance(hidden, list) else "?"
        accuracy = percent(run.test_accuracy, missing="n/a")
        print(f"{run.run_id}  {run.created_text}  {shape:<14} {accuracy:>7}  {run.size / 1e6:6.1f} MB  {run.name}")
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
        postfix = {"loss": f"{event.batch_loss:.4f}", "val acc": percent(last_validation[0], missing="n/a")}
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
    mnist = _load_data(args.data_dir, config.dataset)
    layers = shape_text(config.layer_sizes)
    print(
        f"training {layers} ({config.activation}, {config.loss}, {config.optimizer} lr {config.lr:g}) "
        f"from preset {args.preset!r} on {len(mnist.train_y):,} {mnist.info.title} training images",
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
    run_id, not_stored = _store_run(model) if args.save_run and not result.diverged else (None, "")
    final = (result.steps, result.validation_accuracy)
    outcome = assess(model.history.snapshot(), final, config.layer_sizes[-1], config.loss)
    report = _train_report(result, model, saved, outcome)
    report["run_id"] = run_id
    lines = [result.message, *_summary_lines(report)]
    if outcome is not None and not outcome.learned:
        lines.append(f"warning: {outcome.to_dict()['message']}")
    if saved:
        lines.append(f"saved to {saved}")
    elif args.out:
        lines.append(f"not saved to {args.out}: the weights are no longer finite numbers")
    if run_id:
        lines.append(f"stored as run {run_id} in {RunStore.from_env().directory}")
    elif not_stored:
        lines.append(f"not stored in the run store: {not_stored}")
    _print_report(report, args.json, lines)
    if result.diverged:
        advice = f"try a smaller learning rate than {config.lr:g}"
        print(f"{PROG}: diverged at step {result.steps}: {advice}", file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def _train_report(result: RunResult, model: TrainedModel, saved: str | None, outcome: Outcome | None) -> dict[str, Any]:
    """The JSON report; ``outcome``: did the network learn (``engine.outcome``), null for a diverged run."""
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
        "outcome": outcome.to_dict() if outcome is not None else None,
        "health": final_values(model.history.health),  # the last per-layer training-health record
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


def _store_run(model: TrainedModel) -> tuple[str | None, str]:
    """(the run's id, "") once stored, or (None, why not): a full store never loses the report."""
    try:
        return RunStore.from_env().save(model), ""
    except RunStoreError as exc:
        return None, str(exc)


def _model_or_run(name: str) -> tuple[TrainedModel, str]:
    """A model file, or (when no such file exists and ``name`` is a run id) a stored run."""
    if is_run_id(name) and not Path(name).expanduser().exists():
        return RunStore.from_env().load(name), f"run {name}"
    path = _require_model_file(name)
    return TrainedModel.load(path), str(path)


def cmd_evaluate(args: argparse.Namespace) -> int:
    model, path = _model_or_run(args.model)
    if args.dataset is not None and args.dataset != model.config.dataset:
        raise UsageError(
            f"{path} is a {mnist_data.dataset_named(model.config.dataset).title} model: it is not evaluated "
            f"on {mnist_data.dataset_named(args.dataset).title} (leave out --dataset to use its own)"
        )
    mnist = _load_data(args.data_dir, model.config.dataset)
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
        "model": path,
        "name": model.name,
        "trained_at": model.trained_at,
    }
    layers = shape_text(model.config.layer_sizes)
    header = f"model {path} ({layers}, {model.config.activation}, {model.config.loss}; trained {model.trained_at})"
    _print_report(report, args.json, [header, *_summary_lines(report)])
    return EXIT_OK
