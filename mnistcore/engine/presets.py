"""The named presets: settings worth starting from, each with a note of what it reaches.

``PRESETS`` maps a name to a ``TrainConfig``; the CLI's ``--preset``, the dashboard's preset
picker and the share links all read it. ``PRESET_NOTES`` holds what each one reached, shown
beside it, with the machine its time was measured on (``python -m benchmarks.run``).
"""

from __future__ import annotations

from mnistcore.engine.config import TrainConfig

SEED = TrainConfig()
FAST = TrainConfig(
    hidden=(128,),
    activation="relu",
    loss="cross-entropy",
    init="he",
    optimizer="momentum",
    lr=0.1,
    momentum=0.9,
    schedule="cosine",
    batch_size=100,
    steps=None,
    epochs=5,
    eval_every=500,
)
BEST = FAST.replace(hidden=(800,), epochs=30, augment=True, eval_every=1000)
FASHION_FAST = FAST.replace(dataset="fashion-mnist")

PRESETS: dict[str, TrainConfig] = {
    # Exactly the notebook: 784-16-10, sigmoid, MSE, uniform [-1, 1], SGD lr 0.1, batch 100, 20,000 steps.
    "seed": SEED,
    # The seed's 784-16-10 network with a modern recipe (softmax + cross-entropy, momentum, cosine, L2).
    "seed-arch": TrainConfig(
        hidden=(16,),
        activation="sigmoid",
        loss="cross-entropy",
        init="xavier",
        optimizer="momentum",
        lr=0.3,
        momentum=0.9,
        weight_decay=1e-4,
        schedule="cosine",
        batch_size=100,
        steps=None,
        epochs=30,
        eval_every=500,
    ),
    # About a second of training, >= 97% test accuracy.
    "fast": FAST,
    # One hidden layer, the best test accuracy within 60 s of training here: fast's recipe,
    # wider and longer, on randomly shifted, turned and scaled digits.
    "best": BEST,
    # 99% test accuracy inside 20 s of training here: best's recipe, narrower and shorter
    # (chosen on the validation split among 512-800 units, 12-24 epochs, batch 100/200, Adam).
    "sprint": BEST.replace(hidden=(640,), epochs=20, eval_every=500),
    # One hidden layer, as far as augmentation and time can take it: minutes, not seconds.
    "moonshot": BEST.replace(hidden=(1200,), epochs=100, eval_every=2000),
    # Fashion-MNIST's clothes: fast's recipe as it is, then wider and longer with a little L2
    # (no augmentation: turned and shifted clothes hurt more than they help a dense net).
    "fashion-fast": FASHION_FAST,
    "fashion-best": FASHION_FAST.replace(hidden=(256,), epochs=20, lr=0.05, weight_decay=1e-4, eval_every=1000),
}

# Measured by `python -m benchmarks.run` on this project's 2-core machine (AMD EPYC), through
# the command line, with nothing else running: test accuracy on the 10k test set (settings
# chosen on the validation split) and seconds of training. Each note says what its time was
# measured on, because the same run takes two to three times as long on a busy server (the
# dashboard also trains each run on one core). The app shows these beside the presets.
PRESET_NOTES: dict[str, str] = {
    "seed": "The origin notebook's network, exactly: 87.6% test accuracy in about 2 s on an idle 2-core machine.",
    "seed-arch": (
        "The seed's 784-16-10 network, modern recipe: 95.9% test accuracy in about 2 s on an idle 2-core machine."
    ),
    "fast": "784-128-10, five epochs: 97.9% test accuracy in about 1 s on an idle 2-core machine.",
    "best": (
        "784-800-10 on randomly shifted, turned and scaled digits: 99.1% test accuracy in about 35 s "
        "on an idle 2-core machine, 80-90 s on a busy one."
    ),
    "sprint": (
        "784-640-10 on augmented digits, 20 epochs: 99.1% test accuracy in about 20 s on an idle 2-core "
        "machine (0.6x best's time, measured back to back), past 99% after three quarters of it."
    ),
    "moonshot": (
        "784-1200-10, augmented, 100 epochs: 99.3% test accuracy in 22 min on a busy 2-core machine "
        "(about 3 min idle, estimated)."
    ),
    "fashion-fast": (
        "Fashion-MNIST with fast's 784-128-10, five epochs: 87.0% test accuracy in about 8 s on a busy "
        "2-core machine (1-2 s idle, estimated)."
    ),
    "fashion-best": (
        "Fashion-MNIST, 784-256-10, 20 epochs, a little L2: 89.4% test accuracy in 264 s on a busy "
        "2-core machine (about a minute idle, estimated). Shirts, T-shirts, pullovers and coats stay hard."
    ),
}

# Presets that break training on purpose (issue #18), for the Train page's Health tab: each
# shows one way a network stalls, and ``BREAK_IT_FIXES`` holds the same run with the fix.
TOO_HIGH_LR = TrainConfig(
    hidden=(128,), activation="relu", loss="cross-entropy", init="he", lr=10.0, steps=1000, eval_every=500
)
DEEP_SIGMOID = TrainConfig(
    hidden=(64, 64, 64, 64), activation="sigmoid", loss="cross-entropy", init="xavier", steps=1000, eval_every=500
)
WIDE_SEED_INIT = SEED.replace(hidden=(512,), steps=2000)
PRESETS.update({"too-high-lr": TOO_HIGH_LR, "deep-sigmoid": DEEP_SIGMOID, "wide-seed-init": WIDE_SEED_INIT})
#: preset -> (the fix's button label, the fixed settings): the same run with one thing changed.
BREAK_IT_FIXES: dict[str, tuple[str, TrainConfig]] = {
    "too-high-lr": ("Fix it: learning rate 0.1", TOO_HIGH_LR.replace(lr=0.1)),
    "deep-sigmoid": ("Fix it: ReLU with He init", DEEP_SIGMOID.replace(activation="relu", init="he")),
    "wide-seed-init": ("Fix it: Xavier init", WIDE_SEED_INIT.replace(init="xavier")),
}
PRESET_NOTES.update(
    {
        "too-high-lr": (
            "Breaks it: at learning rate 10 the first steps push the ReLUs off for good and the "
            "Health tab counts the dead units; 9.7% test accuracy in about 10 s on a busy 2-core machine."
        ),
        "deep-sigmoid": (
            "Breaks it: four sigmoid layers shrink the gradient at every layer on the way back, so the "
            "first layers barely learn (Health tab); 10.2% test accuracy in about 10 s on a busy 2-core machine."
        ),
        "wide-seed-init": (
            "Breaks it: the seed's uniform [-1, 1] init on 512 units saturates the sigmoids, whose slope "
            "is then flat (Health tab); 44.5% test accuracy in about 20 s on a busy 2-core machine."
        ),
    }
)
