"""Pictures and charts in words, for people who cannot see them (screen readers, text
browsers) and for everyone who wants the numbers behind a colour.

Every picture the dashboard shows gets a text alternative from here ("test digit 8527: a 4,
read as 9 (85%)", "hidden unit 12: weights"), and the charts a one-line summary of what they
show (the most common mistakes of a confusion matrix, the weakest digits, the runner-up of a
prediction). ``confusion_cells`` lists a confusion matrix's cells for a keyboard control that
does what a click on the chart does.

Deliberate limits: UI-free plain strings (no Markdown: alt text is not rendered), English
only; the numbers come from validated arrays, never from text a visitor typed.
"""

from __future__ import annotations

import numpy as np

from mnistcore.analysis.mistakes import Mistake

Names = tuple[str, ...] | None  # a dataset's class names ('Sneaker'), or None for the digits themselves


def label_word(label: int, names: Names = None) -> str:
    """'4', or the class name ('Sneaker') for a dataset whose classes are named."""
    return str(int(label)) if names is None else names[int(label)]


def digit_alt(
    index: int, true: int, predicted: int | None = None, confidence: float | None = None, names: Names = None
) -> str:
    """'test digit 8527: a 4, read as 9 (85%)'; without a prediction 'test digit 8527: a 4'."""
    return named_digit_alt(f"test {'digit' if names is None else 'image'} {index}", true, predicted, confidence, names)


def named_digit_alt(
    name: str, true: int, predicted: int | None = None, confidence: float | None = None, names: Names = None
) -> str:
    """``digit_alt`` for a digit named otherwise: 'the digit you drew: a 3, read as 3 (99%)'."""
    word = label_word(true, names)
    text = f"{name}: {article(true) if names is None else indefinite(word)} {word}"
    if predicted is not None:
        text += f", read as {label_word(predicted, names)}"
        if confidence is not None:
            text += f" ({confidence:.0%})"
    return text


def mistake_alt(mistake: Mistake, names: Names = None) -> str:
    """A gallery thumbnail's alt text: the digit, what the network read and how sure it was."""
    return digit_alt(mistake.index, mistake.true, mistake.predicted, mistake.confidence, names)


def network_view_alt(predicted: int, confidence: float, names: Names = None) -> str:
    """The Draw page's 28×28 input: 'the 28×28 image the network sees, read as 3 (97%)'."""
    return f"the 28×28 image the network sees, read as {label_word(predicted, names)} ({confidence:.0%})"


def weight_tile_alt(unit: int, what: str = "weights") -> str:
    """'hidden unit 12: weights' (``what`` e.g. 'change in weights', 'weights × your drawing')."""
    return f"hidden unit {unit}: {what}"


def mosaic_alt(title: str, first_unit: int, last_unit: int, columns: int) -> str:
    """A mosaic of first-layer weight tiles: which units, how laid out, how coloured."""
    return (
        f"{title}: the incoming weights of hidden units {first_unit} to {last_unit} as 28×28 tiles, "
        f"{columns} per row; red is a positive weight, blue a negative one, white zero"
    )


def article(digit: int) -> str:
    """'an' before 8 ('an 8'), 'a' before every other digit."""
    return "an" if digit == 8 else "a"


def indefinite(word: str) -> str:
    """'an' before a vowel ('an Ankle boot'), else 'a'."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def confusion_cells(confusion: np.ndarray) -> list[tuple[int, int, int]]:
    """The mistakes of a (10, 10) confusion matrix (rows true, columns predicted) as
    ``(true, predicted, count)``, most frequent first (ties: lower true digit first); cells
    with no mistakes are left out."""
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square matrix, got shape {confusion.shape}")
    cells = [
        (int(t), int(p), int(confusion[t, p]))
        for t in range(confusion.shape[0])
        for p in range(confusion.shape[1])
        if t != p and confusion[t, p] > 0
    ]
    return sorted(cells, key=lambda cell: (-cell[2], cell[0], cell[1]))


def confusion_cell_label(true: int, predicted: int, count: int, names: Names = None) -> str:
    """'4 read as 9: 45 times' (one confusion-matrix cell, for a list or a selectbox)."""
    return (
        f"{label_word(true, names)} read as {label_word(predicted, names)}: "
        f"{count:,} {'time' if count == 1 else 'times'}"
    )


def confusion_summary(confusion: np.ndarray, top: int = 3, names: Names = None) -> str:
    """The confusion matrix in one sentence: how many right, the ``top`` most common mistakes."""
    confusion = np.asarray(confusion)
    cells = confusion_cells(confusion)
    right, total = int(np.trace(confusion)), int(confusion.sum())
    things = "test digits" if names is None else "test images"
    text = f"Confusion matrix: {right:,} of {total:,} {things} on the diagonal (read right)."
    if not cells:
        return text + " No mistakes."
    common = "; ".join(confusion_cell_label(*cell, names=names) for cell in cells[:top])
    return f"{text} Most common mistakes: {common}."


def class_accuracy_summary(class_accuracy: np.ndarray, overall: float, names: Names = None) -> str:
    """'Accuracy per digit: overall 97.91%; best 1 (99.3%); weakest 8 (95.1%), 9 (96.0%).'"""
    accuracy = np.asarray(class_accuracy, dtype=np.float64)
    order = np.argsort(accuracy, kind="stable")
    weakest = ", ".join(f"{label_word(d, names)} ({accuracy[d]:.1%})" for d in order[:2])
    best = int(order[-1])
    per = "digit" if names is None else "class"
    return (
        f"Accuracy per {per}: overall {overall:.2%}; best {label_word(best, names)} ({accuracy[best]:.1%}); "
        f"weakest {weakest}."
    )


def training_summary(events: list) -> str:
    """The accuracy and loss curves in one line, from their ``ProgressEvent`` list: 'At step
    3,000: validation accuracy 97.6% (best 97.8%), last batch 98.0% right, batch loss 0.071.'"""
    if not events:
        return "No training steps yet."
    last = events[-1]
    measured = [e.validation_accuracy for e in events if np.isfinite(e.validation_accuracy)]
    validation = (
        f"validation accuracy {measured[-1]:.1%} (best {max(measured):.1%}), " if measured else "not validated yet, "
    )
    return (
        f"At step {last.step:,}: {validation}last batch {last.batch_accuracy:.1%} right, "
        f"batch loss {last.batch_loss:.3g}."
    )


def outgoing_summary(unit: int, outgoing: np.ndarray) -> str:
    """A first-layer unit's weights to the ten digits in one line: 'Hidden unit 12 pushes
    up 3 most (+0.41), then 5 (+0.22); pushes down 8 most (−0.38).'"""
    weights = np.asarray(outgoing, dtype=np.float64)
    order = np.argsort(-weights, kind="stable")
    up, second, down = int(order[0]), int(order[1]), int(order[-1])
    return (
        f"Hidden unit {unit} pushes up {up} most ({weights[up]:+.2f}), then {second} ({weights[second]:+.2f}); "
        f"pushes down {down} most ({weights[down]:+.2f})."
    ).replace("-", "−")


def probability_summary(probabilities: np.ndarray, true: int | None = None, names: Names = None) -> str:
    """'Read as 9 (85%), then 4 (12%); the true digit 4 got 12%.' (the two likeliest digits)."""
    probs = np.asarray(probabilities, dtype=np.float64)
    first, second = np.argsort(-probs, kind="stable")[:2]
    text = (
        f"Read as {label_word(first, names)} ({probs[first]:.0%}), "
        f"then {label_word(second, names)} ({probs[second]:.0%})"
    )
    if true is not None and true not in (first, second):
        text += f"; the true {'digit' if names is None else 'class'} {label_word(true, names)} got {probs[true]:.0%}"
    return text + "."
