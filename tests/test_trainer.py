"""Tests for mnistcore.engine.trainer: determinism, control from another thread (pause, resume,
stop), divergence, progress events, the time cap and weight snapshots, on small
synthetic digits; then short runs and the seed preset end to end on real MNIST."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest

from mnistcore.engine.config import TrainConfig
from mnistcore.engine.data import load_mnist, scale_pixels
from mnistcore.engine.history import History
from mnistcore.engine.model import finish, train, trainer_for
from mnistcore.engine.network import MLP
from mnistcore.engine.optimizers import cosine_schedule, make_optimizer
from mnistcore.engine.presets import PRESETS
from mnistcore.engine.trainer import N_SNAPSHOTS, EndReason, RunStatus, Trainer, train_step


def synthetic_digits(n_train=1000, n_val=200, seed=0):
    """Ten noisy binary prototypes of 784 pixels in [0, 1]: learnable, and quick."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 784)) < 0.15).astype(np.float32)

    def draw(n):
        labels = rng.integers(0, 10, n)
        images = np.clip(prototypes[labels] + rng.normal(0.0, 0.4, (n, 784)), 0.0, 1.0)
        return images.astype(np.float32), labels

    return (*draw(n_train), *draw(n_val))


DATA = synthetic_digits()
SMALL = TrainConfig(hidden=(16,), batch_size=20, steps=100, eval_every=20)


def run(config: TrainConfig, data=DATA, **kwargs) -> Trainer:
    trainer = Trainer(config, *data, **kwargs)
    trainer.run()
    return trainer


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the trainer"
        time.sleep(0.005)


def long_running_trainer(**kwargs) -> Trainer:
    return Trainer(SMALL.replace(steps=10_000_000, batch_size=10, eval_every=100_000), *DATA, **kwargs)


# ------------------------------------------------------------------ determinism


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"activation": "relu", "loss": "cross-entropy", "init": "he", "optimizer": "adam", "lr": 0.01},
        {"optimizer": "momentum", "schedule": "cosine", "augment": True, "weight_decay": 1e-3},
    ],
)
def test_same_seed_gives_bit_identical_weights_and_history(changes):
    config = SMALL.replace(**changes)
    first, second = run(config), run(config)
    for a, b in zip(first.network.parameters(), second.network.parameters()):
        assert np.array_equal(a, b)
    first_losses = [e.batch_loss for e in first.history.snapshot()]
    assert first_losses == [e.batch_loss for e in second.history.snapshot()]
    other = run(config.replace(seed=1))
    assert not np.array_equal(first.network.weights[0], other.network.weights[0])
    assert not np.array_equal(first.network.weights[-1], other.network.weights[-1])


def test_augment_changes_the_run():
    plain, augmented = run(SMALL), run(SMALL.replace(augment=True))
    assert not np.array_equal(plain.network.weights[0], augmented.network.weights[0])


def test_learns_the_synthetic_digits():
    trainer = run(SMALL.replace(activation="relu", loss="cross-entropy", init="he", lr=0.05, steps=300))
    assert trainer.result.status == "finished"
    assert trainer.result.validation_accuracy > 0.9
    losses = [e.batch_loss for e in trainer.history.snapshot()]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_trains_the_network_it_is_given():
    net = MLP.create([784, 8, 10], "tanh", "mse", "xavier", np.random.default_rng(3))
    before = net.weights[0].copy()
    trainer = run(SMALL.replace(steps=5), network=net)
    assert trainer.network is net and not np.array_equal(net.weights[0], before)


@pytest.mark.parametrize("augment", [False, True])
def test_float64_run_on_float32_data(augment):
    # A float64 run (for gradient checks) casts each float32 batch.
    assert DATA[0].dtype == np.float32
    trainer = run(SMALL.replace(dtype="float64", augment=augment, steps=30))
    assert trainer.result.status == "finished"
    assert all(p.dtype == np.float64 for p in trainer.network.parameters())
    assert trainer.snapshots[-1][1].dtype == np.float64


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("augment", [False, True])
def test_pixel_bytes_train_exactly_like_the_floats_they_scale_to(dtype, augment):
    """MNIST reaches the trainer as bytes (Mnist.train_pixels): the run must be the one its floats give."""
    train_bytes = np.rint(DATA[0] * 255).astype(np.uint8)
    config = SMALL.replace(dtype=dtype, augment=augment, steps=60)
    from_bytes = run(config, (train_bytes, *DATA[1:]))
    from_floats = run(config, (scale_pixels(train_bytes), *DATA[1:]))
    for a, b in zip(from_bytes.network.parameters(), from_floats.network.parameters()):
        np.testing.assert_array_equal(a, b)
    for column in ("batch_loss", "validation_accuracy"):  # NaN where not measured: equal to NaN here
        np.testing.assert_array_equal(from_bytes.history.to_columns()[column], from_floats.history.to_columns()[column])


def test_refuses_a_batch_larger_than_the_training_set():
    with pytest.raises(ValueError, match=r"batch_size must be at most the training set size \(1000\), got 2000"):
        Trainer(SMALL.replace(batch_size=2000), *DATA)


# ------------------------------------------------------------------ control from another thread


def test_pause_stops_progress_resume_continues_stop_ends():
    trainer = long_running_trainer()
    started = time.perf_counter()
    thread = trainer.start_thread()
    wait_until(lambda: trainer.step > 20)
    trainer.pause()
    assert trainer.status == "paused"
    time.sleep(0.1)  # the step in flight finishes
    paused_at = trainer.step
    time.sleep(0.4)
    assert trainer.step == paused_at, "a paused trainer must not take steps"
    trainer.resume()
    assert trainer.status == "running"
    wait_until(lambda: trainer.step > paused_at + 20)
    trainer.stop()
    thread.join(10)
    wall = time.perf_counter() - started
    assert not thread.is_alive()
    result = trainer.result
    assert trainer.status == result.status == "stopped" and trainer.done
    assert result.steps == trainer.step > paused_at + 20
    assert result.message == f"Stopped at step {result.steps} of 10000000."
    assert result.train_seconds < wall - 0.4  # the pause does not count as training time
    assert 0 < result.validation_accuracy <= 1


def test_stop_wakes_a_paused_run():
    trainer = long_running_trainer()
    thread = trainer.start_thread()
    wait_until(lambda: trainer.step > 5)
    trainer.pause()
    time.sleep(0.05)
    trainer.stop()
    thread.join(10)
    assert not thread.is_alive() and trainer.result.status == "stopped"


def test_stop_before_run_takes_no_steps():
    trainer = long_running_trainer()
    trainer.stop()
    result = trainer.run()
    assert result.status == "stopped" and result.steps == 0 and trainer.snapshots[0][0] == 0
    assert result.status is RunStatus.STOPPED and result.reason is EndReason.STOPPED


def test_max_seconds_caps_the_run():
    trainer = long_running_trainer(max_seconds=0.3)
    result = trainer.run()
    assert result.status == "stopped"
    assert 0.3 <= result.train_seconds < 5.0  # stops at the first step after 0.3 s; generous for a loaded machine
    assert result.message == f"Stopped at step {result.steps}: the run reached its time limit of 0.3 s."
    assert result.reason is EndReason.TIME_LIMIT and result.status is RunStatus.STOPPED  # typed, not parsed


# ------------------------------------------------------------------ divergence


@pytest.mark.parametrize(
    "changes",
    [
        # Deep relu from the seed's uniform init at a huge rate: activations explode.
        {"activation": "relu", "loss": "cross-entropy", "hidden": (64, 64, 64), "lr": 10.0},
        # lr * weight_decay > 2: every step multiplies the weights by (1 - 10) = -9.
        {"lr": 10.0, "weight_decay": 1.0},
    ],
)
def test_diverging_run_ends_diverged_quietly_with_advice(changes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (overflow, invalid value) may escape
        trainer = run(SMALL.replace(steps=2000, **changes))
    result = trainer.result
    assert result.status == "diverged" and result.diverged and trainer.status == "diverged"
    assert result.reason is EndReason.DIVERGED
    assert result.steps < 2000
    assert "diverged" in result.message and "Try a smaller learning rate (now 10)" in result.message
    assert math.isnan(result.validation_accuracy)
    events = trainer.history.snapshot()
    assert all(math.isfinite(e.batch_loss) for e in events)  # only finite losses are recorded


def test_finish_does_not_measure_a_diverged_network():
    mnist_like = _FakeMnist(*DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer = trainer_for(SMALL.replace(steps=500, lr=10.0, weight_decay=1.0), mnist_like)
        trainer.run()
        model = finish(trainer, mnist_like)
    assert model.status == "diverged" and model.test_accuracy is None


class _FakeMnist:
    """The attributes of data.Mnist that trainer_for/finish read; test = validation here."""

    def __init__(self, train_x, train_y, val_x, val_y):
        self.train_pixels, self.train_y, self.val_x, self.val_y = train_x, train_y, val_x, val_y  # floats work too
        self.test_x, self.test_y = val_x, val_y


def test_train_packages_a_model_with_its_test_accuracy():
    model = train(SMALL.replace(steps=50), _FakeMnist(*DATA), name="tiny")
    assert model.name == "tiny" and model.status == "finished"
    assert model.test_accuracy == model.network.accuracy(DATA[2], DATA[3])
    assert model.validation_accuracy == model.test_accuracy  # same arrays in the fake
    assert len(model.history) > 0 and model.snapshot_steps[0] == 0


# ------------------------------------------------------------------ events and snapshots


def test_events_rise_and_validation_is_measured_every_eval_every_steps():
    received = []
    config = SMALL.replace(steps=205, eval_every=50, lr=0.1, schedule="cosine")
    trainer = run(config, on_event=received.append)
    events = trainer.history.snapshot()
    assert received == events
    steps = [e.step for e in events]
    assert steps == [*range(5, 205, 5), 205]  # logged every eval_every // 10 steps, and at the end
    measured = [e.step for e in events if not math.isnan(e.validation_accuracy)]
    assert measured == [50, 100, 150, 200, 205]
    for e in events:
        assert e.samples_seen == e.step * 20
        assert e.epoch == pytest.approx(e.samples_seen / 1000)
        assert e.learning_rate == pytest.approx(cosine_schedule(0.1, e.step - 1, 205))
        assert math.isfinite(e.batch_loss) and e.batch_loss >= 0
        assert 0 <= e.batch_accuracy <= 1 and e.samples_per_second > 0
    assert all(a.elapsed <= b.elapsed for a, b in zip(events, events[1:]))
    result = trainer.result
    assert (result.steps, result.epochs) == (205, pytest.approx(4.1))
    assert result.validation_accuracy == events[-1].validation_accuracy


def test_history_columns_round_trip():
    trainer = run(SMALL.replace(steps=60))
    columns = trainer.history.to_columns()
    assert set(columns) == set(History.from_columns(columns).to_columns())
    rebuilt = History.from_columns(columns).to_columns()
    for name in columns:
        np.testing.assert_array_equal(rebuilt[name], columns[name])
    assert columns["step"].dtype == np.float64 and len(columns["step"]) == len(trainer.history)


# ------------------------------------------------------------------ the history's cap, in a run


def test_a_long_run_with_frequent_evaluation_logs_a_bounded_number_of_events():
    """eval_every=10 asks for an event every step; 20,000 steps may record at most
    half the history's room (here 100 of 200): one every 200 steps, each with validation."""
    config = TrainConfig(hidden=(4,), batch_size=1, steps=20_000, eval_every=10)
    trainer = Trainer(config, *DATA)
    trainer.history = History(max_events=200)
    trainer.run()
    steps = [e.step for e in trainer.history.snapshot()]
    assert steps == list(range(200, 20_001, 200))
    assert all(not math.isnan(e.validation_accuracy) for e in trainer.history.snapshot())


def test_the_link_that_logged_6000_events_a_second_now_logs_a_few(mnist):
    """hidden=1, batch_size=1, steps=10,000,000, eval_every=10 on MNIST: one event (and
    one validation pass) every 1,000 steps, whatever the machine's speed."""
    config = TrainConfig(hidden=(1,), batch_size=1, steps=10_000_000, eval_every=10)
    trainer = trainer_for(config, mnist, max_seconds=1.0)
    result = trainer.run()
    events = trainer.history.snapshot()
    assert result.status == "stopped" and result.steps > 1000
    assert [e.step for e in events] == list(range(1000, result.steps + 1, 1000))
    assert all(not math.isnan(e.validation_accuracy) for e in events)
    assert len(events) / result.train_seconds < 300


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (80, [0, 10, 20, 30, 40, 50, 60, 70, 80]),
        (100, [0, 12, 25, 37, 50, 62, 75, 87, 100]),
        (3, [0, 1, 2, 3]),  # shorter than N_SNAPSHOTS: every step, once
        (1, [0, 1]),
    ],
)
def test_snapshots_start_at_step_zero_and_spread_over_the_run(steps, expected):
    config = SMALL.replace(steps=steps)
    trainer = run(config)
    taken = [step for step, _ in trainer.snapshots]
    assert taken == expected and len(taken) <= N_SNAPSHOTS + 1
    initial = MLP.create(config.layer_sizes, config.activation, config.loss, config.init, np.random.default_rng(0))
    assert np.array_equal(trainer.snapshots[0][1], initial.weights[0])
    assert np.array_equal(trainer.snapshots[-1][1], trainer.network.weights[0])
    assert trainer.snapshots[-1][1] is not trainer.network.weights[0]  # copies, not views of live weights
    assert not np.array_equal(trainer.snapshots[0][1], trainer.snapshots[-1][1])


# ------------------------------------------------------------------ real MNIST


def test_short_real_run_raises_validation_accuracy(mnist):
    config = PRESETS["fast"].replace(steps=300, eval_every=50)
    trainer = trainer_for(config, mnist)
    result = trainer.run()
    curve = [e.validation_accuracy for e in trainer.history.snapshot() if not math.isnan(e.validation_accuracy)]
    assert len(curve) == 6
    assert curve[-1] > curve[0] + 0.02 and curve[-1] > 0.9
    assert all(b > a - 0.02 for a, b in zip(curve, curve[1:])), curve  # rising, allowing batch noise
    assert result.status == "finished" and result.validation_accuracy == curve[-1]


def test_a_run_on_mnist_trains_from_the_bytes_and_never_builds_the_float_training_set(mnist):
    """The server's memory budget rests on this: 55 MB of bytes, not 172 MB of training floats."""
    fresh = load_mnist()  # the shared fixture's splits may have been built by other tests
    trainer = trainer_for(PRESETS["fast"].replace(steps=100), fresh)
    trainer.run()
    model = finish(trainer, fresh)
    assert model.test_accuracy is not None and model.test_accuracy > 0.8
    built = set(vars(fresh))
    assert "train_x" not in built and {"val_x", "test_x"} <= built


def test_real_diverging_run_is_reported(mnist):
    config = PRESETS["seed"].replace(activation="relu", loss="cross-entropy", hidden=(64, 64, 64), lr=10.0, steps=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer = trainer_for(config, mnist)
        result = trainer.run()
    assert result.status == "diverged" and "smaller learning rate" in result.message


def test_training_thread_does_not_block_readers(mnist):
    # The dashboard reads history and predicts from snapshots while the worker trains.
    trainer = trainer_for(PRESETS["fast"].replace(steps=400, eval_every=100), mnist)
    thread = trainer.start_thread()
    reads = 0
    while thread.is_alive():
        events = trainer.history.snapshot()
        assert [e.step for e in events] == sorted(e.step for e in events)
        reads += 1
        time.sleep(0.001)
    thread.join()
    assert trainer.result.status == "finished" and reads > 0


@pytest.mark.slow
def test_seed_preset_end_to_end_reaches_the_notebooks_accuracy(mnist):
    """The notebook printed ~85% after 20,000 steps; its reference script 85.7% on the test set."""
    model = train(PRESETS["seed"], mnist, name="seed")
    assert model.status == "finished"
    assert 0.82 <= model.test_accuracy <= 0.88, model.test_accuracy
    assert 0.82 <= model.validation_accuracy <= 0.89
    events = model.history.snapshot()
    assert events[-1].step == 20_000
    curve = [e.validation_accuracy for e in events if not math.isnan(e.validation_accuracy)]
    assert len(curve) == 40 and curve[-1] > curve[0] + 0.2


@pytest.mark.parametrize("optimizer_name", ["sgd", "momentum", "adam"])
def test_train_step_updates_in_place_and_leaves_the_true_gradients(optimizer_name):
    rng = np.random.default_rng(3)
    net = MLP.create([12, 6, 4], "relu", "cross-entropy", "he", rng, np.float64)
    x, y = rng.uniform(size=(5, 12)), np.eye(4)[rng.integers(0, 4, 5)]
    expected = net.gradients_for(x, y, 1e-3)
    before = [p.copy() for p in net.parameters()]
    optimizer = make_optimizer(optimizer_name, net.update_arrays()[0])
    outputs = train_step(net, optimizer, x, y, lr=0.1, weight_decay=1e-3)
    np.testing.assert_allclose(outputs, expected.activations[-1], rtol=1e-12)
    for g, e in zip(net.gradients(), expected.parameters()):
        np.testing.assert_array_equal(g, e)  # still the gradient after the optimizer's step
    if optimizer_name in ("sgd", "momentum"):  # the first step of both is p - lr g
        for p, b, e in zip(net.parameters(), before, expected.parameters()):
            np.testing.assert_allclose(p, b - 0.1 * e, rtol=1e-12)
    else:
        assert all(not np.array_equal(p, b) for p, b in zip(net.parameters(), before))
