"""The README's Python example runs as written, on real MNIST."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_python_example_trains_saves_and_loads_a_model(mnist, tmp_path, monkeypatch, capsys):
    blocks = python_blocks()
    assert len(blocks) == 1, "one Python example is expected in the README"
    monkeypatch.chdir(tmp_path)  # it writes mine.npz
    namespace: dict = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["model"].test_accuracy > 0.95
    assert namespace["probabilities"].shape == (5, 10)
    assert (tmp_path / "mine.npz").is_file()
    assert re.search(r"test accuracy 9\d\.\d\d%", capsys.readouterr().out)
