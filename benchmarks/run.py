"""The benchmark suite: one command, side-by-side ratios, a JSON and a Markdown report.

    python -m benchmarks.run            # the full suite: about 4 minutes on an idle 2-core machine
    python -m benchmarks.run --quick    # a smoke run in seconds (CI): checks the suite works
    python -m benchmarks.run --moonshot # also trains the long 'moonshot' preset (minutes more)
    python -m benchmarks.run --only throughput memory       # some sections only
    python -m benchmarks.run --torch-python VENV/bin/python # PyTorch from another environment

Sections (each measured in fresh worker processes, see ``measure.py``):

1. ``seed_vs_notebook``: the ``seed`` preset through the CLI against the origin notebook's
   own code (``../shared/bench/seed_reference.py``), alternated in pairs: time and accuracy.
2. ``throughput``: training samples/s of the engine at H = 16, 128, 800 against the
   project's minimal NumPy loop (contiguous batches, and shuffled batches as the engine
   does) and, where torch imports, PyTorch on the CPU. Same work: 784-H-10, ReLU,
   softmax + cross-entropy, SGD, batch 100, float32. Then again with one BLAS thread for
   every contender, which a busy neighbour process cannot stall.
3. ``time_to_accuracy``: training seconds until the presets reach 85/95/97/98/99% test
   accuracy (settings chosen on the validation split; the test set is only reported).
4. ``memory``: resident memory with MNIST loaded, and its peak while a preset trains.
5. ``eval_overhead``: samples/s with validation every 500 steps (the default reporting
   interval) against effectively never, and the cost of the final 10k test evaluation.
6. ``health_overhead``: samples/s with the training-health records on and off, alternated
   (target: under 3% slower), and the share of training time spent measuring them.
7. ``environment`` and ``load_time``: which BLAS kernel and how many threads, the load
   average (a busy machine shows there), and the seconds to load MNIST.
7. ``value_speed`` (issue #17): samples/s at 784-800-10 from the seed's uniform init against
   He init, everything else equal, for ReLU/softmax/SGD, sigmoid/MSE/SGD and ReLU/Adam.
8. ``seed_vs_floor`` (issue #17): the ``seed`` preset through the CLI against the NumPy floor
   (``../shared/bench/seed_floor.py``: the same array work on pre-made batches), in pairs.
   ``BENCH_SHARED_DIR`` names another place for ``shared/`` (e.g. from a git worktree).

The report goes to ``benchmarks/results/latest.json`` and ``latest.md`` (``--quick``:
``quick.json``/``quick.md``); full runs also append a summary line to ``history.jsonl``.
The moonshot's result is kept in ``moonshot.json`` and shown, marked, by later runs.
Deliberate limits: it measures and reports; thresholds are listed as targets, never
asserted. Timings on a shared machine drift: read the per-pair ratios, not bare times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED_DIR", ROOT.parent / "shared"))  # the notebook shim and the floor script
RESULTS = ROOT / "benchmarks" / "results"
ACCURACY_LEVELS = (0.85, 0.95, 0.97, 0.98, 0.99)
TORCH_TARGETS = {16: 2.0, 128: 1.7, 800: 1.0}  # engine / PyTorch CPU, from the issue


@dataclass(frozen=True)
class Plan:
    """How much of everything to run: the full suite, or a quick smoke run."""

    seed_pairs: int = 3
    seed_steps: int = 20_000
    throughput: dict[int, tuple[int, int]] = field(  # H -> (steps per timing, rounds): many short rounds
        default_factory=lambda: {16: (1100, 11), 128: (550, 9), 800: (275, 7)}
    )
    torch_pairs: int = 3
    curves: tuple[tuple[str, float, int | None], ...] = (  # preset, look every s, steps
        ("seed", 0.2, None),
        ("seed-arch", 0.2, None),
        ("fast", 0.1, None),
        ("sprint", 1.0, None),
        ("best", 2.0, None),
    )
    memory: tuple[tuple[str, int], ...] = (("seed", 2000), ("best", 300))
    eval_overhead: tuple[tuple[str, int, int], ...] = (("seed", 2500, 5), ("fast", 1500, 5), ("best", 1000, 3))
    health_overhead: tuple[tuple[str, int, int], ...] = (
        ("seed", 2000, 7),
        ("fast", 1500, 7),
        ("deep-sigmoid", 1000, 7),
    )
    load_runs: int = 3
    value_speed: tuple[int, int, int] = (800, 550, 3)  # hidden, steps (an epoch), rounds
    floor_pairs: int = 3
    quick: bool = False


QUICK = Plan(
    quick=True,
    seed_pairs=1,
    seed_steps=300,
    throughput={16: (200, 2)},
    torch_pairs=1,
    curves=(("fast", 0.05, 200),),
    memory=(("fast", 100),),
    eval_overhead=(("seed", 500, 1),),
    health_overhead=(("seed", 300, 1),),
    load_runs=1,
    value_speed=(64, 50, 1),
    floor_pairs=1,
)


# ------------------------------------------------------------------------ workers
def worker(
    task: str, python: str | None = None, env: dict[str, str] | None = None, timeout: float = 1800, **arguments: Any
) -> dict[str, Any]:
    """Run one ``benchmarks.measure`` task in a fresh process and return its JSON result."""
    command = [python or sys.executable, "-m", "benchmarks.measure", task, json.dumps(arguments)]
    environment = {**os.environ, **(env or {})}
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{task} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratios(a: list[float], b: list[float]) -> dict[str, Any]:
    """Per-pair ratios a/b summarised: their median, and the best of a over the best of b."""
    pairs = [x / y for x, y in zip(a, b)]
    return {"median": statistics.median(pairs), "best_over_best": max(a) / max(b), "pairs": pairs}


# ---------------------------------------------------------------- 1. seed vs notebook
def _engine_seed_run(steps: int) -> dict[str, float]:
    command = [sys.executable, "-m", "mnistcore", "train", "--preset", "seed", "--steps", str(steps), "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"the engine's seed run failed: {done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {"train_seconds": report["train_seconds"], "test_accuracy": report["test_accuracy"]}


def _notebook_run(script: Path, data_dir: Path, steps: int) -> dict[str, float]:
    command = [sys.executable, str(script), str(data_dir), str(steps), "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    found = re.search(r"train_seconds=([\d.]+) .*test10k=([\d.]+)", done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the notebook's code failed: {done.stderr.strip()[-2000:]}")
    return {"train_seconds": float(found[1]), "test_accuracy": float(found[2])}


def seed_vs_notebook(plan: Plan) -> dict[str, Any]:
    """The seed preset (via the CLI, as users run it) against the notebook's code, in pairs."""
    script = SHARED / "bench" / "seed_reference.py"
    data_dir = _gzip_data_dir()
    if not script.exists() or data_dir is None:
        return {"skipped": f"needs {script} and the gzip MNIST files (MNIST_DATA_DIR) beside the project"}
    runs: dict[str, list[dict[str, float]]] = {"engine": [], "notebook": []}
    for pair in range(plan.seed_pairs):
        order = ("engine", "notebook") if pair % 2 == 0 else ("notebook", "engine")
        for side in order:
            run = (
                _engine_seed_run(plan.seed_steps)
                if side == "engine"
                else _notebook_run(script, data_dir, plan.seed_steps)
            )
            runs[side].append(run)
    engine_s = [r["train_seconds"] for r in runs["engine"]]
    notebook_s = [r["train_seconds"] for r in runs["notebook"]]
    pairs = [e / n for e, n in zip(engine_s, notebook_s)]
    return {
        "steps": plan.seed_steps,
        "runs": runs,
        "time_ratio": {
            "median": statistics.median(pairs),
            "best_over_best": min(engine_s) / min(notebook_s),
            "pairs": pairs,
        },
        "engine_test_accuracy": runs["engine"][0]["test_accuracy"],
        "notebook_test_accuracy": statistics.median(r["test_accuracy"] for r in runs["notebook"]),
    }


# ------------------------------------------------------- 7, 8. issue #17: values, floor
def value_speed(plan: Plan) -> dict[str, Any]:
    hidden, steps, rounds = plan.value_speed
    return worker("value_speed", hidden=hidden, steps=steps, rounds=rounds)


def _floor_run(script: Path, steps: int) -> float:
    done = subprocess.run([sys.executable, str(script), str(steps)], capture_output=True, text=True, timeout=1800)
    found = re.search(r"floor_seconds=([\d.]+)", done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the floor script failed: {done.stderr.strip()[-2000:]}")
    return float(found[1])


def seed_vs_floor(plan: Plan) -> dict[str, Any]:
    """The seed preset's training seconds (via the CLI) against the floor's, alternated in pairs."""
    script = SHARED / "bench" / "seed_floor.py"
    if not script.exists():
        return {"skipped": f"needs {script} beside the project"}
    engine: list[dict[str, float]] = []
    floor: list[float] = []
    for pair in range(plan.floor_pairs):
        for side in ("engine", "floor") if pair % 2 == 0 else ("floor", "engine"):
            if side == "engine":
                engine.append(_engine_seed_run(plan.seed_steps))
            else:
                floor.append(_floor_run(script, plan.seed_steps))
    engine_s = [r["train_seconds"] for r in engine]
    return {
        "steps": plan.seed_steps,
        "engine_seconds": engine_s,
        "floor_seconds": floor,
        "time_ratio": {**_ratios(engine_s, floor), "best_over_best": min(engine_s) / min(floor)},
        "engine_test_accuracy": [r["test_accuracy"] for r in engine],
        # Many short rounds, best of each: the floor's and the preset's figures are their best runs too.
        "step_parts": worker("seed_step_parts", steps=max(plan.seed_steps // 20, 10), rounds=plan.floor_pairs * 5),
    }


def _gzip_data_dir() -> Path | None:
    """The MNIST directory if it holds the .gz files the notebook shim reads."""
    from mnistcore.engine.data import find_data_dir

    directory = find_data_dir()
    if directory is None or not (directory / "train-images-idx3-ubyte.gz").exists():
        return None
    return directory


# -------------------------------------------------------------------- 2. throughput
def throughput(plan: Plan, torch_python: str | None) -> dict[str, Any]:
    """With the BLAS's own thread count (the targets), and again with one BLAS thread for
    every contender: one thread is immune to a busy neighbour stalling a second thread."""
    rows, single = {}, {}
    for hidden, (steps, rounds) in plan.throughput.items():
        rows[str(hidden)] = _throughput_row(hidden, steps, rounds, None)
        rows[str(hidden)]["torch"] = _torch_pairs(hidden, steps, plan.torch_pairs, torch_python)
        single[str(hidden)] = _throughput_row(hidden, steps, max(1, rounds // 2), {"OPENBLAS_NUM_THREADS": "1"})
    return {"batch": 100, "by_hidden": rows, "one_blas_thread": single}


def _throughput_row(hidden: int, steps: int, rounds: int, env: dict[str, str] | None) -> dict[str, Any]:
    rates = worker("throughput", env=env, hidden=hidden, steps=steps, rounds=rounds)["samples_per_second"]
    return {
        "steps": steps,
        "samples_per_second": {name: max(values) for name, values in rates.items()},
        "rounds": rates,
        "engine_over_numpy_contiguous": _ratios(rates["engine"], rates["numpy_contiguous"]),
        "engine_over_numpy_shuffled": _ratios(rates["engine"], rates["numpy_shuffled"]),
    }


def _torch_pairs(hidden: int, steps: int, pairs: int, python: str | None) -> dict[str, Any]:
    """Engine and PyTorch in alternating fresh processes (one library's threads never meet the other's)."""
    probe = worker("torch_throughput", python=python, hidden=hidden, steps=1, rounds=1)
    if "skipped" in probe:
        return probe
    engine, torch_rates = [], []
    for _ in range(pairs):
        measured = worker("throughput", hidden=hidden, steps=steps, rounds=1, only=["engine"])
        engine.append(measured["samples_per_second"]["engine"][0])
        measured = worker("torch_throughput", python=python, hidden=hidden, steps=steps, rounds=1)
        torch_rates.append(measured["samples_per_second"][0])
    return {
        "torch": measured["torch"],
        "threads": measured["threads"],
        "samples_per_second": max(torch_rates),
        "engine_over_torch": _ratios(engine, torch_rates),
    }


# -------------------------------------------------------------- 3. time to accuracy
def time_to_accuracy(plan: Plan, moonshot: bool, out: Path) -> dict[str, Any]:
    """Each preset's curve. The long moonshot runs only with --moonshot; its result is kept in
    ``moonshot.json`` and shown, marked as such, by the runs without it."""
    curves = list(plan.curves) + ([("moonshot", 20.0, None)] if moonshot else [])
    result = {}
    for preset, look_every, steps in curves:
        arguments: dict[str, Any] = {"preset": preset, "test_every": look_every}
        if steps is not None:
            arguments["steps"] = steps
        measured = worker("curve", **arguments)
        measured["seconds_to"] = {
            f"{level:.0%}": next((s for s, _, acc in measured["points"] if acc >= level), None)
            for level in ACCURACY_LEVELS
        }
        result[preset] = measured
    kept = out / "moonshot.json"
    if moonshot:
        result["moonshot"]["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["moonshot"]["load_average"] = list(os.getloadavg())
        kept.write_text(json.dumps(result["moonshot"], indent=1) + "\n")
    elif kept.exists() and not plan.quick:
        shown = kept.relative_to(ROOT) if kept.is_relative_to(ROOT) else kept
        result["moonshot"] = {**json.loads(kept.read_text()), "from_file": str(shown)}
    return result


# ----------------------------------------------------------- 4, 5, 6: the smaller ones
def memory(plan: Plan) -> dict[str, Any]:
    return {preset: worker("memory", preset=preset, steps=steps) for preset, steps in plan.memory}


def eval_overhead(plan: Plan) -> dict[str, Any]:
    result = {}
    for preset, steps, rounds in plan.eval_overhead:
        measured = worker("eval_overhead", preset=preset, steps=steps, rounds=rounds)
        rates = measured["samples_per_second"]
        measured["slowdown"] = 1.0 - _ratios(rates["periodic"], rates["never"])["median"]
        full_run_seconds = measured["full_run_samples"] / max(rates["never"])
        measured["test_eval_share_of_full_run"] = measured["test_eval_seconds"] / full_run_seconds
        result[preset] = measured
    return result


def health_overhead(plan: Plan) -> dict[str, Any]:
    result = {}
    for preset, steps, rounds in plan.health_overhead:
        measured = worker("health_overhead", preset=preset, steps=steps, rounds=rounds)
        rates = measured["samples_per_second"]
        ratios = _ratios(rates["on"], rates["off"])
        # The best of each side: a busy machine's bursts slow single rounds, not the fastest one.
        measured["slowdown"] = 1.0 - ratios["best_over_best"]
        measured["slowdown_median_of_pairs"] = 1.0 - ratios["median"]
        result[preset] = measured
    return result


def load_time(plan: Plan) -> dict[str, Any]:
    seconds = [worker("load_time")["seconds"] for _ in range(plan.load_runs)]
    return {"seconds": seconds, "best": min(seconds), "median": statistics.median(seconds)}


def environment() -> dict[str, Any]:
    return worker("environment")


# ------------------------------------------------------------------------ targets
def _target(name: str, value: float | None, goal: str, met: bool | None, note: str = "") -> dict[str, Any]:
    return {"name": name, "value": value, "goal": goal, "met": met, "note": note}


def targets(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issues that this run measured, with its value and verdict."""
    found: list[dict[str, Any]] = []
    seed = sections.get("seed_vs_notebook", {})
    if "time_ratio" in seed:
        ratio, pairs = seed["time_ratio"]["median"], seed["time_ratio"]["pairs"]
        note = f"median of pairs {', '.join(f'{p:.2f}' for p in pairs)}"
        found.append(_target("seed preset time / notebook code time", ratio, "<= 0.25", ratio <= 0.25, note))
        gap = 100 * (seed["engine_test_accuracy"] - seed["notebook_test_accuracy"])
        found.append(_target("seed preset test accuracy - notebook's (points)", gap, "within ±2", abs(gap) <= 2))
    for hidden, row in sections.get("throughput", {}).get("by_hidden", {}).items():
        for kind, label in (("contiguous", "minimal loop"), ("shuffled", "minimal loop, shuffled (same work)")):
            ratio = row[f"engine_over_numpy_{kind}"]["median"]
            found.append(_target(f"engine / {label}, H={hidden}", ratio, ">= 0.9", ratio >= 0.9))
        if "engine_over_torch" in row["torch"]:
            goal = TORCH_TARGETS.get(int(hidden), 1.0)
            ratio = row["torch"]["engine_over_torch"]["median"]
            found.append(_target(f"engine / PyTorch CPU, H={hidden}", ratio, f">= {goal}", ratio >= goal))
    found += _accuracy_targets(sections.get("time_to_accuracy", {}))
    for preset, row in sections.get("eval_overhead", {}).items():
        found.append(
            _target(
                f"slowdown from validation every {row['eval_every']} steps, {preset}",
                row["slowdown"],
                "<= 5%",
                row["slowdown"] <= 0.05,
            )
        )
        share = row["test_eval_share_of_full_run"]
        found.append(_target(f"10k test evaluation / training time, {preset}", share, "<= 5%", share <= 0.05))
    found += _issue17_targets(sections)
    for preset, row in sections.get("health_overhead", {}).items():
        if "slowdown" not in row:
            continue
        note = f"best vs best; median of pairs {100 * row['slowdown_median_of_pairs']:.1f}%; {row['records']} records"
        note += f" in {row['steps']} steps took {100 * row['measuring_share']:.2f}% of training time, timed in the run"
        name = f"slowdown from recording training health, {preset}"
        found.append(_target(name, row["slowdown"], "<= 3%", row["slowdown"] <= 0.03, note))
        cost = row["cost_at_fastest_pace"]
        note = f"one record = {row['record_over_step']:.2f} of a step, at most one every {row['min_gap']} steps"
        name = f"health records' cost at their fastest pace (least of repeated timings), {preset}"
        found.append(_target(name, cost, "<= 3%", cost <= 0.03, note))
    if "best" in sections.get("load_time", {}):
        best = sections["load_time"]["best"]
        found.append(_target("MNIST load seconds", best, "< 2", best < 2))
    return found


SEED_TEST_ACCURACY = 0.8758  # the seed preset's test accuracy before #17: its results must not change
SPRINT_SECONDS = 20.0  # the sprint preset's goal: 99% test accuracy within this much training


def _shuffled_over_contiguous(throughput: dict[str, Any], hidden: int) -> float | None:
    """How much longer the minimal NumPy loop takes with shuffled batches than with contiguous
    slices (median of its alternated rounds): the price of a shuffled batch with no framework
    around it, which a floor on pre-made batches leaves out."""
    rounds = throughput.get("by_hidden", {}).get(str(hidden), {}).get("rounds", {})
    contiguous, shuffled = rounds.get("numpy_contiguous"), rounds.get("numpy_shuffled")
    if not contiguous or not shuffled:
        return None
    return statistics.median(c / s for c, s in zip(contiguous, shuffled))  # samples/s: contiguous is faster


def _issue17_targets(sections: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    cases = sections.get("value_speed", {}).get("cases", {})
    if cases:
        worst_case, worst = min(((name, c["uniform_over_he"]) for name, c in cases.items()), key=lambda nc: nc[1])
        note = "; ".join(f"{name}: {c['uniform_over_he']:.2f}" for name, c in cases.items())
        found.append(_target("uniform init / He init samples/s, worst case", worst, ">= 0.85", worst >= 0.85, note))
    floor = sections.get("seed_vs_floor", {})
    if "time_ratio" in floor:
        ratio, pairs = floor["time_ratio"]["median"], floor["time_ratio"]["pairs"]
        same = all(a == SEED_TEST_ACCURACY for a in floor["engine_test_accuracy"]) if floor["steps"] == 20_000 else None
        note = (
            f"median of pairs {', '.join(f'{p:.2f}' for p in pairs)}; test accuracy {floor['engine_test_accuracy'][0]}"
        )
        parts = floor.get("step_parts", {}).get("microseconds")
        if parts:
            step_ratio = parts["train_step on a ready batch"] / _per_step_us(floor, floor["floor_seconds"])
            note += (
                f"; its train_step on a ready batch {step_ratio:.2f}x the floor's step,"
                f" its shuffled batch {parts['shuffled batch']:.1f} µs a step more"
            )
        shuffle_cost = _shuffled_over_contiguous(sections.get("throughput", {}), hidden=16)
        if shuffle_cost is not None:
            note += f"; section 2's bare NumPy loop takes {shuffle_cost:.2f}x as long with shuffled batches at H=16"
        found.append(_target("seed preset time / NumPy floor time", ratio, "<= 1.3", ratio <= 1.3, note))
        found.append(
            _target("seed preset test accuracy unchanged (0.8758)", floor["engine_test_accuracy"][0], "= 0.8758", same)
        )
    curves = sections.get("time_to_accuracy", {})
    if "sprint" in curves and "99%" in curves["sprint"].get("seconds_to", {}):
        seconds = curves["sprint"]["seconds_to"]["99%"]
        best = curves.get("best", {}).get("seconds_to", {}).get("99%")
        note = f"test accuracy at the end {curves['sprint']['test_accuracy']:.4f}"
        if seconds is not None and best is not None:
            note += f"; best reached 99% after {best:.1f} s in the same run ({seconds / best:.2f}x)"
        met = seconds is not None and seconds <= SPRINT_SECONDS
        found.append(
            _target("sprint preset seconds to 99% test accuracy", seconds, f"<= {SPRINT_SECONDS:g}", met, note)
        )
    return found


def _accuracy_targets(curves: dict[str, Any]) -> list[dict[str, Any]]:
    goals = {"seed-arch": 0.955, "fast": 0.97, "best": 0.985, "moonshot": 0.99}
    found = []
    for preset, goal in goals.items():
        if preset not in curves:
            continue
        row = curves[preset]
        accuracy = row["test_accuracy"]
        note = f"{row['train_seconds']:.1f} s of training"
        if "from_file" in row:
            note += f", measured {row['measured_at']} (load {row['load_average'][0]:.1f}), kept in {row['from_file']}"
        found.append(_target(f"{preset} preset test accuracy", accuracy, f">= {goal:.1%}", accuracy >= goal, note))
        if preset == "best":
            seconds = row["train_seconds"]
            found.append(_target("best preset training seconds", seconds, "<= 60", seconds <= 60))
    return found


# ------------------------------------------------------------------------ report
def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_fmt(cell) for cell in row) + " |" for row in rows]


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: targets first, then each section's figures."""
    meta, sections = report["meta"], report["sections"]
    lines = [f"# Benchmark report{' (quick smoke run: not a measurement)' if meta['quick'] else ''}", ""]
    lines += [
        f"{meta['date']}, commit {meta['commit']}, {meta['wall_seconds']:.0f} s wall, "
        f"load average {meta['load_before']} before / {meta['load_after']} after.",
        "",
    ]
    if meta.get("note"):
        lines += [meta["note"], ""]
    if meta.get("section_load_1min"):
        per_section = ", ".join(f"{name} {a}→{b}" for name, (a, b) in meta["section_load_1min"].items())
        lines += [
            f"1-minute load average per section (2 cores; above ~1 the figures are disturbed): {per_section}.",
            "",
        ]
    env = sections.get("environment", {})
    if "blas" in env:
        lines += [
            f"CPU: {env['cpu_model']} ({env['cpu_count']} cores); numpy {env['numpy']}; BLAS: "
            + "; ".join(
                f"{b['internal_api']} {b['version']} kernel {b['architecture']}, {b['num_threads']} threads"
                for b in env["blas"]
            )
            + f"; environment {env['env'] or '{}'}.",
            "",
        ]
    lines += ["## Targets", ""]
    lines += _table(
        ["target", "value", "goal", "met", "note"],
        [
            [t["name"], t["value"], t["goal"], {True: "yes", False: "NO", None: "-"}[t["met"]], t["note"]]
            for t in report["targets"]
        ],
    )
    lines += _section_lines(sections)
    return "\n".join(lines) + "\n"


def _section_lines(sections: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    seed = sections.get("seed_vs_notebook", {})
    if seed:
        lines += ["", "## 1. Seed preset vs the notebook's code", ""]
        if "skipped" in seed or "error" in seed:
            lines.append(seed.get("skipped") or seed["error"])
        else:
            rows = [
                [i + 1, e["train_seconds"], n["train_seconds"], r, e["test_accuracy"], n["test_accuracy"]]
                for i, (e, n, r) in enumerate(
                    zip(seed["runs"]["engine"], seed["runs"]["notebook"], seed["time_ratio"]["pairs"])
                )
            ]
            lines += _table(["pair", "engine s", "notebook s", "ratio", "engine test acc", "notebook test acc"], rows)
    speed = sections.get("throughput", {})
    if "by_hidden" in speed:
        lines += ["", "## 2. Training throughput (samples/s, best round; ratios: median of rounds)", ""]
        lines += _throughput_table(speed["by_hidden"], with_torch=True)
        lines += ["", "With one BLAS thread for every contender (OPENBLAS_NUM_THREADS=1):", ""]
        lines += _throughput_table(speed["one_blas_thread"], with_torch=False)
    curves = sections.get("time_to_accuracy", {})
    if curves and "error" not in curves:
        lines += ["", "## 3. Training seconds to reach a test accuracy", ""]
        rows = [
            [
                p,
                c["test_accuracy"],
                c["validation_accuracy"],
                c["train_seconds"],
                c["epochs"],
                *c["seconds_to"].values(),
            ]
            for p, c in curves.items()
        ]
        lines += _table(
            ["preset", "test acc", "val acc", "train s", "epochs", *(f"s to {level:.0%}" for level in ACCURACY_LEVELS)],
            rows,
        )
    lines += _small_sections(sections)
    lines += _issue17_sections(sections)
    return lines


def _issue17_sections(sections: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    values = sections.get("value_speed", {})
    if values.get("cases"):
        shape = f"784-{values['hidden']}-10"
        lines += ["", f"## 7. Speed from uniform vs He init ({shape}, batch 100, {values['steps']} steps a round)", ""]
        rows = [
            [name, max(c["samples_per_second"]["he"]), max(c["samples_per_second"]["uniform"]), c["uniform_over_he"]]
            for name, c in values["cases"].items()
        ]
        lines += _table(["activation/loss/optimizer", "He samples/s", "uniform samples/s", "uniform/He (median)"], rows)
    floor = sections.get("seed_vs_floor", {})
    if floor:
        lines += ["", "## 8. Seed preset vs the NumPy floor (training seconds)", ""]
        if "skipped" in floor or "error" in floor:
            lines.append(floor.get("skipped") or floor["error"])
        else:
            rows = [
                [i + 1, e, f, r, a]
                for i, (e, f, r, a) in enumerate(
                    zip(
                        floor["engine_seconds"],
                        floor["floor_seconds"],
                        floor["time_ratio"]["pairs"],
                        floor["engine_test_accuracy"],
                    )
                )
            ]
            lines += _table(["pair", "seed preset s", "floor s", "ratio", "seed test acc"], rows)
            lines += _step_parts_lines(floor)
    return lines


def _per_step_us(floor: dict[str, Any], seconds: list[float]) -> float:
    """Microseconds per step of the best of some ``seed_vs_floor`` runs."""
    return min(seconds) / floor["steps"] * 1e6


def _step_parts_lines(floor: dict[str, Any]) -> list[str]:
    """Per step: the floor, the whole preset, and the preset's parts (``issue17.seed_step_parts``)."""
    parts = floor.get("step_parts", {}).get("microseconds")
    if not parts:
        return []
    floor_us = _per_step_us(floor, floor["floor_seconds"])
    named = {
        "the floor (pre-made batches)": floor_us,
        "the seed preset, validation included": _per_step_us(floor, floor["engine_seconds"]),
        **{f"its {name}": us for name, us in parts.items()},
    }
    rows = [[name, us, us / floor_us] for name, us in named.items()]
    return ["", "Per step (µs; best run of each, parts: best of alternated rounds):", ""] + _table(
        ["", "µs per step", "/ floor"], rows
    )


def _throughput_table(by_hidden: dict[str, Any], with_torch: bool) -> list[str]:
    header = ["H", "engine", "numpy loop", "numpy loop shuffled", "engine/loop", "engine/loop shuffled"]
    rows = []
    for hidden, row in by_hidden.items():
        sps = row["samples_per_second"]
        cells = [hidden, sps["engine"], sps["numpy_contiguous"], sps["numpy_shuffled"]]
        cells += [row["engine_over_numpy_contiguous"]["median"], row["engine_over_numpy_shuffled"]["median"]]
        if with_torch:
            torch = row["torch"]
            ratio = torch["engine_over_torch"]["median"] if "engine_over_torch" in torch else torch.get("skipped")
            cells += [torch.get("samples_per_second"), ratio]
        rows.append(cells)
    return _table(header + (["PyTorch", "engine/PyTorch"] if with_torch else []), rows)


def _small_sections(sections: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    mem = sections.get("memory", {})
    if mem and "error" not in mem:
        lines += ["", "## 4. Memory (MB, resident)", ""]
        lines += _table(
            ["preset", "steps", "MNIST loaded", "peak while training", "training adds", "process peak"],
            [
                [
                    p,
                    m["steps"],
                    m["rss_loaded_mb"],
                    m["rss_peak_training_mb"],
                    m["training_adds_mb"],
                    m["process_peak_mb"],
                ]
                for p, m in mem.items()
            ],
        )
    evals = sections.get("eval_overhead", {})
    if evals and "error" not in evals:
        lines += ["", "## 5. Evaluation overhead", ""]
        lines += _table(
            [
                "preset",
                "validate every",
                "samples/s periodic",
                "samples/s never",
                "slowdown",
                "10k test eval s",
                "test eval / full run",
            ],
            [
                [
                    p,
                    e["eval_every"],
                    max(e["samples_per_second"]["periodic"]),
                    max(e["samples_per_second"]["never"]),
                    e["slowdown"],
                    e["test_eval_seconds"],
                    e["test_eval_share_of_full_run"],
                ]
                for p, e in evals.items()
            ],
        )
    health = sections.get("health_overhead", {})
    if health and "error" not in health:
        lines += ["", "## 6. Training-health recording", ""]
        lines += _table(
            ["preset", "layers", "steps", "records", "samples/s on", "samples/s off", "slowdown", "measuring share"],
            [
                [
                    p,
                    "-".join(map(str, h["layer_sizes"])),
                    h["steps"],
                    h["records"],
                    max(h["samples_per_second"]["on"]),
                    max(h["samples_per_second"]["off"]),
                    h["slowdown"],
                    h["measuring_share"],
                ]
                for p, h in health.items()
            ],
        )
    for name, section in sections.items():
        if isinstance(section, dict) and "error" in section:
            lines += ["", f"## {name}: FAILED", "", "```", section["error"], "```"]
    return lines


# -------------------------------------------------------------------------- main
def _commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return (done.stdout.strip() or "unknown") + ("+changes" if dirty else "")


def run_sections(plan: Plan, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """Run the chosen sections in order; returns their results and the 1-minute load
    average before and after each (a busy machine shows there)."""
    steps = {
        "environment": environment,
        "load_time": lambda: load_time(plan),
        "seed_vs_notebook": lambda: seed_vs_notebook(plan),
        "throughput": lambda: throughput(plan, args.torch_python),
        "time_to_accuracy": lambda: time_to_accuracy(plan, args.moonshot, args.out),
        "memory": lambda: memory(plan),
        "eval_overhead": lambda: eval_overhead(plan),
        "value_speed": lambda: value_speed(plan),
        "seed_vs_floor": lambda: seed_vs_floor(plan),
        "health_overhead": lambda: health_overhead(plan),
    }
    sections: dict[str, Any] = {}
    loads: dict[str, list[float]] = {}
    for name, measure in steps.items():
        if args.only and name not in args.only and name != "environment":
            continue
        started, load = time.perf_counter(), os.getloadavg()[0]
        print(f"[benchmarks] {name} ...", file=sys.stderr, flush=True)
        try:
            sections[name] = measure()
        except Exception as exc:  # one broken section must not lose the others
            sections[name] = {"error": f"{type(exc).__name__}: {exc}"}
        seconds = time.perf_counter() - started
        loads[name] = [round(load, 2), round(os.getloadavg()[0], 2)]
        print(f"[benchmarks] {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return sections, loads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in seconds (CI), not a measurement")
    parser.add_argument("--moonshot", action="store_true", help="also train the long 'moonshot' preset")
    parser.add_argument("--only", nargs="+", metavar="SECTION", help="run only these sections")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"report directory (default {RESULTS})")
    parser.add_argument("--torch-python", help="a Python with torch installed, for the PyTorch comparison")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    started, load_before = time.perf_counter(), [round(x, 2) for x in os.getloadavg()]
    sections, loads = run_sections(plan, args)
    report: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": _commit(),
            "quick": args.quick,
            "wall_seconds": time.perf_counter() - started,
            "load_before": load_before,
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "section_load_1min": loads,
            "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
        },
        "sections": sections,
    }
    report["targets"] = targets(sections)
    write(report, args.out, "quick" if args.quick else "latest")
    print(markdown(report))
    return 0


def write(report: dict[str, Any], directory: Path, stem: str) -> None:
    """``<stem>.json`` and ``<stem>.md``; a full run also appends its targets to history.jsonl."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n")
    (directory / f"{stem}.md").write_text(markdown(report))
    if not report["meta"]["quick"]:
        summary = {"meta": report["meta"], "targets": report["targets"]}
        with open(directory / "history.jsonl", "a") as history:
            history.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    sys.exit(main())
