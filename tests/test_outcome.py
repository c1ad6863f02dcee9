"""How a run turned out (``mnistcore.engine.outcome``): on real short runs on MNIST (``fast``
at lr 10 stops learning, at lr 0.05 it learns; the seed's network stopped after 100 steps has
barely started), and on made-up histories for each rule."""

from __future__ import annotations

import json
import math

import pytest

from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import trainer_for
from mnistcore.engine.outcome import Verdict, assess
from mnistcore.engine.presets import PRESETS

NAN = float("nan")


def event(step: int, validation: float = NAN, loss: float = 1.0) -> ProgressEvent:
    return ProgressEvent(step, step / 550, step * 100, loss, 0.5, validation, 0.1, step / 1000, 1000.0)


def history(validations: list[float], losses: list[float], every: int = 100) -> list[ProgressEvent]:
    """Events every ``every`` steps with these losses; a validation check on every
    ``len(losses) // len(validations)``-th of them (the last event always)."""
    stride = len(losses) // len(validations)
    checks = {stride * (i + 1) - 1: v for i, v in enumerate(validations)}
    return [event(every * (i + 1), checks.get(i, NAN), loss) for i, loss in enumerate(losses)]


def run(config):
    from mnistcore.engine.data import load_mnist

    trainer = trainer_for(config, load_mnist(download_missing=False))
    result = trainer.run()
    return assess(trainer.history.snapshot(), (result.steps, result.validation_accuracy), 10, config.loss)


# ------------------------------------------------------------------ real runs


@pytest.mark.slow
def test_fast_at_learning_rate_10_stops_learning_and_says_why(mnist):
    outcome = run(PRESETS["fast"].replace(lr=10))
    assert outcome.verdict is Verdict.STOPPED_LEARNING and not outcome.learned
    assert outcome.final.accuracy < 0.2 and outcome.final.step == 2750 and outcome.checks == 6
    assert outcome.headline == "The network stopped learning: the learning rate is probably too high."
    assert outcome.evidence.startswith(f"Validation accuracy ended at {100 * outcome.final.accuracy:.2f}%")
    assert "hardly better than guessing (10%)" in outcome.evidence and "first check" in outcome.evidence
    # The loss gave up at ln 10: every digit equally likely.
    assert abs(outcome.loss_end - math.log(10)) < 0.1
    assert "gives every digit the same probability (ln 10)" in outcome.loss_story


@pytest.mark.slow
def test_fast_at_learning_rate_0_05_learns(mnist):
    outcome = run(PRESETS["fast"].replace(lr=0.05))
    assert outcome.verdict is Verdict.LEARNED and outcome.learned and outcome.final.accuracy > 0.95
    assert outcome.headline == "" and outcome.loss_story == ""


def test_a_run_stopped_early_has_barely_started(mnist):
    outcome = run(PRESETS["seed"].replace(steps=100, eval_every=10))
    assert outcome.verdict is Verdict.BARELY_STARTED  # 15% after 100 steps, loss still falling
    assert "too low, or the run too short" in outcome.headline
    assert outcome.loss_story.startswith("The loss was still falling")


# ------------------------------------------------------------------ the rules


def test_near_chance_with_a_flat_loss_stopped_learning():
    events = history([0.10, 0.11, 0.09, 0.113], [4.0, 3.0, 2.6] + [2.3] * 29)
    outcome = assess(events)
    assert outcome.verdict is Verdict.STOPPED_LEARNING
    assert outcome.loss_story.startswith("The loss fell from about") and "2.30, then stopped" in outcome.loss_story
    flat = assess(history([0.10, 0.11], [2.3] * 20))
    assert flat.loss_story.startswith("The loss stayed at about 2.30: the loss of a network that gives every digit")


def test_near_chance_and_below_its_own_best_stopped_learning_even_while_the_loss_falls():
    events = history([0.14, 0.10, 0.09], [9.0 - 0.2 * i for i in range(30)])
    assert assess(events).verdict is Verdict.STOPPED_LEARNING


def test_near_chance_with_a_falling_loss_or_too_little_to_tell_has_barely_started():
    falling = history([0.08, 0.09, 0.12], [2.0 - 0.05 * i for i in range(30)])
    assert assess(falling).verdict is Verdict.BARELY_STARTED
    one_event = [event(20, 0.11, 2.3)]
    outcome = assess(one_event)
    assert outcome.verdict is Verdict.BARELY_STARTED and outcome.checks == 1 and outcome.loss_story == ""


def test_twice_chance_is_the_line():
    losses = [2.3] * 20
    assert assess(history([0.1, 0.199], losses)).verdict is Verdict.STOPPED_LEARNING
    assert assess(history([0.1, 0.201], losses)).verdict is Verdict.LEARNED
    assert assess(history([0.1, 0.39], losses), n_classes=5).verdict is not Verdict.LEARNED  # chance 20%


def test_ending_ten_points_below_its_best_fell_back():
    events = history([0.35, 0.30, 0.25], [2.0] * 20)
    outcome = assess(events)
    assert outcome.verdict is Verdict.FELL_BACK and outcome.best.accuracy == 0.35
    assert outcome.evidence.startswith("Validation accuracy reached 35.00% at step")
    assert assess(history([0.97, 0.95, 0.98], [0.1] * 20)).verdict is Verdict.LEARNED


def test_the_final_check_given_replaces_later_history_and_nan_or_nothing_gives_none():
    events = history([0.5, 0.6, 0.7], [1.0] * 30)
    outcome = assess(events, final=(1500, 0.05))  # stopped at step 1,500: checks after it are ignored
    assert outcome.final.step == 1500 and outcome.final.accuracy == 0.05 and outcome.checks == 2
    assert assess(events, final=(3000, NAN)) is None  # a diverged run
    assert assess([event(10, NAN)]) is None and assess([]) is None
    assert assess([], final=(0, 0.1)).checks == 1


def test_mse_runs_get_no_same_probability_sentence():
    events = history([0.1, 0.1], [0.45] * 20)
    outcome = assess(events, loss="mse")
    assert outcome.same_probability_loss is None and "same probability" not in outcome.loss_story
    assert outcome.to_dict()["verdict"] == "stopped learning" and outcome.to_dict()["learned"] is False


def test_the_command_line_reports_the_outcome(mnist, capsys):
    from mnistcore.engine.cli import main

    argv = ["train", "--preset", "fast", "--lr", "10", "--steps", "300", "--eval-every", "50", "--json"]
    assert main(argv) == 0  # a result, not an error
    captured = capsys.readouterr()
    report = json.loads(captured.out.strip().splitlines()[-1])
    assert report["outcome"]["verdict"] == "stopped learning" and report["outcome"]["learned"] is False
    assert report["outcome"]["message"].startswith("The network stopped learning: the learning rate is probably")
    assert "warning: The network stopped learning" in captured.err
