"""How a run turned out, judged from the run itself: did the network learn to read digits,
stop learning, barely start, or get worse as it trained?

``assess`` looks at a run's progress events (its validation accuracy at every check, and the
minibatch loss) and the validation accuracy measured when it ended. It never looks at the
settings: a learning rate of 10 is fine for the seed's sigmoid network (94%) and fatal for
``fast``'s ReLU network (11%), so only what the run did can say which happened. Pure Python
over the events; the dashboard and the command line both ask it.

The verdicts, in order of the checks:

* **stopped learning**: the final validation accuracy is below twice chance (20% for ten
  digits) and the run is not still improving: the validation accuracy fell back from a
  better value, or the loss has stopped falling. The learning rate is probably too high
  (``fast`` at lr 10: 9.9% at step 500, 11.35% at the end, the loss flat at 2.30, the loss of
  a network that gives every digit the same probability).
* **barely started**: below twice chance too, but the loss is still falling (or there is too
  little of the run to tell): the learning rate is probably too low, or the run too short
  (``seed`` at lr 0.0001; any run stopped after a few hundred steps).
* **fell back**: it learned something, but ended at least 10 points below its own best
  validation accuracy (``seed-arch`` at lr 10: 35% at step 500, 21% at the end).
* **learned**: anything else.

Why not "no better than its first check": healthy runs that are already good at their first
check gain little afterwards (``fast`` for 20 epochs checked every 2,000 steps: 97.7% then,
98.3% at the end; 50 epochs at a constant rate: 95.9% to 98.4%), and sick ones can gain as
much (``fast`` at lr 1, seed 1: 23.8% to 37.9%). Only chance level and falling back
separate them on the runs measured (``tests/test_outcome.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from mnistcore.engine.history import ProgressEvent

CHANCE_FACTOR = 2.0  # below this many times chance, the network has not learned to read digits
FELL_BACK_POINTS = 0.10  # ending this far (absolute) below the run's own best: it got worse
SLIPPED_POINTS = 0.03  # near chance, a fall this big from its best means it is not still climbing
STILL_FALLING = 0.95  # the loss's last quarter at most this times the quarter before: still falling
MIN_LOSS_EVENTS = 8  # fewer logged losses than this: too few to tell a trend
TOLERANCE = 1e-9  # accuracies are shares: 0.35 - 0.25 must count as ten points
SAME_PROBABILITY_MARGIN = 0.15  # a cross-entropy this close to ln(classes): every digit equally likely


class Verdict(StrEnum):
    LEARNED = "learned"
    STOPPED_LEARNING = "stopped learning"
    BARELY_STARTED = "barely started"
    FELL_BACK = "fell back"


@dataclass(frozen=True)
class Check:
    """The validation accuracy at one step."""

    step: int
    accuracy: float


@dataclass(frozen=True)
class Outcome:
    """A run's verdict and the evidence for it (see the module docstring)."""

    verdict: Verdict
    chance: float  # accuracy of guessing: 1 / classes
    first: Check  # the first validation check
    best: Check  # the best one (the earliest, on a tie)
    final: Check  # when the run ended
    checks: int  # how many validation checks there were, the final one included
    loss_start: float | None  # mean minibatch loss over the first quarter of the logged events
    loss_end: float | None  # ... and over the last quarter (None: too few events to tell)
    same_probability_loss: float | None  # cross-entropy's ln(classes); None for other losses

    @property
    def learned(self) -> bool:
        return self.verdict is Verdict.LEARNED

    @property
    def headline(self) -> str:
        """The verdict in a sentence ('' for a run that learned)."""
        return {
            Verdict.LEARNED: "",
            Verdict.STOPPED_LEARNING: "The network stopped learning: the learning rate is probably too high.",
            Verdict.BARELY_STARTED: (
                "The network has barely started learning: the learning rate is probably too low, or the run too short."
            ),
            Verdict.FELL_BACK: "The network got worse as it trained: the learning rate is probably too high.",
        }[self.verdict]

    @property
    def evidence(self) -> str:
        """The validation accuracies that show it, in a sentence or two."""
        final, best, first = self.final, self.best, self.first
        if self.verdict is Verdict.FELL_BACK:
            return (
                f"Validation accuracy reached {_pct(best.accuracy)} at step {best.step:,}, "
                f"then fell to {_pct(final.accuracy)} by the end (step {final.step:,})."
            )
        text = f"Validation accuracy ended at {_pct(final.accuracy)}"
        if self.verdict is Verdict.LEARNED:
            return text + "."
        text += f", hardly better than guessing ({100 * self.chance:g}%)"
        if self.checks < 2:
            return text + "."
        if best.step == first.step or best.accuracy <= final.accuracy:
            return text + f"; it was {_pct(first.accuracy)} at its first check (step {first.step:,})."
        return text + (
            f"; its best was {_pct(best.accuracy)} at step {best.step:,} "
            f"(first check: {_pct(first.accuracy)} at step {first.step:,})."
        )

    @property
    def loss_story(self) -> str:
        """What the loss curve shows, in a sentence ('' when there are too few events to tell)."""
        if self.loss_start is None or self.loss_end is None or self.verdict is Verdict.LEARNED:
            return ""
        start, end = self.loss_start, self.loss_end
        if self.verdict is Verdict.BARELY_STARTED:
            return f"The loss was still falling (from about {start:.2f} to {end:.2f}): the network had just begun."
        if end > start:
            text = f"The loss rose from about {start:.2f} to {end:.2f}"
        elif end < STILL_FALLING * start:
            text = f"The loss fell from about {start:.2f} to {end:.2f}, then stopped falling"
        else:
            text = f"The loss stayed at about {end:.2f}"
        same = self.same_probability_loss
        if same is not None and abs(end - same) <= SAME_PROBABILITY_MARGIN:
            near = f", near {same:.2f}" if f"{end:.2f}" != f"{same:.2f}" else ""
            text += (
                f"{near}: the loss of a network that gives every digit the same probability "
                f"(ln {round(1 / self.chance)}), one that no longer tells digits apart"
            )
        return text + "."

    def to_dict(self) -> dict[str, object]:
        """For the command line's ``--json``."""
        return {
            "verdict": self.verdict.value,
            "learned": self.learned,
            "message": " ".join(part for part in (self.headline, self.evidence, self.loss_story) if part),
        }


def assess(
    events: Sequence[ProgressEvent],
    final: tuple[int, float] | None = None,
    n_classes: int = 10,
    loss: str = "cross-entropy",
) -> Outcome | None:
    """The verdict on a run from its progress events and ``final`` = (step, validation
    accuracy) when it ended (default: its last validation check). ``n_classes`` sets chance
    level; ``loss`` names the loss (for cross-entropy, the loss of a network that has given
    up is ln(n_classes)). None when no validation accuracy was ever measured, or the final
    one is not a number (a diverged run)."""
    checks = [Check(e.step, e.validation_accuracy) for e in events if math.isfinite(e.validation_accuracy)]
    if final is not None:
        step, accuracy = final
        if not math.isfinite(accuracy):
            return None
        checks = [c for c in checks if c.step < step] + [Check(int(step), float(accuracy))]
    if not checks:
        return None
    chance = 1.0 / n_classes
    best = max(checks, key=lambda c: c.accuracy)  # max keeps the first of equals: the earliest
    first, last = checks[0], checks[-1]
    loss_start, loss_end, still_falling = _loss_trend(events)
    if last.accuracy < CHANCE_FACTOR * chance:
        slipped = best.accuracy - last.accuracy >= SLIPPED_POINTS - TOLERANCE
        verdict = Verdict.STOPPED_LEARNING if slipped or still_falling is False else Verdict.BARELY_STARTED
    elif best.accuracy - last.accuracy >= FELL_BACK_POINTS - TOLERANCE:
        verdict = Verdict.FELL_BACK
    else:
        verdict = Verdict.LEARNED
    return Outcome(
        verdict=verdict,
        chance=chance,
        first=first,
        best=best,
        final=last,
        checks=len(checks),
        loss_start=loss_start,
        loss_end=loss_end,
        same_probability_loss=math.log(n_classes) if loss == "cross-entropy" else None,
    )


def _loss_trend(events: Sequence[ProgressEvent]) -> tuple[float | None, float | None, bool | None]:
    """(mean loss of the first quarter, of the last quarter, whether the loss is still falling:
    the last quarter's mean at most ``STILL_FALLING`` times the third's); Nones when the run
    logged fewer than ``MIN_LOSS_EVENTS`` finite losses. Means over quarters, because a
    minibatch's loss is noisy."""
    losses = [e.batch_loss for e in events if math.isfinite(e.batch_loss)]
    if len(losses) < MIN_LOSS_EVENTS:
        return None, None, None
    quarter = len(losses) // 4
    start, third, end = _mean(losses[:quarter]), _mean(losses[2 * quarter : 3 * quarter]), _mean(losses[3 * quarter :])
    return start, end, end <= STILL_FALLING * third


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"
