"""Tests for the command line (mnistcore.engine.cli): in-process through ``main(argv)`` and, for
exit codes, Ctrl-C and the seed preset end to end, as a real ``python -m mnistcore``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mnistcore.engine import cli
from mnistcore.engine import data as mnist_data
from mnistcore.engine.cli import commands, parser
from mnistcore.engine.config import FIELDS, TrainConfig
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.presets import PRESET_NOTES, PRESETS

ROOT = Path(__file__).resolve().parents[1]
REPORT_KEYS = {
    "test_accuracy",
    "validation_accuracy",
    "steps",
    "epochs",
    "train_seconds",
    "samples_per_second",
    "diverged",
    "status",
    "config",
    "out",
}


@pytest.fixture
def real_data(mnist, monkeypatch):
    """Let in-process runs reuse the session's MNIST instead of loading it again."""
    monkeypatch.setattr(commands, "_load_data", lambda data_dir, dataset="mnist": mnist)
    return mnist


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def last_json(stdout: str) -> dict:
    lines = stdout.strip().splitlines()
    assert lines, "nothing on stdout"
    return json.loads(lines[-1])


def run_module(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mnistcore", *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


# ------------------------------------------------------------------ train


def test_train_json_is_the_only_and_last_line_of_stdout(capsys, real_data):
    code, out, err = run_main(capsys, "train", "--preset", "fast", "--steps", "30", "--eval-every", "10", "--json")
    assert code == 0
    assert len(out.strip().splitlines()) == 1  # the human summary went to stderr
    report = last_json(out)
    assert REPORT_KEYS <= report.keys()
    assert report["status"] == "finished" and report["diverged"] is False and report["out"] is None
    assert report["steps"] == 30 and report["epochs"] == pytest.approx(30 * 100 / 55_000)
    assert report["config"] == PRESETS["fast"].replace(steps=30, eval_every=10).to_dict()
    assert 0.3 < report["test_accuracy"] <= 1 and 0.3 < report["validation_accuracy"] <= 1
    assert report["train_seconds"] > 0 and report["samples_per_second"] > 0
    assert "status: finished" in err and "test accuracy:" in err


def test_every_hyperparameter_flag_overrides_the_preset(capsys, real_data):
    code, out, _ = run_main(
        capsys,
        "train", "--preset", "fast",
        "--hidden", "32", "16", "--activation", "tanh", "--loss", "mse", "--init", "xavier",
        "--optimizer", "adam", "--lr", "0.002", "--momentum", "0.5", "--weight-decay", "1e-4",
        "--schedule", "constant", "--batch-size", "50", "--steps", "20", "--augment", "--eval-every", "10",
        "--seed", "7", "--dtype", "float64", "--json",
    )  # fmt: skip
    assert code == 0
    expected = TrainConfig(
        hidden=(32, 16), activation="tanh", loss="mse", init="xavier", optimizer="adam", lr=0.002, momentum=0.5,
        weight_decay=1e-4, schedule="constant", batch_size=50, steps=20, augment=True, eval_every=10, seed=7,
        dtype="float64",
    )  # fmt: skip
    assert TrainConfig.from_dict(last_json(out)["config"]) == expected
    assert {name.replace("_", "-") for name in FIELDS} <= {
        opt.lstrip("-") for action in _train_parser()._actions for opt in action.option_strings
    }


def _train_parser():
    return parser.build_parser()._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]


def test_no_augment_flag_and_defaults_come_from_the_preset(capsys, real_data):
    code, out, _ = run_main(capsys, "train", "--preset", "fast", "--no-augment", "--steps", "5", "--json")
    assert code == 0
    assert last_json(out)["config"] == PRESETS["fast"].replace(steps=5, augment=False).to_dict()


def test_human_summary_without_json(capsys, real_data):
    code, out, err = run_main(capsys, "train", "--preset", "fast", "--steps", "20")
    assert code == 0
    assert "Finished 20 steps." in out and "status: finished" in out and "test accuracy:" in out
    assert "{" not in out
    assert "training 784-128-10" in err


def test_out_then_evaluate_reads_the_same_model_back(capsys, real_data, tmp_path):
    path = tmp_path / "model.npz"
    code, out, _ = run_main(capsys, "train", "--preset", "fast", "--steps", "60", "--out", str(path), "--json")
    trained = last_json(out)
    assert code == 0 and trained["out"] == str(path) and path.is_file()
    model = TrainedModel.load(path)
    assert model.config.to_dict() == trained["config"] and model.test_accuracy == trained["test_accuracy"]

    code, out, _ = run_main(capsys, "evaluate", str(path), "--json")
    evaluated = last_json(out)
    assert code == 0 and REPORT_KEYS <= evaluated.keys()
    for key in ("test_accuracy", "validation_accuracy", "steps", "status", "config", "train_seconds"):
        assert evaluated[key] == trained[key], key
    assert evaluated["diverged"] is False and evaluated["out"] is None
    assert evaluated["epochs"] == pytest.approx(trained["epochs"])

    code, out, _ = run_main(capsys, "evaluate", str(path))
    assert code == 0 and f"test accuracy: {100 * trained['test_accuracy']:.2f}%" in out


def test_out_is_written_to_exactly_the_path_given(capsys, real_data, tmp_path):
    path = tmp_path / "model.ckpt"  # np.savez alone would write model.ckpt.npz
    code, out, _ = run_main(capsys, "train", "--steps", "5", "--out", str(path))
    assert code == 0 and f"saved to {path}" in out
    assert [p.name for p in tmp_path.iterdir()] == ["model.ckpt"]
    assert TrainedModel.load(path).config.steps == 5


@pytest.mark.parametrize(
    ("flags", "name"),
    [([], "fast"), (["--steps", "5"], "fast (custom)"), (["--steps", "5", "--name", "my model"], "my model")],
)
def test_the_saved_model_is_named_after_its_preset_or_the_name_flag(capsys, real_data, tmp_path, flags, name):
    path = tmp_path / "model.npz"
    args = ["train", "--preset", "fast", *(flags or ["--max-seconds", "0.5"]), "--out", str(path)]
    code, _, _ = run_main(capsys, *args)
    assert code == 0 and TrainedModel.load(path).name == name


def test_diverging_run_exits_1_with_advice_and_saves_nothing(capsys, real_data, tmp_path):
    path = tmp_path / "diverged.npz"
    code, out, err = run_main(
        capsys, "train", "--activation", "relu", "--loss", "cross-entropy", "--hidden", "64", "64", "64",
        "--lr", "10", "--steps", "500", "--json", "--out", str(path),
    )  # fmt: skip
    assert code == 1
    report = last_json(out)
    assert report["diverged"] is True and report["status"] == "diverged"
    assert report["test_accuracy"] is None and report["validation_accuracy"] is None and report["out"] is None
    assert not path.exists()
    last_line = err.strip().splitlines()[-1]
    assert last_line.startswith("mnistcore: diverged at step ") and "try a smaller learning rate than 10" in last_line
    assert "Traceback" not in err


def test_max_seconds_stops_the_run_and_still_reports(capsys, real_data):
    code, out, _ = run_main(capsys, "train", "--steps", "10000000", "--max-seconds", "0.3", "--json")
    report = last_json(out)
    assert code == 0 and report["status"] == "stopped" and 0 < report["steps"] < 10_000_000
    assert "time limit of 0.3 s" in report["message"] and report["test_accuracy"] is not None


# ------------------------------------------------------------------ errors: exit 2, one line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["fly"], "invalid choice: 'fly'"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["train", "--hid", "3"], "unrecognized arguments: --hid"),  # no silent abbreviations
        (["train", "--lr", "-1"], "lr must be in (0, 10], got -1.0"),
        (["train", "--lr", "fast"], "lr must be in (0, 10], got 'fast'"),
        (["train", "--lr", "nan"], "lr must be a finite number in (0, 10], got nan"),
        (["train", "--activation", "foo"], "argument --activation: invalid choice: 'foo'"),
        (["train", "--preset", "huge"], "argument --preset: invalid choice: 'huge'"),
        (["train", "--hidden", "0"], "hidden layer sizes must be in [1, 4096], got 0"),
        (["train", "--hidden", "8", "8", "8", "8", "8"], "hidden must be 1 to 4 whole numbers"),
        (["train", "--hidden"], "argument --hidden: expected at least one argument"),
        (["train", "--batch-size", "55001"], "batch_size must be in [1, 55000], got 55001"),
        (["train", "--steps", "10", "--epochs", "1"], "set exactly one of steps or epochs"),
        (["train", "--augment", "yes"], "unrecognized arguments: yes"),
        (["train", "--max-seconds", "-5"], "argument --max-seconds: must be a positive number of seconds"),
        (["train", "--steps", "1", "--out", "{tmp}/no/such/dir/model.npz"], "the directory {tmp}/no/such/dir does not"),
        (["train", "--steps", "1", "--data-dir", "{tmp}"], "MNIST directory {tmp} (given as data_dir) is missing"),
        (["evaluate"], "the following arguments are required: MODEL"),
        (["evaluate", "{tmp}/missing.npz"], "no such model file: {tmp}/missing.npz"),
        (["evaluate", "{tmp}"], "{tmp} is a directory, not a model file"),
        (["train", "--hidden", "2048", "--out", "{tmp}/m.npz"], "the network has 1,628,170 weights and biases"),
        (["train", "--preset", "moonshot", "--dtype", "float64", "--out", "{tmp}/m.npz"], "would hold about 75 MB"),
        (["evaluate", "{tmp}/corrupt.npz"], "not a readable .npz checkpoint: it is not a NumPy .npz archive"),
        (["evaluate", "{tmp}/truncated.npz"], "not a readable .npz checkpoint"),
        (["evaluate", "{tmp}/array.npy"], "expected an .npz archive of named arrays, got a single array"),
        (["download", "--dir", "{tmp}/a-file"], "cannot create MNIST directory {tmp}/a-file"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(capsys, tmp_path, argv, expected):
    (tmp_path / "corrupt.npz").write_bytes(b"this is not a checkpoint\n" * 10)
    (tmp_path / "truncated.npz").write_bytes(_tiny_checkpoint()[:500])
    np.save(tmp_path / "array.npy", np.zeros((784, 16)))
    (tmp_path / "a-file").write_text("not a directory")
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("mnistcore: error: "), err
    assert expected.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err


def _tiny_checkpoint() -> bytes:
    from mnistcore.engine.network import MLP

    config = TrainConfig(hidden=(4,))
    return TrainedModel(MLP.create(config.layer_sizes, rng=np.random.default_rng(0)), config).to_bytes()


def test_help_lists_every_setting_with_its_help_text(capsys):
    code, out, _ = run_main(capsys, "train", "--help")
    assert code == 0
    flat = " ".join(out.split())
    for name, field in FIELDS.items():
        assert parser.flag_name(name) in out
        assert " ".join(field.help.split()[:6]) in flat, name
    assert "--no-augment" in out and "{sigmoid,tanh,relu}" in out
    code, out, _ = run_main(capsys, "--help")
    assert code == 0 and all(command in out for command in ("download", "train", "evaluate", "presets"))


# ------------------------------------------------------------------ presets and download


def test_presets_lists_each_with_flags_that_reproduce_it(capsys):
    code, out, _ = run_main(capsys, "presets")
    assert code == 0
    lines = out.splitlines()
    for name, config in PRESETS.items():
        header = lines.index(f"{name}: {PRESET_NOTES[name]}")
        flags = lines[header + 1].split()
        args = _train_parser().parse_args(["--preset", "seed" if name != "seed" else "fast", *flags])
        assert parser.config_from_args(args) == config, name

    code, out, _ = run_main(capsys, "presets", "--json")
    listed = json.loads(out)
    assert set(listed) == set(PRESETS)
    for name, settings in listed.items():
        assert settings.pop("note") == PRESET_NOTES[name]
        assert TrainConfig.from_dict(settings) == PRESETS[name]


def test_download_into_a_directory_that_already_holds_mnist_verifies_without_network(capsys, mnist, tmp_path):
    source = mnist_data.find_data_dir()
    for path in source.iterdir():
        if "ubyte" in path.name:
            shutil.copy(path, tmp_path / path.name)
    code, out, _ = run_main(capsys, "download", "--dir", str(tmp_path))
    assert code == 0 and out.strip() == f"MNIST is in {tmp_path} (all four files verified)"


def test_download_reports_byte_progress_per_file(capsys, monkeypatch, tmp_path):
    calls = []

    def fake_download(dest_dir, progress):
        for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
            for done in (0, 400, 1000):
                progress(name, done, 1000)
                calls.append((name, done))
        progress("train-labels-idx1-ubyte", 0, 1000)  # a retry on the next mirror starts over
        return Path(dest_dir)

    monkeypatch.setattr(commands.mnist_data, "download", fake_download)
    code, out, _ = run_main(capsys, "download", "--dir", str(tmp_path))
    assert code == 0 and str(tmp_path) in out and len(calls) == 6


# ------------------------------------------------------------------ as a real process


def test_module_entry_point_exit_codes(mnist):
    ok = run_module("train", "--preset", "fast", "--steps", "50", "--json")
    assert ok.returncode == 0, ok.stderr
    assert last_json(ok.stdout)["steps"] == 50 and "Traceback" not in ok.stderr

    bad = run_module("train", "--lr", "-1")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == "mnistcore: error: lr must be in (0, 10], got -1.0\n"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery to a child differs on Windows")
def test_ctrl_c_stops_training_cleanly_and_still_saves(mnist, tmp_path):
    path = tmp_path / "interrupted.npz"
    process = subprocess.Popen(
        [sys.executable, "-m", "mnistcore", "train", "--steps", "10000000", "--json", "--out", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stderr.readline()
        assert line.startswith("training "), line
        time.sleep(0.5)  # some steps
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    report = last_json(out)
    assert report["status"] == "stopped" and report["steps"] > 0 and report["out"] == str(path)
    model = TrainedModel.load(path)
    assert model.status == "stopped" and model.test_accuracy == report["test_accuracy"]


@pytest.mark.slow
def test_seed_preset_from_the_command_line_reaches_the_notebooks_accuracy(mnist):
    result = run_module("train", "--preset", "seed", "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["status"] == "finished" and report["steps"] == 20_000
    assert 0.83 <= report["test_accuracy"] <= 0.88, report["test_accuracy"]
