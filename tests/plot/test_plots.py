"""Every plot kind renders from the analysis of the real dumps, in PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajdiv import UsageError
from trajdiv.plot import PLOT_KINDS, plain, plot_one


@pytest.mark.parametrize("kind", list(PLOT_KINDS))
def test_each_kind_renders(analysis: Path, tmp_path: Path, kind: str):
    paths = plot_one(kind, analysis, tmp_path)
    assert {p.suffix for p in paths} == {".png", ".svg"}
    png = next(p for p in paths if p.suffix == ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    svg = next(p for p in paths if p.suffix == ".svg").read_text()
    assert "<svg" in svg
    assert "<script" not in svg


def test_analysis_made_every_plot(analysis: Path):
    names = {p.stem.split("_")[0] for p in (analysis / "plots").glob("*.png")}
    assert names == set(PLOT_KINDS)


def test_graph_plot_for_a_chosen_task(analysis: Path, tmp_path: Path):
    (png, _svg) = plot_one("graph", analysis, tmp_path, task="astropy__astropy-13453", config="gpt-5")
    assert "astropy__astropy-13453" in png.name
    with pytest.raises(UsageError, match="no graph"):
        plot_one("graph", analysis, tmp_path, task="nope")


def test_plots_are_deterministic(analysis: Path, tmp_path: Path):
    a = plot_one("passk", analysis, tmp_path / "a")
    b = plot_one("passk", analysis, tmp_path / "b")
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()


def test_unknown_kind_and_folder(tmp_path: Path):
    with pytest.raises(UsageError, match="unknown plot kind"):
        plot_one("pie", tmp_path, tmp_path)
    with pytest.raises(UsageError, match="not the output folder"):
        plot_one("cv", tmp_path, tmp_path)


def test_plain_escapes_mathtext_and_controls():
    assert plain("cost $5 and $x$") == r"cost \$5 and \$x\$"
    assert "\u202e" not in plain("abc\u202edef")
    assert len(plain("x" * 200, 20)) == 20
