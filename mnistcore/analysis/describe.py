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

from collections.abc import Sequence

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


def signed(value: float, digits: int = 3) -> str:
    """'+0.041' / '−0.041' (a real minus sign: screen readers say 'minus', not 'hyphen')."""
    return f"{value:+.{digits}g}".replace("-", "−")


def strip_summary(values: np.ndarray, what: str, labels: Sequence[str] | None = None, top: int = 2) -> str:
    """A strip or bar chart of per-unit values in one line: 'δ^(0): 128 values from −0.034
    to +0.021; largest in size unit 12 (−0.034), unit 5 (+0.021).' ``labels`` names the
    positions (e.g. the output classes) instead of 'unit i'."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or not np.isfinite(values).all():
        return f"{what}: no finite values to show."
    order = np.argsort(-np.abs(values), kind="stable")[:top]
    name = (lambda i: f"unit {i}") if labels is None else (lambda i: labels[i])
    largest = ", ".join(f"{name(int(i))} ({signed(values[i])})" for i in order)
    return (
        f"{what}: {values.size:,} values from {signed(values.min())} to {signed(values.max())}; "
        f"largest in size {largest}."
    )


def matrix_summary(
    matrix: np.ndarray,
    what: str,
    row_start: int = 0,
    col_start: int = 0,
    to_labels: Sequence[str] | None = None,
) -> str:
    """A heatmap of a weight (or gradient) block in one line: its size and its strongest
    positive and negative entries, 'unit 3 → 7 (+0.82)'. ``row_start``/``col_start``: the
    block's first unit numbers; ``to_labels`` names the columns (the output classes)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.size == 0 or not np.isfinite(matrix).all():
        return f"{what}: no finite values to show."

    def cell(flat: int) -> str:
        r, c = (int(i) for i in np.unravel_index(flat, matrix.shape))
        to = f"unit {col_start + c}" if to_labels is None else to_labels[col_start + c]
        return f"unit {row_start + r} → {to} ({signed(matrix[r, c])})"

    rows, cols = matrix.shape
    return (
        f"{what}: {rows:,} × {cols:,} values; most positive {cell(int(np.argmax(matrix)))}, "
        f"most negative {cell(int(np.argmin(matrix)))}."
    )


def loss_steps_summary(losses: Sequence[float]) -> str:
    """The loss-by-step chart: 'Loss on this digit: 2.31 before, 0.12 after 3 steps (down 95%).'"""
    if not losses:
        return "No loss measured yet."
    first, last, steps = float(losses[0]), float(losses[-1]), len(losses) - 1
    if steps == 0:
        return f"Loss on this digit: {first:.3g}; no steps taken yet."
    change = "" if first == 0 or not np.isfinite(first) else f" ({'down' if last <= first else 'up'} "
    if change:
        change += f"{abs(last - first) / first:.0%})"
    return f"Loss on this digit: {first:.3g} before, {last:.3g} after {steps} step{'s' if steps != 1 else ''}{change}."


def activation_grid_summary(hidden: np.ndarray, chosen: int | None = None, top: int = 3) -> str:
    """The first hidden layer's activation grid: 'First hidden layer: 128 units, mean
    activation 0.21; most active unit 12 (0.99), unit 5 (0.97), unit 7 (0.93). Chosen: unit 12.'"""
    hidden = np.asarray(hidden, dtype=np.float64).ravel()
    order = np.argsort(-hidden, kind="stable")[:top]
    active = ", ".join(f"unit {int(i)} ({hidden[i]:.2f})" for i in order)
    text = f"First hidden layer: {hidden.size:,} units, mean activation {hidden.mean():.2f}; most active {active}."
    return text if chosen is None else f"{text} Chosen: unit {chosen}."


def contribution_summary(contributors: Sequence[tuple[int, float]], label: int, names: Names = None) -> str:
    """The contribution bars: 'Unit 12 pushed 3 up most (+2.41), then unit 5 (+1.1), unit 7 (+0.8).'"""
    if not contributors:
        return f"No unit pushed {label_word(label, names)} up."
    (unit, value), rest = contributors[0], contributors[1:]
    text = f"Unit {unit} pushed {label_word(label, names)} up most ({signed(value)})"
    if rest:
        text += ", then " + ", ".join(f"unit {u} ({signed(v)})" for u, v in rest)
    return text + "."


def network_summary(layer_sizes: Sequence[int], activation: str, loss: str, names: Names = None) -> str:
    """The network diagram in one line: 'Network: 784 input pixels → hidden layers of 128 and
    64 relu units → 10 softmax outputs, one per digit 0–9; 109,386 weights and biases in all.'"""
    sizes = [int(n) for n in layer_sizes]
    hidden = sizes[1:-1]
    output = "softmax" if loss == "cross-entropy" else "sigmoid"
    classes = "one per digit 0–9" if names is None else "one per class: " + ", ".join(names)
    middle = ""
    if hidden:
        widths = f"{hidden[0]:,}" if len(hidden) == 1 else ", ".join(f"{n:,}" for n in hidden[:-1])
        widths += f" and {hidden[-1]:,}" if len(hidden) > 1 else ""
        middle = f" → hidden layer{'s' if len(hidden) > 1 else ''} of {widths} {activation} units"
    parameters = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    return (
        f"Network: {sizes[0]:,} input pixels{middle} → {sizes[-1]:,} {output} outputs, {classes}; "
        f"{parameters:,} weights and biases in all."
    )


def legend_summary(limit: float, what: str = "weight") -> str:
    """The colour legend: 'Colour scale: blue for a negative weight (darkest at −0.25 or below),
    white for zero, red for a positive one (darkest at +0.25 or above).'"""
    return (
        f"Colour scale: blue for a negative {what} (darkest at {signed(-abs(limit))} or below), white for zero, "
        f"red for a positive one (darkest at {signed(abs(limit))} or above)."
    )


def closest_classes(xy: np.ndarray, labels: np.ndarray) -> tuple[int, int] | None:
    """The two classes whose mean points lie closest together on a 2-D map (None: fewer than two)."""
    xy, labels = np.asarray(xy, dtype=np.float64), np.asarray(labels)
    classes = np.unique(labels)
    if len(classes) < 2:
        return None
    centres = np.stack([xy[labels == c].mean(axis=0) for c in classes])
    distance = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=-1)
    distance[np.diag_indices(len(classes))] = np.inf
    i, j = np.unravel_index(int(np.argmin(distance)), distance.shape)
    return int(classes[min(i, j)]), int(classes[max(i, j)])


def hidden_map_summary(xy: np.ndarray, labels: np.ndarray, wrong: np.ndarray, names: Names = None) -> str:
    """The hidden-space map: '2,000 points, 43 misclassified (crosses); the classes whose
    centres lie closest: 4 and 9.'"""
    count, misread = len(labels), int(np.asarray(wrong).sum())
    text = f"{count:,} points, {misread:,} misclassified (crosses)"
    pair = closest_classes(xy, labels)
    if pair is not None:
        text += (
            f"; the classes whose centres lie closest: {label_word(pair[0], names)} and {label_word(pair[1], names)}"
        )
    return text + "."


def runs_summary(runs: Sequence[tuple[str, float | None]]) -> str:
    """The compared runs (label, test accuracy or None): 'Best test accuracy: #2 fast at 97.8%; then #1 at 96.0%.'"""
    measured = sorted(((a, label) for label, a in runs if a is not None and np.isfinite(a)), key=lambda r: -r[0])
    if not measured:
        return "None of these runs has a test accuracy (a run that diverged is not measured)."
    (best, label), rest = measured[0], measured[1:]
    text = f"Best test accuracy: {label} at {best:.1%}"
    if rest:
        text += "; then " + ", ".join(f"{other} at {a:.1%}" for a, other in rest)
    return text + "."


def teach_summary(
    probabilities_before: np.ndarray,
    probabilities_after: np.ndarray,
    accuracy_before: np.ndarray,
    accuracy_after: np.ndarray,
    names: Names = None,
) -> str:
    """Teach it's before/after charts: 'Your drawing: read as 3 (45%) before, 7 (92%) after.
    Test accuracy per digit changed most for 7 (−1.2 points).'"""
    before, after = np.asarray(probabilities_before, np.float64), np.asarray(probabilities_after, np.float64)
    b, a = int(np.argmax(before)), int(np.argmax(after))
    text = (
        f"Your drawing: read as {label_word(b, names)} ({before[b]:.0%}) before, "
        f"{label_word(a, names)} ({after[a]:.0%}) after."
    )
    change = 100 * (np.asarray(accuracy_after, np.float64) - np.asarray(accuracy_before, np.float64))
    change = np.nan_to_num(change)
    most = int(np.argmax(np.abs(change)))
    per = "digit" if names is None else "class"
    return (
        text
        + f" Test accuracy per {per} changed most for {label_word(most, names)} ({signed(change[most], 2)} points)."
    )
