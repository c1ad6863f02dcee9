"""Minibatch training in steps: pausable, stoppable from another thread, reporting as it goes.

The trainer runs ``train_step`` (*forward -> backward -> optimizer step*) over shuffled
minibatches and appends a ``ProgressEvent`` to a thread-safe ``History`` (both in
``history``) at a fixed interval. It never prints: a CLI, a notebook or the dashboard
reads the history (or passes ``on_event``) and decides how to show it. ``pause``,
``resume`` and ``stop`` may be called from any thread; the dashboard runs ``run`` in a
background thread per session.

Performance notes: the minibatches come from ``batches.Batches`` (gathered into two reused
buffers, from the pixel bytes). All arithmetic stays in the network's dtype; there is no
Python work per sample. Loss and accuracy are computed only on logging steps.
BLAS keeps its own thread count: float32 results differ in the last bits between 1 and
2 threads, so a per-run thread limit would make a run's numbers depend on what else runs.

Deliberate limits: one network per trainer, trained by one thread; the test set is never
touched here (the caller evaluates it once, at the end).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from mnistcore.engine import health
from mnistcore.engine.augment import random_affine
from mnistcore.engine.batches import Batches
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.history import History, ProgressEvent
from mnistcore.engine.network import MLP
from mnistcore.engine.optimizers import SCHEDULES, Optimizer, make_optimizer

N_SNAPSHOTS = 8  # weight snapshots after the start one, spread evenly over the run


class RunStatus(StrEnum):
    """Where a trainer is: ready -> running <-> paused -> finished | stopped | diverged."""

    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"

    @property
    def ended(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.STOPPED, RunStatus.DIVERGED)


class EndReason(StrEnum):
    """Why a run ended; ``status`` gives the run's final ``RunStatus``."""

    COMPLETED = "completed"  # every step was taken
    STOPPED = "stopped"  # someone called stop()
    TIME_LIMIT = "time limit"  # max_seconds of training reached
    DIVERGED = "diverged"  # the loss stopped being a finite number

    @property
    def status(self) -> RunStatus:
        return {
            EndReason.COMPLETED: RunStatus.FINISHED,
            EndReason.STOPPED: RunStatus.STOPPED,
            EndReason.TIME_LIMIT: RunStatus.STOPPED,
            EndReason.DIVERGED: RunStatus.DIVERGED,
        }[self]


@dataclass(frozen=True)
class RunResult:
    """How a run ended: its final ``status``, the ``reason`` and a sentence saying so."""

    status: RunStatus
    reason: EndReason
    steps: int
    epochs: float
    train_seconds: float
    samples_per_second: float
    validation_accuracy: float
    message: str

    @property
    def diverged(self) -> bool:
        return self.status is RunStatus.DIVERGED


def train_step(net: MLP, optimizer: Optimizer, x: np.ndarray, y: np.ndarray, lr: float, weight_decay: float = 0.0):
    """One step of minibatch gradient descent: forward, backward, update, in place.

    x : (batch, n_0) inputs; y : (batch, n_L) one-hot targets; ``optimizer`` was made for
    ``net.update_arrays()[0]``. Afterwards ``net.gradients()`` holds this batch's true
    gradients (the optimizer never writes to them). Returns the output activations
    (batch, n_L) from before the update, a buffer valid until the next step.
    """
    activations = net.forward(x)  # [x, a1, ..., aL]
    net.backward(activations, y, weight_decay)  # fills dLoss/dW and dLoss/db
    optimizer.step(*net.update_arrays(), lr)
    return activations[-1]


class Trainer:
    """Trains ``network`` (a fresh one from ``config`` if omitted) on the given arrays.

    Parameters
    ----------
    config : the validated hyperparameters
    train_x : (n, 784) inputs, floats or uint8 pixel bytes 0..255; train_y : (n,) int labels
    val_x, val_y : the validation split, measured every ``config.eval_every`` steps
    on_event : optional callback, called in the training thread with each event
    max_seconds : optional cap on training time; the run then ends as 'stopped'
    """

    def __init__(
        self,
        config: TrainConfig,
        train_x: np.ndarray,
        train_y: np.ndarray,
        val_x: np.ndarray,
        val_y: np.ndarray,
        network: MLP | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
        max_seconds: float | None = None,
    ):
        if config.batch_size > len(train_x):
            raise ValueError(
                f"batch_size must be at most the training set size ({len(train_x)}), got {config.batch_size}"
            )
        self.config = config
        self.rng = np.random.default_rng(config.seed)  # one generator: init, shuffling, augmentation
        self.network = network or MLP.create(
            config.layer_sizes, config.activation, config.loss, config.init, self.rng, np.dtype(config.dtype).type
        )
        self.train_x, self.train_y, self.val_x, self.val_y = train_x, train_y, val_x, val_y
        self.total_steps = config.total_steps(len(train_x))
        self.history = History()
        self.snapshots: list[tuple[int, np.ndarray]] = []  # (step, first-layer weights)
        self.result: RunResult | None = None
        self.on_event = on_event
        self.max_seconds = max_seconds
        self.status = RunStatus.READY
        self._resume = threading.Event()
        self._resume.set()
        self.record_health = True  # False: no ``engine.health`` records (the benchmark's 'off' side)
        self._stop = False
        self._step = 0
        self._elapsed = 0.0

    # ------------------------------------------------------------ control, any thread
    def pause(self) -> None:
        if self.status is RunStatus.RUNNING:
            self._resume.clear()
            self.status = RunStatus.PAUSED

    def resume(self) -> None:
        if self.status is RunStatus.PAUSED:
            self.status = RunStatus.RUNNING
            self._resume.set()

    def stop(self) -> None:
        """Ask the run to end after the current step (also wakes a paused run)."""
        self._stop = True
        self._resume.set()

    @property
    def step(self) -> int:
        return self._step

    @property
    def done(self) -> bool:
        return self.status.ended

    def start_thread(self, name: str = "mnistcore-trainer") -> threading.Thread:
        """Run in a daemon thread and return it (its result lands in ``self.result``)."""
        thread = threading.Thread(target=self.run, name=name, daemon=True)
        thread.start()
        return thread

    # ---------------------------------------------------------------- the training loop
    def run(self) -> RunResult:
        """Train until the step count is reached, ``stop`` is called or the loss diverges."""
        cfg, net = self.config, self.network
        self.status = RunStatus.RUNNING
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, not warned about
            reason = self._loop(cfg, net)
        val_acc = net.accuracy(self.val_x, self.val_y) if reason is not EndReason.DIVERGED else float("nan")
        seen = self._step * cfg.batch_size
        self.result = RunResult(
            status=reason.status,
            reason=reason,
            steps=self._step,
            epochs=seen / len(self.train_x),
            train_seconds=self._elapsed,
            samples_per_second=seen / max(self._elapsed, 1e-9),
            validation_accuracy=val_acc,
            message=self._message(reason),
        )
        self.status = reason.status
        return self.result

    def _loop(self, cfg: TrainConfig, net: MLP) -> EndReason:
        optimizer = make_optimizer(cfg.optimizer, net.update_arrays()[0], cfg.momentum)
        schedule = SCHEDULES[cfg.schedule]
        log_every = max(1, cfg.eval_every // 10)
        # Distinct steps > 0: a run shorter than N_SNAPSHOTS steps would repeat (or be stuck at) step 0.
        spread = set(np.linspace(0, self.total_steps, N_SNAPSHOTS + 1).astype(int).tolist()) - {0}
        snapshot_at = iter(sorted(spread))
        next_snapshot = next(snapshot_at)
        self.snapshots.append((0, net.weights[0].copy()))
        batches = Batches(self.train_x, self.train_y, net.layer_sizes[-1], cfg.batch_size, net.dtype, self.rng)
        started = time.perf_counter()
        for step in range(self._step, self.total_steps):
            if self._stop or not self._resume.is_set():
                started = self._wait_if_paused(started)
                if self._stop:
                    return EndReason.STOPPED
            x_batch, y_batch = batches.next()
            if cfg.augment and x_batch.dtype == np.float32:
                random_affine(x_batch, self.rng, out=x_batch)
            elif cfg.augment:  # augmentation works in float32: a float64 run takes a cast copy
                x_batch[...] = random_affine(x_batch, self.rng)
            lr = schedule(cfg.lr, step, self.total_steps)
            outputs = train_step(net, optimizer, x_batch, y_batch, lr, cfg.weight_decay)
            self._step = step + 1
            if self._step == next_snapshot:
                self.snapshots.append((self._step, net.weights[0].copy()))
                next_snapshot = next(snapshot_at, -1)
            if self.record_health and self.history.health.due(self._step, self.total_steps):
                self._measure_health(net, optimizer, x_batch.shape[0])
            if self._step % log_every == 0 or self._step == self.total_steps:
                elapsed = self._elapsed + time.perf_counter() - started
                if not self._log(net, outputs, y_batch, lr, elapsed):
                    self._elapsed = elapsed
                    return EndReason.DIVERGED
            if self.max_seconds is not None and self._elapsed + time.perf_counter() - started > self.max_seconds:
                self._elapsed += time.perf_counter() - started
                return EndReason.TIME_LIMIT
        self._elapsed += time.perf_counter() - started
        return EndReason.COMPLETED

    def _measure_health(self, net: MLP, optimizer: Optimizer, batch: int) -> None:
        """Per-layer gradient norms, update ratios, dead or saturated units (``engine.health``)."""
        update = optimizer.last_update()
        self.history.health.append(health.measure(self._step, net, net.last_outputs(batch), update))

    def _wait_if_paused(self, started: float) -> float:
        """Block while paused; returns the new start time so pauses do not count as training."""
        self._elapsed += time.perf_counter() - started
        self._resume.wait()
        return time.perf_counter()

    def _log(self, net: MLP, outputs: np.ndarray, targets: np.ndarray, lr: float, elapsed: float) -> bool:
        """Record one event; returns False when the loss is no longer finite (divergence).

        However often it is called, a run records at most about half its history's room:
        a step closer than ``total_steps / (max_events / 2)`` to the previous event is
        skipped (eval_every=10 over 10,000,000 steps: an event every 1,000 steps, not every
        step, so a validation pass every 1,000 too). Validation is measured on the first
        event at or past each multiple of ``eval_every``: on the multiples themselves when
        events fall on them, as they do when the interval divides ``eval_every``."""
        final = self._step == self.total_steps
        previous = self.history.last_step()
        if self._step - previous < self.total_steps // (self.history.max_events // 2) and not final:
            return True
        loss = net.output_loss.loss(outputs, targets)
        if not math.isfinite(loss) or not np.isfinite(net.weights[-1]).all():
            return False
        accuracy = float(np.mean(outputs.argmax(axis=1) == targets.argmax(axis=1)))
        evaluate = final or self._step // self.config.eval_every > previous // self.config.eval_every
        val_acc = net.accuracy(self.val_x, self.val_y) if evaluate else float("nan")
        seen = self._step * self.config.batch_size
        event = ProgressEvent(
            step=self._step,
            epoch=seen / len(self.train_x),
            samples_seen=seen,
            batch_loss=loss,
            batch_accuracy=accuracy,
            validation_accuracy=val_acc,
            learning_rate=lr,
            elapsed=elapsed,
            samples_per_second=seen / max(elapsed, 1e-9),
        )
        self.history.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return True

    def _message(self, reason: EndReason) -> str:
        if reason is EndReason.DIVERGED:
            return (
                f"Training diverged at step {self._step}: the loss is no longer a finite number. "
                f"Try a smaller learning rate (now {self.config.lr:g})."
            )
        if reason is EndReason.TIME_LIMIT:
            return f"Stopped at step {self._step}: the run reached its time limit of {self.max_seconds:g} s."
        if reason is EndReason.STOPPED:
            return f"Stopped at step {self._step} of {self.total_steps}."
        return f"Finished {self._step} steps."
