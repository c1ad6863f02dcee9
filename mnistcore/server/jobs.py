"""Training jobs for a server with many users: background threads, a concurrency limit, a queue.

A ``TrainingJob`` owns one ``Trainer`` (and so its own network: never shared between jobs)
and runs it in a daemon thread; when the run ends the thread packages the result as a
``TrainedModel`` (measuring the test set once) and judges how the run turned out
(``outcome``: did the network learn, or stop learning?), so no page has to. A ``JobManager`` caps how many jobs train
at once; jobs submitted over the limit wait in a FIFO queue, start as soon as a slot
frees up, and can report their place in the queue. Every method may be called from any
thread; a page reads a job's progress from ``job.events()`` (the trainer's thread-safe
history) and never touches the training thread.

Limits (how many jobs at once, run time, network size, memory per run) are set per manager,
from the environment with ``JobManager.from_env``; ``limits`` defines them and the refusals.

One active job per owner: ``submit`` refuses a second job from an owner (e.g. a browser
session) while its first is queued, running, paused or finishing, checked and recorded
under the manager's lock, so quick repeated clicks cannot take every slot. The empty owner
(the command line, library use) is exempt.

Abandoned jobs: a job may carry an ``is_alive`` callable (e.g. "is this browser session
still connected?", supplied by the web layer so this module stays UI-free). While such jobs
are active, a watchdog daemon thread calls it about once a second and stops (or cancels,
if queued) every job whose owner has been gone for ``owner_grace`` seconds, so a closed tab
frees its slot within a few seconds. The watchdog ends itself when nothing is left to
watch. A caller without such a check can stop a gone owner's jobs with ``stop_owner``.

Why one module of over 300 lines: ``TrainingJob`` and ``JobManager`` are two halves of one
concurrency protocol. A job asks its manager for its queue place and hands back its slot
(``_release``, ``_cancel_queued``); the manager starts, stops and watches jobs (``_start``,
``_end``, the watchdog) under one lock. Apart, each half would reach into the other's
privates across modules; together, the locking can be read in one place.

A job given a run store (``submit(store=...)``) saves its ended run there before it is done
(``job.run_id``; ``job.store_message`` says why not, and the run then lives in memory only).

Deliberate limits: jobs live in one process (no cross-process queue; only ended runs persist); a
stopped queued job simply leaves the queue; a liveness check that raises counts as "still
there" (the run-time cap is the backstop), so a broken check never kills runs.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mnistcore.engine.config import TrainConfig
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import TrainedModel, finish, trainer_for
from mnistcore.engine.outcome import Outcome, assess
from mnistcore.engine.runstore import RunStore, RunStoreError
from mnistcore.engine.trainer import RunResult, RunStatus
from mnistcore.server.limits import (
    DEFAULT_BLAS_THREADS,
    DEFAULT_MAX_JOBS,
    DEFAULT_MAX_PARAMETERS,
    DEFAULT_MAX_RUN_MB,
    DEFAULT_MAX_RUN_SECONDS,
    ONE_RUN_AT_A_TIME,
    JobRefused,
    check_limits,
    limits_from_env,
)
from mnistcore.server.tuning import limit_blas_threads, release_free_memory

DEFAULT_WATCH_SECONDS = 1.0  # how often the watchdog asks whether owners are still there
DEFAULT_OWNER_GRACE_SECONDS = 2.0  # a network blip or a reconnect must not kill a run


class JobStatus(StrEnum):
    """A job's state: queued -> running <-> paused -> finishing -> one of the final states
    (finished, stopped, diverged: as its trainer's run ended; failed: an error in the job)."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHING = "finishing"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (JobStatus.FINISHED, JobStatus.STOPPED, JobStatus.DIVERGED, JobStatus.FAILED)


@dataclass(frozen=True)
class Progress:
    """Where a run is: ``step`` of ``total_steps``, its speed and the time left (None: unknown;
    ``time_limited``: the server's run-time limit will end it then, before its last step)."""

    step: int
    total_steps: int
    samples_per_second: float
    seconds_left: float | None
    time_limited: bool = False

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


class TrainingJob:
    """One training run in its own thread. Create it through ``JobManager.submit``.

    Attributes
    ----------
    id : int, unique in the process
    config : the run's settings
    owner : who submitted it (e.g. a session id), for ``JobManager.stop_owner``
    trainer : the ``Trainer``; its ``history`` is what a page draws
    abandoned : True once the watchdog stopped it because its owner went away
    """

    def __init__(
        self,
        job_id: int,
        config: TrainConfig,
        data: Any,
        owner: str,
        name: str,
        max_seconds: float | None,
        is_alive: Callable[[], bool] | None = None,
        store: RunStore | None = None,
    ):
        self.id = job_id
        self.config = config
        self.owner = owner
        self.name = name
        self.trainer = trainer_for(config, data, max_seconds=max_seconds)
        self.total_steps = self.trainer.total_steps
        self.submitted_at = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.abandoned = False
        self._is_alive = is_alive
        self._owner_gone_since: float | None = None
        self._data = data
        self._manager: JobManager | None = None
        self._final: JobStatus | None = None
        self._error = ""
        self._model: TrainedModel | None = None
        self._outcome: Outcome | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._store = store
        self.run_id = ""  # the run's id in the run store, once saved there
        self.store_message = ""  # why the run could not be stored (then it lives in memory only)

    # ------------------------------------------------------------------ state, any thread
    @property
    def status(self) -> JobStatus:
        if self._final is not None:
            return self._final
        if self.started_at is None:
            return JobStatus.QUEUED
        trainer_status = self.trainer.status
        if trainer_status is RunStatus.READY:
            return JobStatus.RUNNING
        return JobStatus.FINISHING if trainer_status.ended else JobStatus(trainer_status.value)

    @property
    def done(self) -> bool:
        return self._final is not None

    @property
    def active(self) -> bool:
        return not self.done

    @property
    def queue_position(self) -> int | None:
        """1 for the next job to start, 2 for the one after...; None when not queued."""
        return self._manager.position(self) if self._manager is not None else None

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def model(self) -> TrainedModel | None:
        """The trained model once the run ended (None while running, and for diverged or failed runs)."""
        return self._model

    @property
    def result(self) -> RunResult | None:
        return self.trainer.result

    @property
    def outcome(self) -> Outcome | None:
        """How the run turned out (``outcome.assess``: did the network learn, or stop
        learning?), once it has ended with a network; None before, and for diverged, failed
        or cancelled runs."""
        return self._outcome

    @property
    def message(self) -> str:
        """How the run ended, in a sentence (empty while it runs)."""
        if self._final is JobStatus.FAILED:
            return self._error
        if self._final is JobStatus.STOPPED and self.result is None:
            return "Cancelled before it started."
        return self.result.message if self.result is not None else ""

    def progress(self) -> Progress:
        """Steps done, the run's speed and the training time left at that speed.

        Both come from this run alone: its samples per second over its own training time so
        far (pauses excluded), as its latest event measured them; never a preset's typical
        time. No estimate before the first event. When the server's time limit will stop the
        run before its last step, the time left is the time to that limit."""
        step, events = self.trainer.step, self.trainer.history.snapshot()
        latest = events[-1] if events else None
        speed = latest.samples_per_second if latest is not None else 0.0
        steps_per_second = speed / self.config.batch_size
        left = (self.total_steps - step) / steps_per_second if steps_per_second > 0 else None
        limited = False
        cap = self.trainer.max_seconds
        if left is not None and latest is not None and cap is not None:
            to_cap = max(0.0, cap - latest.elapsed - (step - latest.step) / steps_per_second)
            limited = to_cap < left
            left = min(left, to_cap)
        if self.done:
            left, limited = 0.0, False
        return Progress(step, self.total_steps, speed, left, limited)

    def events(self) -> list[ProgressEvent]:
        """A copy of the progress events so far (safe while training goes on)."""
        return self.trainer.history.snapshot()

    # ------------------------------------------------------------------ control, any thread
    def pause(self) -> None:
        self.trainer.pause()

    def resume(self) -> None:
        self.trainer.resume()

    def stop(self) -> None:
        """End the run after its current step; a queued job leaves the queue at once."""
        if self._manager is not None and self._manager._cancel_queued(self):
            return
        self.trainer.stop()

    def owner_present(self) -> bool:
        """Whether the job's owner is still there (always True without an ``is_alive`` check;
        a check that raises counts as present)."""
        if self._is_alive is None:
            return True
        try:
            return bool(self._is_alive())
        except Exception:  # noqa: BLE001 - a broken check must not kill runs: max_seconds still caps them
            return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended; returns False on timeout."""
        return self._done.wait(timeout)

    # ------------------------------------------------------------------ the worker thread
    def _start(self) -> None:
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=f"mnist-job-{self.id}", daemon=True)
        self._thread.start()

    def _drop_training_arrays(self) -> None:
        """Free what only training needed, though the session keeps this job and its model:
        the network's per-batch buffers (3 x batch x every layer's width: 830 MB for batch
        55,000 of 784-1250-10; the network makes them again if it ever trains again) and the
        trainer's snapshot copies (the model has its own stacked copy)."""
        self.trainer.snapshots = []
        self.trainer.network.release_buffers()
        # A run on MNIST + my digits trained on its own 43 MB copy of the training split: let it go.
        self.trainer.train_x, self.trainer.train_y = self.trainer.train_x[:0], self.trainer.train_y[:0]

    def _run(self) -> None:
        try:
            result = self.trainer.run()
            if not result.diverged:
                self._model = finish(self.trainer, self._data, self.name)
                self._outcome = assess(
                    self.trainer.history.snapshot(),
                    (result.steps, result.validation_accuracy),
                    self.config.layer_sizes[-1],
                    self.config.loss,
                )
                self._store_run()
            self._end(JobStatus(result.status.value))
        except Exception as exc:  # noqa: BLE001 - a job must always end and free its slot
            self._error = f"Training failed: {type(exc).__name__}: {exc}"
            self._end(JobStatus.FAILED)

    def _store_run(self) -> None:
        """Save the ended run in the run store (when the job has one), before the job is done,
        so whoever sees it done also sees its ``run_id``; a store that cannot take it leaves
        the run in memory, and ``store_message`` says why."""
        if self._store is None or self._model is None:
            return
        try:
            self.run_id = self._store.save(self._model, owner=self.owner)
        except RunStoreError as exc:
            self.store_message = str(exc)

    def _end(self, status: JobStatus) -> None:
        self.finished_at = time.time()
        self._final = status
        self._data = None  # the job no longer needs the dataset reference
        self._drop_training_arrays()
        if self._manager is not None:
            self._manager._release(self)  # before waking waiters: who sees it done sees its slot free
        self._done.set()
        release_free_memory()


class JobManager:
    """Starts at most ``max_concurrent`` jobs at once; later ones wait in a FIFO queue."""

    def __init__(
        self,
        max_concurrent: int = DEFAULT_MAX_JOBS,
        max_seconds: float | None = DEFAULT_MAX_RUN_SECONDS,
        max_parameters: int | None = DEFAULT_MAX_PARAMETERS,
        max_run_mb: float | None = DEFAULT_MAX_RUN_MB,
        blas_threads: int | None = DEFAULT_BLAS_THREADS,
        watch_seconds: float = DEFAULT_WATCH_SECONDS,
        owner_grace: float = DEFAULT_OWNER_GRACE_SECONDS,
    ):
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        if blas_threads is not None:
            limit_blas_threads(blas_threads)
        self.max_concurrent = max_concurrent
        self.max_seconds = max_seconds
        self.max_parameters = max_parameters
        self.max_run_mb = max_run_mb
        self.watch_seconds = watch_seconds
        self.owner_grace = owner_grace
        self._watchdog: threading.Thread | None = None
        self._wake_watchdog = threading.Event()  # set when jobs end: check now, not in watch_seconds
        self._lock = threading.Lock()
        self._queue: deque[TrainingJob] = deque()
        self._running: list[TrainingJob] = []
        self._owners_submitting: set[str] = set()  # owners whose job is being built in submit
        self._ids = itertools.count(1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JobManager:
        """Limits from ``MNIST_MAX_JOBS``, ``MNIST_MAX_RUN_SECONDS``, ``MNIST_MAX_PARAMS``,
        ``MNIST_MAX_RUN_MB`` and ``MNIST_BLAS_THREADS`` (threads per matrix product; default 1)."""
        return cls(**limits_from_env(os.environ if env is None else env))

    def check(self, config: TrainConfig) -> None:
        """Raise ``JobRefused`` if ``config`` is too big for this server's limits."""
        check_limits(config, self.max_parameters, self.max_run_mb)

    def submit(
        self,
        config: TrainConfig,
        data: Any,
        *,
        owner: str = "",
        name: str = "",
        is_alive: Callable[[], bool] | None = None,
        store: RunStore | None = None,
    ) -> TrainingJob:
        """Create a job training ``config`` on ``data`` (an ``Mnist``); it starts now if a slot
        is free, else it is queued. Raises ``JobRefused`` if the config is over the limits,
        or if ``owner`` (when not empty) already has an active job: one run at a time each.

        ``is_alive`` (optional, called from the watchdog thread) says whether the owner is
        still there; once it has said False for ``owner_grace`` seconds the job is stopped.
        ``store`` (optional): the run store the ended run is saved in (``job.run_id``)."""
        self.check(config)
        with self._lock:  # check and claim the owner's one slot atomically: two clicks, one job
            if owner and (owner in self._owners_submitting or self._active_job_of(owner) is not None):
                raise JobRefused(ONE_RUN_AT_A_TIME)
            if owner:
                self._owners_submitting.add(owner)
        try:
            job = TrainingJob(next(self._ids), config, data, owner, name, self.max_seconds, is_alive, store)
            job._manager = self
            with self._lock:
                self._queue.append(job)
                self._start_waiting()
                if is_alive is not None:
                    self._ensure_watchdog()
        finally:
            with self._lock:
                self._owners_submitting.discard(owner)
        return job

    def active_job(self, owner: str) -> TrainingJob | None:
        """``owner``'s queued, running, paused or finishing job, if any (the newest for owner "")."""
        with self._lock:
            return self._active_job_of(owner)

    def position(self, job: TrainingJob) -> int | None:
        with self._lock:
            for place, queued in enumerate(self._queue, start=1):
                if queued is job:
                    return place
        return None

    def running(self) -> list[TrainingJob]:
        with self._lock:
            return list(self._running)

    def queued(self) -> list[TrainingJob]:
        with self._lock:
            return list(self._queue)

    def counts(self) -> tuple[int, int]:
        """(jobs training or finishing, jobs queued), server-wide."""
        with self._lock:
            return len(self._running), len(self._queue)

    def stop_abandoned(self, now: float | None = None) -> list[TrainingJob]:
        """Stop the active jobs whose owner has been gone for ``owner_grace`` seconds; returns
        them. The watchdog calls this every ``watch_seconds``; tests may call it directly."""
        now = time.monotonic() if now is None else now
        stopped = []
        for job in self.queued() + self.running():
            if job.abandoned or job.done:
                continue
            if job.owner_present():
                job._owner_gone_since = None
                continue
            if job._owner_gone_since is None:
                job._owner_gone_since = now
            if now - job._owner_gone_since >= self.owner_grace:
                job.abandoned = True
                job.stop()
                stopped.append(job)
        return stopped

    def watchdog_running(self) -> bool:
        with self._lock:
            return self._watchdog is not None

    def stop_owner(self, owner: str) -> int:
        """Stop every active job of ``owner`` (e.g. a session that went away); returns how many."""
        jobs = [job for job in self.queued() + self.running() if job.owner == owner]
        for job in jobs:
            job.stop()
        return len(jobs)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop all jobs and wait for their threads; True if all ended within ``timeout``."""
        jobs = self.queued() + self.running()
        for job in jobs:
            job.stop()
        self._wake_watchdog.set()
        deadline = time.monotonic() + timeout
        return all(job.wait(max(0.0, deadline - time.monotonic())) for job in jobs)

    # ------------------------------------------------------------------ internals
    def _active_job_of(self, owner: str) -> TrainingJob | None:
        """Call with the lock held."""
        for job in reversed([*self._running, *self._queue]):
            if job.owner == owner and job.active:
                return job
        return None

    def _ensure_watchdog(self) -> None:
        """Start the watchdog thread unless it runs. Call with the lock held."""
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="mnist-job-watchdog", daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        """The watchdog: stop abandoned jobs; end once no active job has a liveness check."""
        while True:
            self._wake_watchdog.wait(self.watch_seconds)
            self._wake_watchdog.clear()
            with self._lock:
                watched = [job for job in (*self._queue, *self._running) if job._is_alive is not None]
                if not any(not job.abandoned for job in watched):
                    self._watchdog = None
                    return
            self.stop_abandoned()

    def _start_waiting(self) -> None:
        """Start queued jobs while slots are free. Call with the lock held."""
        while self._queue and len(self._running) < self.max_concurrent:
            job = self._queue.popleft()
            self._running.append(job)
            job._start()

    def _cancel_queued(self, job: TrainingJob) -> bool:
        with self._lock:
            if job not in self._queue:
                return False
            self._queue.remove(job)
        job.trainer.status = RunStatus.STOPPED
        job._end(JobStatus.STOPPED)
        return True

    def _release(self, job: TrainingJob) -> None:
        with self._lock:
            if job in self._running:
                self._running.remove(job)
            self._start_waiting()
        if job._is_alive is not None:
            self._wake_watchdog.set()  # it may have been the last watched job: let the watchdog end
