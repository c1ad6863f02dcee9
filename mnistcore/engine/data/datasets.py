"""The datasets the project knows: MNIST's digits and Zalando's Fashion-MNIST clothes.

Both are 70,000 greyscale 28x28 images in 10 classes, in the same four IDX files, split the
same way (60,000 training, 10,000 test). So one loader serves both (``files``, ``mnist``);
what differs is described here, once, by a ``Dataset``: its name (the one the CLI, the share
link and a checkpoint's config use), what its classes are called, the SHA-256 of each
decompressed file, the mirrors to download from, the environment variable naming its folder,
and folders where a system package puts it.

Deliberate limits: 28x28 images in 10 classes only (the network's input and output sizes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DATASETS", "FASHION_MNIST", "MNIST", "Dataset", "DatasetMismatchError", "dataset_named"]


class DatasetMismatchError(ValueError):
    """A model is asked about data from another dataset than the one it was trained on."""


@dataclass(frozen=True)
class Dataset:
    """What tells one IDX dataset from another; the files' names are the same for all."""

    name: str  # as the CLI, links and checkpoints spell it: 'mnist', 'fashion-mnist'
    title: str  # as people read it: 'MNIST', 'Fashion-MNIST'
    class_names: tuple[str, ...]  # label -> what it means
    item: str  # one example, in a sentence: 'digit', 'clothing item'
    sha256: dict[str, str]  # file base name -> SHA-256 of its decompressed content
    mirrors: tuple[str, ...]  # base URLs, each serving '<name>.gz'
    env_var: str  # the environment variable that names the folder of its files
    cache_name: str  # the folder under the per-user cache
    known_dirs: tuple[str, ...] = ()  # where system packages install it
    download_mb: int = 11  # the four archives, for a progress message

    def class_name(self, label: int) -> str:
        """Label -> its name ('7' for MNIST, 'Sneaker' for Fashion-MNIST)."""
        return self.class_names[int(label)]

    @property
    def is_digits(self) -> bool:
        """Whether the class names are the labels themselves (0..9)."""
        return self.class_names == tuple(str(d) for d in range(10))

    def known_dir(self) -> Path | None:
        """The first folder a system package installed the files in, if any."""
        for folder in self.known_dirs:
            if Path(folder).is_dir():
                return Path(folder)
        return None


MNIST = Dataset(
    name="mnist",
    title="MNIST",
    class_names=tuple(str(d) for d in range(10)),
    item="digit",
    sha256={
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://yann.lecun.com/exdb/mnist/",
    ),
    env_var="MNIST_DATA_DIR",
    cache_name="mnist",
)

# The labels' meanings are Zalando's (github.com/zalandoresearch/fashion-mnist, README).
FASHION_MNIST = Dataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    class_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    item="clothing item",
    sha256={
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    env_var="FASHION_MNIST_DATA_DIR",
    cache_name="fashion-mnist",
    known_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian's dataset-fashion-mnist
    download_mb=30,
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (MNIST, FASHION_MNIST)}


def dataset_named(name: str) -> Dataset:
    """The dataset called ``name``; ValueError listing the known names otherwise."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None
