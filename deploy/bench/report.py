"""The benchmark's outputs: `.run/bench.json`, `.run/bench.png` and a short table."""

from __future__ import annotations

import json
import math
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import suitectl

REPO = Path(__file__).resolve().parents[2]


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("faststream", "aiokafka", "pymongo", "fastapi", "uvicorn", "pydantic"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    jars = sorted((REPO / "deploy" / "local" / "kafka" / "libs").glob("kafka_2.13-*.jar"))
    found["kafka"] = jars[0].stem.split("-", 1)[1] if jars else "unknown"
    go_mod = REPO / "deploy" / "local" / "ferretdb" / "go.mod"
    match = (
        re.search(r"github.com/FerretDB/FerretDB\S*\s+(v\S+)", go_mod.read_text())
        if go_mod.is_file()
        else None
    )
    found["ferretdb"] = match.group(1) if match else "unknown"
    java_store = REPO / "deploy" / "local" / "mongo-java-server" / "libs"
    store_jars = sorted(java_store.glob("mongo-java-server-core-*.jar"))
    found["mongo-java-server"] = store_jars[0].stem.rsplit("-", 1)[1] if store_jars else "absent"
    found["store"] = suitectl.local_store()
    try:
        java = subprocess.run(
            ["java", "-version"],  # noqa: S607 - the JDK on PATH, fixed arguments
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        found["java"] = (java.stderr.splitlines() or ["unknown"])[0]
    except OSError:
        found["java"] = "absent"
    return found


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """The targets on 2 cores, and whether this run met them. Figures for 10,000 applications
    are extrapolated from this run's rates when it filed fewer."""
    full, rate = result["pipeline"]["full_speed"], result["pipeline"].get("fixed_rate")
    throughput = full["throughput_apps_per_s"]
    scale = 10_000 / result["n"]
    verdicts_10k = 10_000 / throughput if throughput else float("inf")
    drain_s = full.get("drain_s") if full.get("drained", True) else None
    end_to_end_10k = (full["wall_s"] + (float("inf") if drain_s is None else drain_s)) * scale
    rss = {n: s["peak_rss_mb"] for n, s in result["services"].items()}
    idle = {
        n: v for n, v in (result.get("idle") or {}).get("cpu_percent", {}).items() if n != "load generator"
    }
    trips = (result.get("store_round_trips") or {}).get("total_per_application", float("nan"))
    p99 = rate["latency_s"]["p99"] if rate else float("nan")
    accept_p99 = rate["http_response_s"]["p99"] if rate else float("nan")
    measured = "measured" if result["n"] == 10_000 else "extrapolated from this run"

    def target(value: Any, met: bool, note: str | None = None) -> dict[str, Any]:
        return {"value": value, "met": bool(met), **({"note": note} if note else {})}

    return {
        "verdicts_for_10k_within_150_s": target(round(verdicts_10k, 1), verdicts_10k <= 150, measured),
        "end_to_end_for_10k_within_200_s": target(round(end_to_end_10k, 1), end_to_end_10k <= 200, measured),
        "goal_10k_end_to_end_within_60_s": target(round(end_to_end_10k, 1), end_to_end_10k <= 60, measured),
        "p99_to_last_verdict_under_2_s_at_30_per_s": target(p99, p99 < 2.0),
        "intake_accept_p99_under_250_ms_at_30_per_s": target(accept_p99, accept_p99 < 0.25),
        "store_round_trips_per_application_at_most_12": target(trips, trips <= 12),
        "idle_cpu_under_2_percent_per_process": target(idle, bool(idle) and max(idle.values()) < 2.0),
        "each_service_under_150_mib": target(rss, all(v < 150 for v in rss.values())),
    }


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(_clean(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )


def _clean(value: Any) -> Any:
    """NaN and infinity (a phase with no completed application) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def throughput_bars(result: dict[str, Any]) -> dict[str, float]:
    """Each throughput bar's label and height. A phase offered at a fixed rate is labelled with
    the rate it reached, the one offered in brackets: the bar is what was measured."""
    pipeline = result["pipeline"]
    bars = {"pipeline\nfull speed": pipeline["full_speed"]["throughput_apps_per_s"]}
    if "fixed_rate" in pipeline:
        bars[_fixed_rate_label(pipeline["fixed_rate"], "pipeline\n")] = pipeline["fixed_rate"][
            "throughput_apps_per_s"
        ]
    if (ceilings := result.get("ceilings")) is not None:
        bars["Kafka\nceiling"] = ceilings["kafka"]["throughput_apps_per_s"]
        bars["store ceiling\none at a time"] = ceilings["store"]["one_at_a_time"]["throughput_apps_per_s"]
        bars["store ceiling\nbatched"] = ceilings["store"]["batched"]["throughput_apps_per_s"]
    else:  # a result written before the two ceilings
        bars["raw aiokafka\nceiling"] = result["ceiling"]["throughput_msgs_per_s"]
    return bars


def latency_series(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each latency series' label and its percentiles, labelled like the throughput bars."""
    pipeline = result["pipeline"]
    series = {"pipeline at full speed": pipeline["full_speed"]["latency_s"]}
    if "fixed_rate" in pipeline:
        series[_fixed_rate_label(pipeline["fixed_rate"], "pipeline ")] = pipeline["fixed_rate"]["latency_s"]
    if (ceilings := result.get("ceilings")) is not None:
        series["Kafka ceiling"] = ceilings["kafka"]["latency_s"]
    else:
        series["raw aiokafka ceiling"] = result["ceiling"]["latency_s"]
    return series


def _fixed_rate_label(phase: dict[str, Any], prefix: str) -> str:
    reached = phase["throughput_apps_per_s"]
    shown = f"{reached:.1f}/s" if isinstance(reached, int | float) and math.isfinite(reached) else "no rate"
    return f"{prefix}at {shown} (offered {phase['target_rate']:g}/s)"


def figure(result: dict[str, Any]) -> Any:
    """Throughput bars on the left, latency percentiles on the right with their legend outside
    the axes, so that it covers no bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
    bars = throughput_bars(result)
    colours = ["#3b6ea8", "#6aa84f", "#999999", "#c27c0e", "#e0a030"][: len(bars)]
    left.bar(list(bars), [_finite(v) for v in bars.values()], color=colours)
    left.set_yscale("log")
    left.set_ylabel("applications per second, log scale")
    left.set_title(f"Throughput, N = {result['n']}, {result['machine']['cpu_count']} cores")
    for i, value in enumerate(bars.values()):
        left.annotate(f"{value:.1f}", (i, value), ha="center", va="bottom")
    series = latency_series(result)
    keys = ["p50", "p95", "p99"]
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        xs = [k + i * width for k in range(len(keys))]
        right.bar(xs, [_finite(values[k]) for k in keys], width, label=label)
    right.set_xticks([k + width * (len(series) - 1) / 2 for k in range(len(keys))], keys)
    right.set_yscale("log")
    right.set_ylabel("seconds to the last verdict, log scale")
    right.set_title("Latency percentiles")
    right.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return fig


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = figure(result)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _finite(value: float) -> float:
    """A bar height for a log axis: a missing or non-positive figure draws no bar."""
    return value if isinstance(value, int | float) and math.isfinite(value) and value > 0 else math.nan


def table(result: dict[str, Any]) -> str:
    pipeline, ceilings, ratios = result["pipeline"], result["ceilings"], result["ratios"]
    machine = result["machine"]
    rows = [
        (
            "N applications",
            f"{result['n']}  (cores: {machine['cpu_count']}; "
            f"{result.get('replicas', 1)} process(es) per service; load average "
            f"{machine['load_average_at_start'][0]} at start, {machine['load_average_at_end'][0]} at end)",
        )
    ]
    for name, phase in pipeline.items():
        lat = phase["latency_s"]
        rows.append(
            (
                f"pipeline {name}",
                f"{phase['throughput_apps_per_s']:.1f} apps/s; "
                f"p50 {lat['p50']:.3f} s, p95 {lat['p95']:.3f} s, p99 {lat['p99']:.3f} s; "
                f"{phase['completed']}/{phase.get('planned', phase['filed'])} complete"
                + (" (cut short)" if phase.get("cut_short") else "")
                + (
                    f"; drained in {phase['drain_s']:.0f} s"
                    if phase.get("drained")
                    else "; consumers still lagging"
                ),
            )
        )
    kafka, store = ceilings["kafka"], ceilings["store"]
    for codec, run in ceilings.get("kafka_by_compression", {"": kafka}).items():
        rows.append(
            (
                f"Kafka ceiling {codec}".rstrip(),
                f"{run['throughput_apps_per_s']:.1f} apps/s to the verdicts, "
                f"{run['drained_apps_per_s']:.1f} apps/s until every group has read all; "
                f"p99 {run['latency_s']['p99']:.3f} s",
            )
        )
    for mode in ("one_at_a_time", "batched"):
        rows.append(
            (
                f"store ceiling {mode.replace('_', ' ')}",
                f"{store[mode]['throughput_apps_per_s']:.1f} apps/s "
                f"({store[mode]['round_trips_per_application']:g} round trips per application)",
            )
        )
    rows.append(
        (
            "ratio pipeline/ceiling",
            f"Kafka {ratios['kafka']:.4f}, store one at a time "
            f"{ratios['store_one_at_a_time']:.4f}, store batched {ratios['store_batched']:.4f}",
        )
    )
    trips = result.get("store_round_trips")
    if trips:
        rows.append(
            (
                "store round trips per app",
                f"{trips['total_per_application']:g}: "
                + ", ".join(f"{k} {v:g}" for k, v in trips["per_service"].items()),
            )
        )
        if waits := trips.get("waiting_s"):
            rows.append(("waiting on the store, s", ", ".join(f"{k} {v:g}" for k, v in waits.items())))
        for service, kinds in (trips.get("documents_per_application") or {}).items():
            named = ", ".join(f"{k} {v:g}" for k, v in kinds.items())
            rows.append((f"  {service} documents per app", named))
    for name, figures in {**result["services"], **result["infra"]}.items():
        rows.append(
            (
                f"  {name}",
                f"peak RSS {figures['peak_rss_mb']:.0f} MiB, "
                f"{figures['cpu_s_per_app'] * 1000:.1f} ms CPU per application",
            )
        )
    idle = result.get("idle", {}).get("cpu_percent", {})
    rows.append(("idle CPU %", ", ".join(f"{k} {v:g}" for k, v in idle.items() if v >= 0.5) or "none"))
    for name, target in result["targets"].items():
        rows.append((f"target {name}", ("met" if target["met"] else "NOT met") + f" ({target['value']})"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
