"""Fashion-MNIST beside MNIST: the dataset descriptors, the loader on the real files (Debian's
dataset-fashion-mnist or $FASHION_MNIST_DATA_DIR), the checksum refusal of a corrupted copy,
the class names, the CLI's --dataset and a model that is never measured on the other set."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mnistcore.engine.config import TrainConfig
from mnistcore.engine.data import (
    DATASETS,
    FASHION_MNIST,
    FILES,
    MNIST,
    DataError,
    DatasetMismatchError,
    dataset_named,
    find_data_dir,
    load_dataset,
)
from mnistcore.engine.data import files as data_files
from mnistcore.engine.model import check_dataset, trainer_for
from tests.data_support import fake_mnist_files, write_set

FASHION_TRAIN_COUNT_PER_CLASS = 6000  # Fashion-MNIST is balanced: 6,000 of each class to train, 1,000 to test


def test_the_checksums_are_the_issue_s_and_differ_between_the_datasets():
    sums = FASHION_MNIST.sha256
    assert sums["train-images-idx3-ubyte"].startswith("c59f468a") and sums["train-images-idx3-ubyte"].endswith("d888")
    assert sums["train-labels-idx1-ubyte"].startswith("bad3541b") and sums["train-labels-idx1-ubyte"].endswith("43d9")
    assert sums["t10k-images-idx3-ubyte"].startswith("5b4141f0") and sums["t10k-images-idx3-ubyte"].endswith("e37b")
    assert sums["t10k-labels-idx1-ubyte"].startswith("0402a96d") and sums["t10k-labels-idx1-ubyte"].endswith("8c34")
    assert set(sums) == set(MNIST.sha256) == set(FILES.values())
    assert not set(sums.values()) & set(MNIST.sha256.values())


def test_class_names_map_labels_to_what_they_mean():
    assert dataset_named("fashion-mnist") is FASHION_MNIST and set(DATASETS) == {"mnist", "fashion-mnist"}
    assert [FASHION_MNIST.class_name(label) for label in (0, 6, 9)] == ["T-shirt/top", "Shirt", "Ankle boot"]
    assert len(FASHION_MNIST.class_names) == 10 == len(set(FASHION_MNIST.class_names))
    assert MNIST.class_name(7) == "7" and MNIST.is_digits and not FASHION_MNIST.is_digits
    with pytest.raises(ValueError, match="known datasets: mnist, fashion-mnist"):
        dataset_named("cifar")


def test_fashion_env_var_names_its_folder_and_mnist_keeps_its_own(tmp_path, monkeypatch):
    write_set(tmp_path / "f", fake_mnist_files(), compress=True)
    monkeypatch.setenv("FASHION_MNIST_DATA_DIR", str(tmp_path / "f"))
    assert find_data_dir(dataset=FASHION_MNIST) == tmp_path / "f"
    monkeypatch.setenv("FASHION_MNIST_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataError, match=r"Fashion-MNIST directory .*FASHION_MNIST_DATA_DIR"):
        find_data_dir(dataset=FASHION_MNIST)


def test_a_fake_fashion_set_is_refused_by_checksum_naming_the_dataset(tmp_path):
    write_set(tmp_path, fake_mnist_files(), compress=True)
    with pytest.raises(DataError, match="does not hold the real Fashion-MNIST"):
        load_dataset("fashion-mnist", tmp_path, download_missing=False)


def test_the_real_mnist_files_are_not_fashion_mnist(mnist, tmp_path):
    """MNIST's files named as Fashion-MNIST's folder: the checksums refuse them."""
    source = find_data_dir()
    for name in FILES.values():
        found = next(p for p in (source / name, source / f"{name}.gz") if p.exists())
        shutil.copy(found, tmp_path / found.name)
    with pytest.raises(DataError, match="Fashion-MNIST"):
        load_dataset("fashion-mnist", tmp_path, download_missing=False)


# --------------------------------------------------------------------------- the real files


def test_real_fashion_mnist_loads_through_the_same_loader(fashion):
    assert fashion.name == "fashion-mnist" and fashion.info is FASHION_MNIST
    assert fashion.pixels.shape == (70000, 784) and fashion.pixels.dtype == np.uint8
    assert fashion.n_train == 60000 and fashion.test_x.shape == (10000, 784)
    assert not fashion.pixels.flags.writeable
    counts = np.bincount(fashion.labels[:60000], minlength=10)
    assert counts.tolist() == [FASHION_TRAIN_COUNT_PER_CLASS] * 10
    assert np.bincount(fashion.test_y, minlength=10).tolist() == [1000] * 10
    assert fashion.class_names[fashion.test_y[0]] == "Ankle boot"  # the first test image, as Zalando lists it


def test_a_corrupted_copy_of_the_real_files_is_refused(fashion, tmp_path):
    """One byte changed in the decompressed test labels: the SHA-256 check names the file."""
    source = find_data_dir(dataset=FASHION_MNIST)
    for name in FILES.values():
        found = next(p for p in (source / name, source / f"{name}.gz") if p.exists())
        shutil.copy(found, tmp_path / found.name)
    name = FILES["test_labels"]
    target = next(p for p in (tmp_path / name, tmp_path / f"{name}.gz") if p.exists())
    content = bytearray(gzip.decompress(target.read_bytes()) if target.suffix == ".gz" else target.read_bytes())
    content[-1] = (content[-1] + 1) % 10  # still a valid label: only the checksum can tell
    target.unlink()
    (tmp_path / name).write_bytes(bytes(content))
    with pytest.raises(DataError, match=rf"{name}.*SHA-256"):
        load_dataset("fashion-mnist", tmp_path, download_missing=False)


def test_the_debian_folder_is_a_known_location(fashion, monkeypatch):
    if FASHION_MNIST.known_dir() is None:
        pytest.skip("Debian's dataset-fashion-mnist is not installed here")
    monkeypatch.delenv("FASHION_MNIST_DATA_DIR", raising=False)
    assert find_data_dir(dataset=FASHION_MNIST) == Path("/usr/share/datasets/fashion-mnist")


def test_fashion_downloads_use_its_own_cache_and_mirrors(tmp_path, monkeypatch):
    monkeypatch.setattr(data_files, "platformdirs", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_files.default_cache_dir(FASHION_MNIST) == tmp_path / "mnistcore" / "fashion-mnist"
    assert data_files.default_cache_dir() == tmp_path / "mnistcore" / "mnist"
    assert any("zalandoresearch/fashion-mnist" in url for url in FASHION_MNIST.mirrors)


# --------------------------------------------------------------------------- a model's dataset


def test_a_config_records_its_dataset_and_old_ones_mean_mnist():
    assert TrainConfig().dataset == "mnist"
    assert TrainConfig.from_dict({"hidden": [8]}).dataset == "mnist"  # a checkpoint from before
    assert TrainConfig.from_dict({"dataset": "fashion-mnist"}).to_dict()["dataset"] == "fashion-mnist"
    with pytest.raises(ValueError, match="dataset must be one of"):
        TrainConfig(dataset="cifar")


def test_a_model_is_never_trained_or_measured_on_the_other_dataset(mnist):
    config = TrainConfig(hidden=(8,), steps=5, dataset="fashion-mnist")
    with pytest.raises(DatasetMismatchError, match="for Fashion-MNIST but the data given is MNIST"):
        check_dataset(config, mnist)
    with pytest.raises(DatasetMismatchError):
        trainer_for(config, mnist)
    check_dataset(config.replace(dataset="mnist"), mnist)  # its own: no complaint


def test_cli_trains_on_fashion_and_evaluate_refuses_another_dataset(fashion, tmp_path, capsys):
    from mnistcore.engine.cli import main
    from mnistcore.engine.model import TrainedModel

    out = tmp_path / "f.npz"
    code = main(
        ["train", "--preset", "fast", "--dataset", "fashion-mnist", "--steps", "60", "--json", "--out", str(out)]
    )
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and report["config"]["dataset"] == "fashion-mnist"
    assert TrainedModel.load(out).config.dataset == "fashion-mnist"  # the checkpoint records it
    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["config"]["dataset"] == "fashion-mnist"
    assert main(["evaluate", str(out), "--dataset", "mnist"]) == 2
    assert "is a Fashion-MNIST model: it is not evaluated on MNIST" in capsys.readouterr().err


def test_fashion_fast_reaches_its_reported_accuracy(fashion):
    """The fashion-fast preset, run in full (2,750 steps, seconds), within 1 point of its note."""
    import re

    from mnistcore.engine.model import train
    from mnistcore.engine.presets import PRESET_NOTES, PRESETS

    reported = float(re.search(r"(\d+\.\d)% test accuracy", PRESET_NOTES["fashion-fast"]).group(1)) / 100
    model = train(PRESETS["fashion-fast"], fashion, name="fashion-fast")
    print(
        f"fashion-fast: {model.test_accuracy:.2%} test accuracy in {model.train_seconds:.1f} s "
        f"(reported {reported:.1%})"
    )
    assert model.config.dataset == "fashion-mnist"
    assert abs(model.test_accuracy - reported) <= 0.01


def test_cli_download_fetches_the_chosen_dataset(monkeypatch, tmp_path, capsys):
    from mnistcore.engine.cli import commands, main

    asked = []
    monkeypatch.setattr(
        commands.mnist_data, "download", lambda dest, progress, dataset=MNIST: asked.append(dataset) or Path(dest)
    )
    assert main(["download", "--dataset", "fashion-mnist", "--dir", str(tmp_path)]) == 0
    assert asked == [FASHION_MNIST] and "Fashion-MNIST is in" in capsys.readouterr().out


def test_an_old_checkpoint_without_a_dataset_is_an_mnist_model():
    """models/default.npz was saved before datasets were many: its config names none."""
    from mnistcore.engine.model import TrainedModel

    path = Path(__file__).resolve().parents[1] / "models" / "default.npz"
    with np.load(path) as archive:
        meta = json.loads(str(archive["meta"]))  # a 0-d unicode array holding the JSON
    assert "dataset" not in meta.get("config", {})
    assert TrainedModel.load(path).config.dataset == "mnist"


def test_share_links_carry_the_dataset_and_refuse_an_unknown_one():
    from mnistcore.engine.presets import PRESETS
    from mnistcore.server import share

    assert share.settings_to_params(PRESETS["fashion-fast"]) == {"preset": "fashion-fast"}
    params = share.settings_to_params(PRESETS["seed"].replace(dataset="fashion-mnist"))
    assert params == {"preset": "seed", "dataset": "fashion-mnist"}
    config, _, warnings = share.params_to_settings(params)
    assert config == PRESETS["seed"].replace(dataset="fashion-mnist") and not warnings
    config, _, warnings = share.params_to_settings({"preset": "fast", "dataset": "cifar-10"})
    assert config.dataset == "mnist" and "dataset" in warnings[0]
