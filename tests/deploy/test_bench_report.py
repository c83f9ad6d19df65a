"""The benchmark's plot says what was measured: a phase offered at 50/s that reached 11.2/s is
labelled with 11.2/s, and the legend stays clear of the bars (from a fixture bench.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.bench import report
from deploy.bench.suite import replicas_of

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


def _run_of(n: int, verdicts_per_s: float, wall_s: float, drain_s: float, trips: float) -> dict[str, Any]:
    return {
        "n": n,
        "pipeline": {
            "full_speed": {"throughput_apps_per_s": verdicts_per_s, "wall_s": wall_s, "drain_s": drain_s},
            "fixed_rate": {"latency_s": {"p99": 1.5}, "http_response_s": {"p99": 0.3}},
        },
        "services": {"intake": {"peak_rss_mb": 120.0}, "notification": {"peak_rss_mb": 151.0}},
        "idle": {"cpu_percent": {"store": 0.2, "kafka": 1.9, "load generator": 40.0}},
        "store_round_trips": {"total_per_application": trips},
    }


def test_the_targets_scale_a_smaller_run_to_ten_thousand_applications() -> None:
    found = report.targets(_run_of(n=1_000, verdicts_per_s=70.0, wall_s=15.0, drain_s=5.0, trips=12.0))
    assert found["verdicts_for_10k_within_150_s"] == {
        "value": 142.9,
        "met": True,
        "note": "extrapolated from this run",
    }
    assert found["end_to_end_for_10k_within_200_s"]["value"] == 200.0
    assert found["end_to_end_for_10k_within_200_s"]["met"]
    assert not found["goal_10k_end_to_end_within_60_s"]["met"]
    assert found["p99_to_last_verdict_under_2_s_at_30_per_s"]["met"]
    assert not found["intake_accept_p99_under_250_ms_at_30_per_s"]["met"]
    assert found["store_round_trips_per_application_at_most_12"]["met"]
    assert found["idle_cpu_under_2_percent_per_process"]["met"]  # the load generator is not ours
    assert not found["each_service_under_150_mib"]["met"]


def test_a_run_that_did_not_drain_meets_no_end_to_end_target() -> None:
    run = _run_of(n=10_000, verdicts_per_s=80.0, wall_s=125.0, drain_s=1.0, trips=13.0)
    run["pipeline"]["full_speed"]["drain_s"] = None
    found = report.targets(run)
    assert found["verdicts_for_10k_within_150_s"]["note"] == "measured"
    assert not found["end_to_end_for_10k_within_200_s"]["met"]
    assert not found["store_round_trips_per_application_at_most_12"]["met"]


def test_a_services_processes_are_itself_and_its_numbered_replicas() -> None:
    names = ["kafka", "intake", "intake#2", "eligibility", "eligibility#2", "eligibility#3"]
    assert replicas_of("intake", names) == ["intake", "intake#2"]
    assert replicas_of("eligibility", names) == ["eligibility", "eligibility#2", "eligibility#3"]
    assert replicas_of("verification", names) == []
