"""Training health (``mnistcore.engine.health``): each statistic against a hand computation
on a small network, the log's bounds and round trip, and real-MNIST runs that show
vanishing gradients (deep sigmoid) and dead units (learning rate 10)."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore.engine import health
from mnistcore.engine.health import BINS, HealthLog, HealthRecord
from mnistcore.engine.model import trainer_for
from mnistcore.engine.network import MLP
from mnistcore.engine.optimizers import make_optimizer
from mnistcore.engine.presets import BREAK_IT_FIXES, PRESETS
from mnistcore.engine.trainer import train_step


def small_batch(rng: np.random.Generator, batch: int = 6) -> tuple[np.ndarray, np.ndarray]:
    return rng.random((batch, 5)), np.eye(3)[rng.integers(0, 3, batch)]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_every_statistic_matches_a_hand_computation(activation, optimizer):
    rng = np.random.default_rng(3)
    net = MLP.create([5, 4, 4, 3], activation, "cross-entropy", "uniform", rng, np.float64)
    opt = make_optimizer(optimizer, net.update_arrays()[0])
    x, y = small_batch(rng)
    for _ in range(3):  # momentum and Adam: an update that is not just lr * g
        before = [w.copy() for w in net.weights]
        truth = net.gradients_for(x, y)  # the same weights the step's backprop sees
        train_step(net, opt, x, y, lr=0.1)
    record = health.measure(3, net, net.last_outputs(len(x)), opt.last_update())

    # gradient norm: sqrt of the sum of squared dLoss/dW entries, per layer
    by_hand = [np.sqrt((g**2).sum()) for g in truth.weights]
    np.testing.assert_allclose(record.grad_norm, by_hand, rtol=1e-10)
    # update ratio: the weights' actual change over their size, per layer
    ratio = [np.sqrt(((w - b) ** 2).sum()) / np.sqrt((w**2).sum()) for w, b in zip(net.weights, before)]
    np.testing.assert_allclose(record.update_ratio, ratio, rtol=1e-8)
    for h, a in enumerate(truth.activations[1:-1]):  # the hidden layers' outputs
        if activation == "relu":
            dead = np.mean([not (a[:, j] > 0).any() for j in range(a.shape[1])])
            assert record.inactive[h] == pytest.approx(dead)
            low, high = 0.0, a.max()
        else:
            low, high = (0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0)
            saturated = np.mean([(v <= low + 0.01 or v >= high - 0.01) for v in a.ravel()])
            assert record.inactive[h] == pytest.approx(saturated)
        edges = np.linspace(low, high, BINS + 1)
        counts = [
            np.sum((a >= lo) & ((a < hi) if i < BINS - 1 else (a <= hi)))
            for i, (lo, hi) in enumerate(zip(edges, edges[1:]))
        ]
        np.testing.assert_allclose(record.histogram[h], np.array(counts) / a.size, atol=1e-12)
        np.testing.assert_allclose(record.hist_range[h], [low, high])


def test_dead_and_saturated_shares_on_chosen_outputs():
    relu_out = np.array([[0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 3.0]])  # units 0 and 2 never fire
    assert health.inactive_share(relu_out, "relu") == 0.5
    sigmoid_out = np.array([[0.001, 0.5], [0.995, 0.98]])  # two of four within 0.01 of 0 or 1
    assert health.inactive_share(sigmoid_out, "sigmoid") == 0.5
    tanh_out = np.array([[-0.999, 0.0, 0.995, 0.5]])
    assert health.inactive_share(tanh_out, "tanh") == 0.5


def test_a_diverged_statistic_is_kept_as_nan():
    net = MLP.create([5, 4, 3], "relu", "cross-entropy", "he")
    x, y = small_batch(np.random.default_rng(0))
    opt = make_optimizer("sgd", net.update_arrays()[0])
    train_step(net, opt, x, y, 0.1)
    net.grad_weights[0][0, 0] = np.inf
    record = health.measure(1, net, net.last_outputs(len(x)), None)
    assert np.isnan(record.grad_norm[0]) and np.isfinite(record.grad_norm[1])
    assert np.isnan(record.update_ratio).all()  # no update given


def record(step: int, layers: int = 3) -> HealthRecord:
    hidden = layers - 1
    return HealthRecord(
        step, np.full(layers, step * 1.0), np.full(layers, 1e-3), np.zeros(hidden),
        np.full((hidden, BINS), 1 / BINS), np.tile([0.0, 1.0], (hidden, 1)),
    )  # fmt: skip


def test_the_log_stays_bounded_keeps_its_span_and_measures_less_often():
    log = HealthLog(max_records=50)
    measured = 0
    for step in range(1, 100_001):
        if log.due(step, 100_000):
            log.append(record(step))
            measured += 1
    steps = [r.step for r in log.snapshot()]
    assert len(steps) <= 50 and steps[0] == 1 and steps[-1] == 100_000
    assert steps == sorted(steps)
    assert measured < 400  # it halved its pace when it filled up


def test_columns_round_trip_and_shape_checks():
    log = HealthLog([record(s) for s in (1, 10, 20)])
    columns = log.to_columns()
    assert columns["histogram"].shape == (3, 2, BINS)
    back = HealthLog.from_columns(columns)
    for a, b in zip(log.snapshot(), back.snapshot()):
        assert a.step == b.step
        np.testing.assert_array_equal(a.histogram, b.histogram)
    shapes = {name: col.shape for name, col in columns.items()}
    assert health.column_problem(shapes, layers=3) is None
    assert "4 layers" not in (health.column_problem(shapes, layers=4) or "")
    assert health.column_problem(shapes, layers=4)
    assert health.column_problem({**shapes, "inactive": (3, 3)})
    assert HealthLog.from_columns({}).snapshot() == []
    final = health.final_values(log)
    assert final is not None and final["step"] == 20 and final["grad_norm"] == [20.0, 20.0, 20.0]


def test_the_trainer_records_the_first_and_last_step_and_can_be_switched_off(mnist):
    config = PRESETS["fast"].replace(steps=60, hidden=(16, 8), eval_every=500)
    trainer = trainer_for(config, mnist)
    trainer.run()
    records = trainer.history.health.snapshot()
    assert [r.step for r in records] == [1, 51, 60]
    assert all(r.grad_norm.shape == (3,) and r.histogram.shape == (2, BINS) for r in records)
    quiet = trainer_for(config, mnist)
    quiet.record_health = False
    quiet.run()
    assert len(quiet.history.health) == 0


def test_deep_sigmoid_gradients_vanish_towards_the_input(mnist):
    trainer = trainer_for(PRESETS["deep-sigmoid"].replace(steps=300), mnist)
    trainer.run()
    grad = np.array([r.grad_norm for r in trainer.history.health.snapshot()])
    ratio = np.median(grad[:, -1] / grad[:, 0])
    print(f"deep sigmoid: last layer's gradient norm / first layer's = {ratio:.0f}x (median over the run)")
    assert ratio >= 10
    assert (grad[:, 0] < grad[:, -1] / 10).mean() > 0.9  # at nearly every record, not on average only
    fixed = trainer_for(BREAK_IT_FIXES["deep-sigmoid"][1].replace(steps=300), mnist)
    fixed.run()
    grad = np.array([r.grad_norm for r in fixed.history.health.snapshot()])
    print(f"with ReLU and He init: {np.median(grad[:, -1] / grad[:, 0]):.2f}x")
    assert np.median(grad[:, -1] / grad[:, 0]) < 3


def test_learning_rate_ten_kills_relu_units(mnist):
    trainer = trainer_for(PRESETS["too-high-lr"].replace(steps=200), mnist)
    trainer.run()
    dead = [r.inactive[0] for r in trainer.history.health.snapshot()]
    print(f"lr 10: dead ReLU units {100 * dead[0]:.0f}% after step 1, {100 * dead[-1]:.0f}% at the end")
    assert dead[0] < 0.1 and dead[-1] > 0.5 and max(dead) > dead[0]
    fixed = trainer_for(BREAK_IT_FIXES["too-high-lr"][1].replace(steps=200), mnist)
    fixed.run()
    assert fixed.history.health.snapshot()[-1].inactive[0] < 0.1


def test_the_seeds_init_on_a_wide_net_saturates_and_xavier_does_not(mnist):
    trainer = trainer_for(PRESETS["wide-seed-init"].replace(steps=50), mnist)
    trainer.run()
    fixed = trainer_for(BREAK_IT_FIXES["wide-seed-init"][1].replace(steps=50), mnist)
    fixed.run()
    saturated = trainer.history.health.snapshot()[-1].inactive[0]
    print(f"wide seed init: {100 * saturated:.0f}% saturated outputs")
    assert saturated > 0.2 > 0.02 > fixed.history.health.snapshot()[-1].inactive[0]


def test_the_cli_json_summary_has_the_final_health_values(mnist, monkeypatch, capsys):
    import json

    from mnistcore.engine import cli
    from mnistcore.engine.cli import commands

    monkeypatch.setattr(commands, "_load_data", lambda data_dir, dataset="mnist": mnist)
    code = cli.main(["train", "--preset", "deep-sigmoid", "--steps", "30", "--json"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and report["health"]["step"] == 30
    assert len(report["health"]["grad_norm"]) == len(report["health"]["update_ratio"]) == 5
    assert len(report["health"]["inactive"]) == 4
    assert report["health"]["grad_norm"][0] < report["health"]["grad_norm"][-1]


def test_the_break_it_presets_are_judged_sensibly_and_their_health_names_the_cause(mnist):
    from mnistcore.analysis.health_readings import stall_cause
    from mnistcore.engine.outcome import Verdict, assess

    expected = {"too-high-lr": "dead", "deep-sigmoid": "vanishing"}
    for name, kind in expected.items():
        config = PRESETS[name]
        trainer = trainer_for(config, mnist)
        result = trainer.run()
        outcome = assess(trainer.history.snapshot(), (result.steps, result.validation_accuracy), 10, config.loss)
        cause = stall_cause(trainer.history.health.snapshot(), config.activation)
        print(f"{name}: {outcome.verdict}, validation {result.validation_accuracy:.1%}; {cause.text}")
        assert outcome.verdict in (Verdict.STOPPED_LEARNING, Verdict.BARELY_STARTED)  # never "learned"
        assert cause.kind == kind
