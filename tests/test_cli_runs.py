"""The command line and the run store: ``train --save-run`` stores a run, ``runs`` lists it,
and a run id works where a model file does (``evaluate RUN_ID``); a bad id is one line."""

from __future__ import annotations

import json

from mnistcore.engine.runstore import RunStore, new_run_id
from tests.test_cli import real_data, run_main  # noqa: F401 - real_data is a fixture


def test_save_run_then_runs_then_evaluate_the_id(capsys, real_data):  # noqa: F811
    code, out, _ = run_main(capsys, "train", "--preset", "fast", "--steps", "40", "--save-run", "--json")
    assert code == 0
    trained = json.loads(out.strip().splitlines()[-1])
    run_id = trained["run_id"]
    assert RunStore.from_env().load(run_id).config.to_dict() == trained["config"]

    code, out, _ = run_main(capsys, "runs")
    assert code == 0 and run_id in out and "1 stored run" in out
    code, out, _ = run_main(capsys, "runs", "--json")
    (listed,) = json.loads(out)
    assert listed["id"] == run_id and listed["config"] == trained["config"]

    code, out, _ = run_main(capsys, "evaluate", run_id, "--json")
    assert code == 0
    evaluated = json.loads(out.strip().splitlines()[-1])
    assert evaluated["test_accuracy"] == trained["test_accuracy"]  # the very same network
    assert evaluated["model"] == f"run {run_id}"


def test_an_unknown_or_hostile_run_id_is_one_line(capsys):
    code, out, err = run_main(capsys, "evaluate", new_run_id())
    assert code == 2 and "no stored run" in err and len(err.strip().splitlines()) == 1
    # Never taken for a run id: read as a file path (which, from some folders, is /etc/passwd:
    # refused as no checkpoint) and refused in one line either way.
    code, out, err = run_main(capsys, "evaluate", "../../etc/passwd")
    assert code == 2 and "stored run" not in err and len(err.strip().splitlines()) == 1
    assert "no such model file" in err or "not a readable .npz checkpoint" in err


def test_runs_on_an_empty_store(capsys):
    code, out, _ = run_main(capsys, "runs")
    assert code == 0 and out.startswith("0 stored runs")
