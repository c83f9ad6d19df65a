"""The benchmark's plot says what was measured: a phase offered at 50/s that reached 11.2/s is
labelled with 11.2/s, and the legend stays clear of the bars (from a fixture bench.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.bench import report

FIXTURE = Path(__file__).resolve().parent / "data" / "bench.json"


@pytest.fixture
def result() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def test_the_fixed_rate_bar_is_labelled_with_the_rate_reached(result: dict[str, Any]) -> None:
    bars = report.throughput_bars(result)
    label = "pipeline\nat 11.2/s (offered 50/s)"
    assert bars[label] == 11.2
    assert not [name for name in bars if "50/s" in name and "offered 50/s" not in name]


def test_each_bar_and_series_is_labelled_with_its_own_figure(result: dict[str, Any]) -> None:
    result["pipeline"]["fixed_rate"].update(throughput_apps_per_s=48.96, target_rate=50.0)
    assert "pipeline\nat 49.0/s (offered 50/s)" in report.throughput_bars(result)
    assert list(report.latency_series(result)) == [
        "pipeline at full speed",
        "pipeline at 49.0/s (offered 50/s)",
        "raw aiokafka ceiling",
    ]


def test_without_a_fixed_rate_phase_there_is_no_such_bar(result: dict[str, Any]) -> None:
    del result["pipeline"]["fixed_rate"]
    assert list(report.throughput_bars(result)) == ["pipeline\nfull speed", "raw aiokafka\nceiling"]
    assert len(report.latency_series(result)) == 2


def test_the_plot_shows_those_labels_and_its_legend_covers_no_bar(result: dict[str, Any]) -> None:
    fig = report.figure(result)
    try:
        fig.canvas.draw()
        left, right = fig.axes
        assert [t.get_text() for t in left.get_xticklabels()] == list(report.throughput_bars(result))
        legend = right.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == list(report.latency_series(result))
        box = legend.get_window_extent()
        for axes in (left, right):
            assert not box.overlaps(axes.get_window_extent())
            for bar in axes.patches:
                assert not box.overlaps(bar.get_window_extent())
        assert fig.bbox.contains(box.x1 - 1, box.y0 + 1)  # the legend is inside the image
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_the_plot_and_the_table_are_written(tmp_path: Path) -> None:
    result = json.loads((FIXTURE.parent / "bench-two-ceilings.json").read_text(encoding="utf-8"))
    report.plot(result, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")
    rate = result["pipeline"]["fixed_rate"]["throughput_apps_per_s"]
    assert f"{rate:.1f} apps/s" in report.table(result)
    assert list(report.throughput_bars(result))[-3:] == [
        "Kafka\nceiling",
        "store ceiling\none at a time",
        "store ceiling\nbatched",
    ]


def test_an_older_result_with_one_ceiling_is_still_drawn(result: dict[str, Any], tmp_path: Path) -> None:
    report.figure(result)
