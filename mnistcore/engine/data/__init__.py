"""Find, download, verify and load the real MNIST digits (and Fashion-MNIST's clothes).

Four modules, one job each; the names below are the package's API, importable from here:

* ``datasets``: what tells the datasets apart (``Dataset``: class names, checksums, mirrors);

* ``idx``: the IDX file format, parsed strictly (``read_idx``), and the errors;
* ``files``: where the files are (``find_data_dir``, ``default_cache_dir``) and fetching
  them from the mirrors, checked by the SHA-256 of their decompressed content (``download``);
* ``mnist``: the dataset in memory (``Mnist``, ``load_mnist``) and its pixel and label
  encodings (``scale_pixels``, ``one_hot``).
"""

from mnistcore.engine.data.datasets import (
    DATASETS,
    FASHION_MNIST,
    MNIST,
    Dataset,
    DatasetMismatchError,
    dataset_named,
)
from mnistcore.engine.data.files import (
    ENV_VAR,
    FILES,
    MIRRORS,
    SHA256,
    ProgressCallback,
    default_cache_dir,
    download,
    find_data_dir,
)
from mnistcore.engine.data.idx import IMAGES_MAGIC, LABELS_MAGIC, DataError, DataNotFoundError, read_idx
from mnistcore.engine.data.mnist import VALIDATION_SIZE, Mnist, load_dataset, load_mnist, one_hot, scale_pixels

__all__ = [
    "DATASETS",
    "FASHION_MNIST",
    "MNIST",
    "Dataset",
    "DatasetMismatchError",
    "dataset_named",
    "load_dataset",
    "ENV_VAR",
    "FILES",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "MIRRORS",
    "SHA256",
    "VALIDATION_SIZE",
    "DataError",
    "DataNotFoundError",
    "Mnist",
    "ProgressCallback",
    "default_cache_dir",
    "download",
    "find_data_dir",
    "load_mnist",
    "one_hot",
    "read_idx",
    "scale_pixels",
]
