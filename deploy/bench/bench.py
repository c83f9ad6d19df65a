"""`make bench`: the pipeline's throughput and latency against the raw Kafka ceiling.

    .venv/bin/python deploy/bench/bench.py [--n 10000] [--rate 50] [--profile verification]

Starts its own Kafka, store, mail sink and the four services on free ports (see suite.py),
loads the reference data of N seeded synthetic applicants, and on that one broker measures:

1. the pipeline at full speed: N applications filed over HTTP with `--concurrency` requests
   in flight; an application is complete when its three verdicts (conflict of interest,
   eligibility, verification) are on their topics, which a group-less aiokafka consumer reads
   and joins by `ce_subject`. Latency runs from the HTTP 202 to the broker timestamp of the
   last verdict (`latency_from_request_s` counts from the request instead);
2. the pipeline at a fixed `--rate` applications per second (`--rate-n` of them);
3. the raw ceiling (ceiling.py): aiokafka alone moving N messages of the same sizes through
   the same hops.

Between phases it waits until every consumer group has caught up, so the notification and
read-model work a phase causes is charged to that phase's CPU figures; at the end it measures
what each process burns with nothing to do (periodic jobs polling the store). Writes `.run/bench.json`
and `.run/bench.png` and prints a table. A benchmark to read, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO, REPO / "deploy" / "local"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from vouchers_shared import topics  # noqa: E402
from vouchers_shared.auth import TokenService  # noqa: E402

from deploy.bench import report  # noqa: E402
from deploy.bench.ceiling import Shape, run_ceiling  # noqa: E402
from deploy.bench.load import Prepared, Submission, figures, file_all, prepare  # noqa: E402
from deploy.bench.procstats import CpuMeter, peak_rss_mb  # noqa: E402
from deploy.bench.suite import SERVICE_NAMES, BenchSuite, bench_suite  # noqa: E402
from deploy.bench.synthetic import Generator, mix_of  # noqa: E402
from deploy.bench.watch import Sizes, Stage, Watcher, group_lags  # noqa: E402

CLOCK = "2026-05-20T10:00:00+08:00"  # inside the 2026 filing window
SUBMITTED = Stage("submitted", topics.APPLICATIONS, topics.APPLICATION_SUBMITTED)
VERDICTS = (Stage("coi", topics.COI, topics.COI_ASSESSED),
            Stage("eligibility", topics.ELIGIBILITY, topics.ELIGIBILITY_ASSESSED),
            Stage("verification", topics.VERIFICATION, topics.VERIFICATION_COMPLETED))
PROGRESS_EVERY_S = 5.0


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="applications at full speed")
    parser.add_argument("--rate", type=float, default=50.0, help="fixed rate per second (0: skip)")
    parser.add_argument("--rate-n", type=int, default=None,
                        help="applications at the fixed rate (default: 30 s worth, at most N)")
    parser.add_argument("--concurrency", type=int, default=64, help="HTTP requests in flight")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--warmup", type=int, default=50, help="applications before measuring")
    parser.add_argument("--clock", default=CLOCK, help="VOUCHER_CLOCK of the services")
    parser.add_argument("--profile", choices=SERVICE_NAMES, default=None,
                        help="run this service under pyinstrument; writes .run/bench-profile-*")
    parser.add_argument("--stall-timeout", type=float, default=180.0,
                        help="give a phase up after this long without a completed application")
    parser.add_argument("--phase-limit", type=float, default=3600.0,
                        help="seconds a phase may take before it is cut short and reported as such")
    parser.add_argument("--settle-timeout", type=float, default=900.0)
    parser.add_argument("--idle-s", type=float, default=20.0,
                        help="measure each process's CPU this long with no work at the end")
    parser.add_argument("--out", type=Path, default=REPO / ".run" / "bench.json")
    parser.add_argument("--plot", type=Path, default=REPO / ".run" / "bench.png")
    args = parser.parse_args(argv)
    if args.rate_n is None:
        args.rate_n = min(args.n, int(args.rate * 30))
    return args


async def phase(label: str, url: str, items: list[Prepared], watcher: Watcher, *,
                concurrency: int, rate: float | None, stall_timeout: float,
                limit_s: float) -> dict[str, Any]:
    """File `items` and wait until each has its three verdicts, nothing moves any more, or
    `limit_s` has passed (then the figures cover what completed, and say so)."""
    subs: list[Submission] = []
    started = time.monotonic()
    filing = asyncio.create_task(file_all(url, items, concurrency=concurrency, rate=rate, out=subs))
    names = [s.name for s in VERDICTS]
    done, moved_at, shown_at, shown_done = 0, started, started, 0
    cut_short = False
    while True:
        await asyncio.sleep(0.5)
        ids = [s.application_id for s in subs if s.application_id]
        now_done = watcher.completed(ids, names)
        now = time.monotonic()
        if now_done != done:
            done, moved_at = now_done, now
        if now - shown_at >= PROGRESS_EVERY_S:
            say(f"{label}: {now - started:6.1f} s  filed {len(subs)}/{len(items)}  "
                f"accepted {len(ids)}  complete {done}  "
                f"({(done - shown_done) / (now - shown_at):.1f}/s)")
            shown_at, shown_done = now, done
        if filing.done() and done >= len(ids):
            break
        if now - moved_at > stall_timeout:
            say(f"{label}: nothing completed for {stall_timeout:.0f} s; giving the phase up")
            cut_short = True
            break
        if now - started > limit_s:
            say(f"{label}: {limit_s:.0f} s limit reached; the figures cover what completed")
            cut_short = True
            break
    if not filing.done():
        filing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await filing
    result = figures(subs, watcher, VERDICTS, time.monotonic() - started)
    result.update(planned=len(items), cut_short=cut_short)
    say(f"{label}: {result['completed']} complete, {result['throughput_apps_per_s']} apps/s, "
        f"latency {result['latency_s']}")
    return result


async def settle(bootstrap: str, limit_s: float) -> dict[str, Any]:
    """Wait until no consumer group of the suite has records left: how long, and whether it did."""
    started = time.monotonic()
    shown = started
    while True:
        lags = await group_lags(bootstrap)
        lags = {g: lag for g, lag in lags.items() if not g.startswith("bench-")}
        elapsed = time.monotonic() - started
        if not any(lags.values()):
            return {"drain_s": round(elapsed, 2), "drained": True}
        if time.monotonic() - shown >= PROGRESS_EVERY_S:
            busy = ", ".join(f"{g} {lag}" for g, lag in sorted(lags.items()) if lag)
            say(f"draining: {elapsed:6.1f} s  lag {busy}")
            shown = time.monotonic()
        if elapsed > limit_s:
            say(f"consumer groups still lag after {limit_s:.0f} s: {lags}")
            return {"drain_s": round(elapsed, 2), "drained": False, "lag_left": lags}
        await asyncio.sleep(1.0)


def _shape(sizes: dict[str, Sizes]) -> Shape:
    empty = Sizes()
    return Shape(*(sizes.get(s, empty) for s in ("submitted", "coi", "eligibility", "verification")))


async def measure(args: argparse.Namespace, suite: BenchSuite, gen: Generator) -> dict[str, Any]:
    tokens = TokenService(suite.env["VOUCHERS_TOKEN_KEY"])

    def token_for(uscc: str) -> str:
        return tokens.issue("submitter", uscc)

    warm, main = gen.filings(args.warmup), gen.filings(args.n)
    at_rate = gen.filings(args.rate_n) if args.rate else []
    say(f"loading reference data ({len(gen.registry.audit_reports)} audit reports, "
        f"{len(gen.registry.providers)} providers)")
    await asyncio.to_thread(suite.load_refdata, gen.registry.kinds())
    items = {name: prepare(f, token_for) for name, f in (("warm", warm), ("main", main), ("rate", at_rate))}
    watcher = Watcher(suite.bootstrap, (SUBMITTED, *VERDICTS))
    await watcher.start()
    url, bootstrap = suite.urls["intake"], suite.bootstrap
    pids = {**suite.pids(), "load generator": os.getpid()}
    meter = CpuMeter(pids)
    try:
        await phase("warm-up", url, items["warm"], watcher, concurrency=8, rate=None,
                    stall_timeout=args.stall_timeout, limit_s=args.phase_limit)
        await settle(bootstrap, args.settle_timeout)
        pipeline: dict[str, Any] = {}
        cpu: dict[str, dict[str, float]] = {}
        meter.start()
        pipeline["full_speed"] = await phase("full speed", url, items["main"], watcher,
                                             concurrency=args.concurrency, rate=None,
                                             stall_timeout=args.stall_timeout,
                                             limit_s=args.phase_limit)
        pipeline["full_speed"].update(await settle(bootstrap, args.settle_timeout))
        pipeline["full_speed"]["concurrency"] = args.concurrency
        cpu["full_speed"] = meter.stop()
        if at_rate:
            meter.start()
            pipeline["fixed_rate"] = await phase(f"{args.rate:g}/s", url, items["rate"], watcher,
                                                 concurrency=args.concurrency, rate=args.rate,
                                                 stall_timeout=args.stall_timeout,
                                                 limit_s=args.phase_limit)
            pipeline["fixed_rate"].update(await settle(bootstrap, args.settle_timeout))
            pipeline["fixed_rate"]["target_rate"] = args.rate
            cpu["fixed_rate"] = meter.stop()
        say(f"idle: {args.idle_s:g} s with nothing to do (background polling of the store)")
        meter.start()
        await asyncio.sleep(args.idle_s)
        idle = {name: round(100 * used / args.idle_s, 1) for name, used in meter.stop().items()}
    finally:
        await watcher.stop()
    rss = {name: round(peak_rss_mb(pid), 1) for name, pid in pids.items()}
    say(f"raw ceiling: {args.n} messages through the same hops with aiokafka alone")
    ceiling = await run_ceiling(bootstrap, [f.uscc for f in main], _shape(watcher.sizes))
    say(f"raw ceiling: {ceiling['throughput_msgs_per_s']} msgs/s")
    result = assemble(args, pipeline, ceiling, cpu, rss, mix_of(main), suite.mail.count)
    result["idle_cpu_percent"] = idle
    return result


def assemble(args: argparse.Namespace, pipeline: dict[str, Any], ceiling: dict[str, Any],
             cpu: dict[str, dict[str, float]], rss: dict[str, float], mix: dict[str, int],
             letters: int) -> dict[str, Any]:
    def usage(name: str) -> dict[str, Any]:
        used = cpu["full_speed"][name]
        out: dict[str, Any] = {"peak_rss_mb": rss[name], "cpu_s": round(used, 2),
                               "cpu_s_per_app": round(used / args.n, 5)}
        if "fixed_rate" in cpu:
            out["cpu_s_per_app_at_fixed_rate"] = round(cpu["fixed_rate"][name] / args.rate_n, 5)
        return out

    full = pipeline["full_speed"]["throughput_apps_per_s"]
    ceiling_rate = ceiling["throughput_msgs_per_s"]
    result: dict[str, Any] = {
        "n": args.n, "seed": args.seed, "rate_n": args.rate_n if args.rate else 0,
        "finished_at": datetime.now(UTC).isoformat(), "program_clock": args.clock,
        "machine": {"cpu_count": os.cpu_count(), "platform": sys.platform,
                    "load_average_at_start": args.load_at_start,
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": report.versions(),
        "mix": mix,
        "pipeline": pipeline,
        "ceiling": ceiling,
        "ratio_pipeline_to_ceiling": round(full / ceiling_rate, 4) if ceiling_rate else 0.0,
        "services": {name: usage(name) for name in SERVICE_NAMES},
        "infra": {name: usage(name) for name in ("kafka", "store", "load generator")},
        "letters_sent": letters,
        "profile": args.profile,
    }
    result["targets"] = report.targets(result)
    return result


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)  # unwinds through bench_suite, which stops what it started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args.load_at_start = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    say(f"N={args.n}, rate {args.rate:g}/s for {args.rate_n if args.rate else 0}, "
        f"{args.concurrency} in flight, seed {args.seed}, {os.cpu_count()} cores, "
        f"load average {args.load_at_start[0]}")
    gen = Generator(args.seed)
    with bench_suite(REPO / ".run" / "bench", args.clock, args.profile) as suite:
        say(f"suite up: kafka {suite.bootstrap}, intake {suite.urls['intake']}")
        result = asyncio.run(measure(args, suite, gen))
    result["duration_s"] = round(time.monotonic() - started, 1)
    report.write_json(result, args.out)
    report.plot(result, args.plot)
    print(report.table(result), flush=True)
    say(f"wrote {args.out} and {args.plot} in {result['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
