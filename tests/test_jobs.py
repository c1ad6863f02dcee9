"""The training job manager: background runs, the concurrency limit and FIFO queue, pause,
stop and cancel, one active job per owner, the run-time limit, the watchdog for owners who
left, and how ended runs are packaged (``RunRecord``). The size and memory limits are in
test_limits.py.

Runs on small synthetic digits (a few hundred rows) so every test takes well under a second
of training; long runs are stopped explicitly rather than waited for."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from mnistcore.engine.config import TrainConfig
from mnistcore.server.jobs import JobManager
from mnistcore.server.limits import ONE_RUN_AT_A_TIME, JobRefused
from mnistcore.server.records import RunRecord

SMALL = TrainConfig(
    hidden=(8,),
    activation="relu",
    loss="cross-entropy",
    init="he",
    optimizer="momentum",
    lr=0.05,
    steps=60,
    eval_every=20,
    batch_size=20,
)
LONG = SMALL.replace(steps=10_000_000)  # never finishes on its own: tests stop it


@pytest.fixture(scope="module")
def data():
    """Separable synthetic 'digits': class k lights up its own block of pixels, plus noise."""
    rng = np.random.default_rng(0)

    def split(n):
        labels = rng.integers(0, 10, n)
        x = rng.random((n, 784), dtype=np.float32) * 0.2
        for k in range(10):
            x[labels == k, k * 78 : (k + 1) * 78] += 0.8
        return x, labels

    (train_x, train_y), (val_x, val_y), (test_x, test_y) = split(400), split(100), split(100)
    # The attributes of data.Mnist that jobs read (floats work as training inputs too).
    return SimpleNamespace(
        train_pixels=train_x, train_y=train_y, val_x=val_x, val_y=val_y, test_x=test_x, test_y=test_y
    )


@pytest.fixture
def manager():
    jobs = JobManager(max_concurrent=1, max_seconds=60)
    yield jobs
    assert jobs.shutdown(timeout=10), "a job thread did not end after stop"


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_a_job_trains_in_the_background_and_packages_its_model(manager, data):
    job = manager.submit(SMALL, data, owner="session-a", name="small")
    assert job.wait(30)
    assert job.status == "finished" and job.done and not job.active
    model = job.model
    assert model is not None and model.name == "small" and model.config == SMALL
    assert 0.9 <= model.test_accuracy <= 1.0  # the synthetic classes are easy
    events = job.events()
    assert events[-1].step == 60 and len(events) == len(model.history)
    progress = job.progress()
    assert (progress.step, progress.total_steps, progress.fraction, progress.seconds_left) == (60, 60, 1.0, 0.0)
    assert "Finished 60 steps" in job.message
    assert manager.running() == [] and manager.queued() == []
    # What only training needed is freed, though the session keeps the job and its model.
    assert job.trainer.snapshots == [] and model.snapshot_weights.shape == (9, 784, 8)
    assert not job.trainer.network._buffers  # the per-batch buffers; made again if it trains again
    record = RunRecord.from_job(job, 2)  # the session's second run
    assert (record.number, record.name, record.short_label) == (2, "small", "#2 small")
    assert record.status == "finished" and record.test_accuracy == model.test_accuracy
    assert record.events == tuple(events) and record.config == SMALL


def test_a_job_judges_how_its_run_turned_out(manager, data):
    learned = manager.submit(SMALL, data)
    assert learned.wait(30) and learned.outcome is not None and learned.outcome.learned
    collapsed = manager.submit(SMALL.replace(lr=10), data)  # the same network, a far too large step
    assert collapsed.wait(30) and collapsed.status == "finished"  # the loss stayed finite: not diverged
    outcome = collapsed.outcome
    assert outcome is not None and outcome.verdict == "stopped learning" and outcome.final.accuracy < 0.2
    assert outcome.final.step == 60 and collapsed.model is not None  # the network is kept: the page asks
    assert "the learning rate is probably too high" in outcome.headline


def test_time_left_comes_from_the_runs_own_speed_and_the_time_limit(data):
    from mnistcore.engine.history import ProgressEvent

    manager = JobManager(max_concurrent=1, max_seconds=60)
    blocker = manager.submit(LONG, data)
    job = manager.submit(SMALL.replace(steps=10_000), data)  # queued: its numbers are set by hand
    assert job.progress().seconds_left is None  # no event yet: no guess
    # 500 steps of batch 20 in 10 s: 1,000 samples/s, 50 steps/s, so 9,500 steps take 190 s.
    job.trainer.history.append(ProgressEvent(500, 25.0, 10_000, 0.5, 0.9, 0.9, 0.05, 10.0, 1000.0))
    job.trainer._step = 500
    progress = job.progress()
    assert (progress.samples_per_second, progress.seconds_left, progress.time_limited) == (1000.0, 50.0, True)
    manager.max_seconds = job.trainer.max_seconds = 600  # a limit it will not reach
    assert (job.progress().seconds_left, job.progress().time_limited) == (190.0, False)
    blocker.stop()
    job.stop()
    assert manager.shutdown(timeout=10)


def test_each_job_owns_its_network(manager, data):
    first = manager.submit(SMALL, data)
    assert first.wait(30)
    second = manager.submit(SMALL.replace(seed=1), data)
    assert second.wait(30)
    assert first.model.network is not second.model.network
    assert not np.array_equal(first.model.network.weights[0], second.model.network.weights[0])


def test_jobs_over_the_limit_queue_in_order_and_report_their_place(manager, data):
    running = manager.submit(LONG, data, owner="a")
    second = manager.submit(LONG, data, owner="b")
    third = manager.submit(SMALL, data, owner="c")
    wait_until(lambda: running.step > 0)
    assert running.status == "running" and running.queue_position is None
    assert (second.status, second.queue_position) == ("queued", 1)
    assert (third.status, third.queue_position) == ("queued", 2)
    assert second.step == 0 and second.events() == []

    running.stop()  # frees the slot: the first in the queue starts, the next moves up
    assert running.wait(10) and running.status == "stopped"
    wait_until(lambda: second.status == "running")
    assert (second.queue_position, third.queue_position) == (None, 1)
    assert manager.running() == [second] and manager.queued() == [third]


def test_stopping_a_queued_job_cancels_it_without_training(manager, data):
    running = manager.submit(LONG, data)
    queued = manager.submit(LONG, data)
    queued.stop()
    assert queued.done and queued.status == "stopped" and queued.model is None
    assert queued.message == "Cancelled before it started." and queued.step == 0
    assert manager.queued() == [] and running.status == "running"


def test_pause_holds_the_step_and_resume_continues(manager, data):
    job = manager.submit(LONG, data)
    wait_until(lambda: job.step > 0 and job.status == "running")
    job.pause()
    wait_until(lambda: job.status == "paused")
    time.sleep(0.05)  # let the step in flight finish
    held = job.step
    time.sleep(0.2)
    assert job.step == held
    job.resume()
    wait_until(lambda: job.step > held)
    job.stop()
    assert job.wait(10) and job.status == "stopped"
    assert job.model is not None and job.model.status == "stopped"  # a stopped run keeps its network


def test_the_run_time_cap_stops_a_run(data):
    manager = JobManager(max_concurrent=1, max_seconds=0.3)
    job = manager.submit(LONG, data)
    assert job.wait(30)
    assert job.status == "stopped" and "time limit of 0.3 s" in job.message
    assert job.model is not None


def test_a_diverging_run_ends_with_advice_and_no_model(manager, data):
    # lr * weight_decay > 2: every step multiplies the weights by (1 - 10) = -9.
    config = SMALL.replace(optimizer="sgd", lr=10.0, weight_decay=1.0, steps=2000)
    job = manager.submit(config, data)
    assert job.wait(30)
    assert job.status == "diverged" and job.model is None
    assert "Try a smaller learning rate (now 10)" in job.message
    record = RunRecord.from_job(job, 1)
    assert record.status == "diverged" and record.test_accuracy is None and len(record.events) > 0
    assert (record.number, record.name, record.short_label) == (1, "", "#1")


def test_a_failing_run_frees_its_slot_and_says_why(manager, data):
    failing = manager.submit(LONG, data)
    waiting = manager.submit(SMALL, data)
    # Make the running job crash mid-run, as an unexpected bug in training would.
    failing.trainer.network.weights[0] = np.zeros((3, 3), np.float32)
    assert failing.wait(10)
    assert failing.status == "failed" and failing.model is None
    assert failing.message.startswith("Training failed: ValueError")
    assert waiting.wait(30) and waiting.status == "finished"


def test_stop_owner_stops_only_that_owners_jobs(data):
    manager = JobManager(max_concurrent=1, max_seconds=60)
    mine, other = (manager.submit(LONG, data, owner=o) for o in ("me", "you"))
    assert manager.stop_owner("me") == 1
    assert mine.wait(10) and not other.done
    wait_until(lambda: other.status == "running")
    assert manager.stop_owner("me") == 0
    assert manager.shutdown(timeout=10)


def submit_at_once(manager, data, owners):
    """Submit LONG for each owner from its own thread, all released together; returns
    (jobs, refusal messages)."""
    start = threading.Barrier(len(owners))
    jobs, refusals, lock = [], [], threading.Lock()

    def click(owner):
        start.wait()
        try:
            job = manager.submit(LONG, data, owner=owner)
        except JobRefused as exc:
            with lock:
                refusals.append(str(exc))
        else:
            with lock:
                jobs.append(job)

    threads = [threading.Thread(target=click, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return jobs, refusals


def test_one_session_gets_one_job_however_fast_it_clicks(data):
    manager = JobManager(max_concurrent=2, max_seconds=60)
    jobs, refusals = submit_at_once(manager, data, ["tab"] * 8)
    assert len(jobs) == 1 and refusals == [ONE_RUN_AT_A_TIME] * 7
    assert [job.owner for job in manager.running() + manager.queued()] == ["tab"]
    assert manager.active_job("tab") is jobs[0]
    # Paused is still in progress; stopped is not: then the session may train again.
    jobs[0].pause()
    with pytest.raises(JobRefused, match="You already have a run in progress: stop it before starting another."):
        manager.submit(SMALL, data, owner="tab")
    jobs[0].stop()
    assert jobs[0].wait(10)
    again = manager.submit(SMALL, data, owner="tab")
    assert again.wait(30) and again.status == "finished" and manager.active_job("tab") is None
    assert manager.shutdown(timeout=10)


def test_different_owners_each_get_their_job_and_the_empty_owner_is_not_limited(data):
    manager = JobManager(max_concurrent=1, max_seconds=60)
    jobs, refusals = submit_at_once(manager, data, ["tab-1", "tab-2", "tab-1", "tab-2"])
    assert refusals == [ONE_RUN_AT_A_TIME] * 2
    assert sorted(job.owner for job in jobs) == ["tab-1", "tab-2"]
    assert manager.counts() == (1, 1)  # one runs, the other session's job waits its turn
    queued = manager.queued()[0]
    with pytest.raises(JobRefused):  # a queued job counts as in progress too
        manager.submit(SMALL, data, owner=queued.owner)
    cli = [manager.submit(LONG, data) for _ in range(2)]  # owner "": the command line, scripts
    assert manager.counts() == (1, 3) and manager.active_job("") is cli[-1]
    assert manager.shutdown(timeout=10)


def test_a_refused_or_failed_submit_leaves_the_owner_free_to_try_again(data):
    manager = JobManager(max_concurrent=1, max_seconds=60)
    with pytest.raises(ValueError, match="batch_size must be at most the training set size"):
        manager.submit(SMALL.replace(batch_size=1000), data, owner="tab")  # 400 rows here
    with pytest.raises(JobRefused, match="weights and biases"):
        manager.submit(SMALL.replace(hidden=(4000, 4000)), data, owner="tab")
    job = manager.submit(SMALL, data, owner="tab")
    assert job.wait(30) and job.status == "finished"


class FakeOwner:
    """A liveness check the test switches off, as a closed browser tab would."""

    def __init__(self):
        self.connected = True
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.connected


def test_the_watchdog_stops_running_and_queued_jobs_soon_after_their_owner_leaves(data):
    manager = JobManager(max_concurrent=1, max_seconds=60, watch_seconds=0.05, owner_grace=0.2)
    leaving, staying = FakeOwner(), FakeOwner()
    running = manager.submit(LONG, data, owner="leaving-1", is_alive=leaving)  # one tab's session...
    queued = manager.submit(LONG, data, owner="leaving-2", is_alive=leaving)  # ...and the other's
    other = manager.submit(LONG, data, owner="staying", is_alive=staying)
    wait_until(lambda: running.step > 0 and leaving.calls > 2)
    assert manager.watchdog_running() and not running.done

    leaving.connected = False
    gone_at = time.monotonic()
    assert running.wait(5) and queued.wait(5)
    assert time.monotonic() - gone_at >= 0.2  # the grace period is honoured...
    assert running.status == queued.status == "stopped" and running.abandoned and queued.abandoned
    assert queued.message == "Cancelled before it started."
    wait_until(lambda: other.status == "running")  # ...and the freed slot goes to the next in line
    assert not other.done and not other.abandoned

    other.stop()
    assert other.wait(10)
    wait_until(lambda: not manager.watchdog_running(), timeout=2)  # nothing left to watch: the thread ends
    assert "mnist-job-watchdog" not in {thread.name for thread in threading.enumerate()}


def test_a_brief_disconnect_within_the_grace_period_keeps_the_run(data):
    manager = JobManager(max_concurrent=1, max_seconds=60, watch_seconds=3600, owner_grace=5)
    owner = FakeOwner()
    job = manager.submit(LONG, data, owner="blip", is_alive=owner)
    owner.connected = False
    assert manager.stop_abandoned(now=100.0) == []  # gone since t=100
    owner.connected = True
    assert manager.stop_abandoned(now=103.0) == []  # back: the clock resets
    owner.connected = False
    assert manager.stop_abandoned(now=104.0) == [] and manager.stop_abandoned(now=108.0) == []
    assert manager.stop_abandoned(now=109.0) == [job]  # 5 s gone without a break
    assert job.wait(10) and job.status == "stopped"
    assert manager.stop_abandoned(now=200.0) == []  # stopped once, not again


def test_a_liveness_check_that_raises_never_kills_the_run_and_jobs_without_one_are_not_watched(data):
    def broken() -> bool:
        raise RuntimeError("the web runtime is gone")

    manager = JobManager(max_concurrent=2, max_seconds=60, watch_seconds=3600, owner_grace=0)
    unwatched = manager.submit(LONG, data, owner="cli")
    assert not manager.watchdog_running()
    flaky = manager.submit(LONG, data, owner="flaky", is_alive=broken)
    assert manager.watchdog_running()
    assert manager.stop_abandoned() == [] and flaky.owner_present() and unwatched.owner_present()
    assert manager.counts() == (2, 0)
    assert manager.shutdown(timeout=10)
    assert manager.counts() == (0, 0)
    wait_until(lambda: not manager.watchdog_running(), timeout=2)  # shutdown wakes it; it ends
