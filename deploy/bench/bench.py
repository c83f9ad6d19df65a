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
3. what each process burns with nothing to do (periodic jobs), and the store round trips that
   the idle time costs;
4. two ceilings, with the suite quiet: Kafka (ceiling.py: aiokafka alone moving N applications'
   records of the same sizes through the same hops and consumer groups, batched and
   pipelined) and the store (store_ceiling.py: raw PyMongo issuing N applications' worth of
   the reads and writes the services made, one at a time and batched).

The services count their store commands (STORE_COMMAND_COUNTS=1); scraped before and after the
full-speed phase, they give the round trips per application, per service and per command.
Between phases it waits until every consumer group has caught up, so the notification and
read-model work a phase causes is charged to that phase's CPU and round-trip figures. Writes
`.run/bench.json` and `.run/bench.png` and prints a table. A benchmark to read, not a test.
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

from pymongo import MongoClient  # noqa: E402
from pymongo.collection import Collection  # noqa: E402
from vouchers_shared import topics  # noqa: E402
from vouchers_shared.auth import TokenService  # noqa: E402

from deploy.bench import batches, report, roundtrips  # noqa: E402
from deploy.bench.ceiling import Shape, run_ceiling  # noqa: E402
from deploy.bench.load import Prepared, Submission, figures, file_all, prepare  # noqa: E402
from deploy.bench.procstats import CpuMeter, peak_rss_mb  # noqa: E402
from deploy.bench.scrape import metrics_pages  # noqa: E402
from deploy.bench.store_ceiling import run_store_ceiling  # noqa: E402
from deploy.bench.suite import SERVICE_NAMES, BenchBusy, BenchSuite, bench_suite, replicas_of  # noqa: E402
from deploy.bench.synthetic import Generator, mix_of  # noqa: E402
from deploy.bench.watch import Sizes, Stage, Watcher, group_lags  # noqa: E402

CLOCK = "2026-05-20T10:00:00+08:00"  # inside the 2026 filing window
SUBMITTED = Stage("submitted", topics.APPLICATIONS, topics.APPLICATION_SUBMITTED)
VERDICTS = (
    Stage("coi", topics.COI, topics.COI_ASSESSED),
    Stage("eligibility", topics.ELIGIBILITY, topics.ELIGIBILITY_ASSESSED),
    Stage("verification", topics.VERIFICATION, topics.VERIFICATION_COMPLETED),
)
DECISION = Stage("decision", topics.DECISIONS, topics.CASE_DECIDED)  # sizes for the ceiling
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
PROGRESS_EVERY_S = 5.0
IDLE_SETTLE_S = 15.0  # the sweep's pace under work (5 s) and a round, before the idle window


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="applications at full speed")
    parser.add_argument("--rate", type=float, default=30.0, help="fixed rate per second (0: skip)")
    parser.add_argument(
        "--rate-n",
        type=int,
        default=None,
        help="applications at the fixed rate (default: 30 s worth, at most N)",
    )
    parser.add_argument("--concurrency", type=int, default=64, help="HTTP requests in flight")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--warmup", type=int, default=50, help="applications before measuring")
    parser.add_argument("--clock", default=CLOCK, help="VOUCHER_CLOCK of the services")
    parser.add_argument(
        "--profile",
        choices=SERVICE_NAMES,
        default=None,
        help="run this service under pyinstrument; writes .run/bench-profile-*",
    )
    parser.add_argument(
        "--stall-timeout",
        type=float,
        default=180.0,
        help="give a phase up after this long without a completed application",
    )
    parser.add_argument(
        "--phase-limit",
        type=float,
        default=3600.0,
        help="seconds a phase may take before it is cut short and reported as such",
    )
    parser.add_argument("--settle-timeout", type=float, default=900.0)
    parser.add_argument(
        "--idle-s",
        type=float,
        default=60.0,
        help="measure each process's CPU this long with no work at the end: by default one whole "
        "period of the slowest idle job (notification's sweep, every 60 s), so each job counts "
        "as it averages out rather than by whether it fell in the window",
    )
    parser.add_argument(
        "--compression",
        default="none",
        help="comma-separated codecs to run the Kafka ceiling with, the first "
        f"being the one the ratio is taken to ({', '.join(CODECS)})",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="processes of each service, in the same consumer groups (figures per service add them up)",
    )
    parser.add_argument("--out", type=Path, default=REPO / ".run" / "bench.json")
    parser.add_argument("--plot", type=Path, default=REPO / ".run" / "bench.png")
    args = parser.parse_args(argv)
    args.codecs = [c.strip() for c in args.compression.split(",") if c.strip()]
    if not args.codecs or set(args.codecs) - set(CODECS):
        parser.error(f"--compression takes codecs of {CODECS}")
    if args.rate_n is None:
        args.rate_n = min(args.n, int(args.rate * 30))
    return args


async def phase(
    label: str,
    urls: list[str],
    items: list[Prepared],
    watcher: Watcher,
    *,
    concurrency: int,
    rate: float | None,
    stall_timeout: float,
    limit_s: float,
) -> dict[str, Any]:
    """File `items` and wait until each has its three verdicts, nothing moves any more, or
    `limit_s` has passed (then the figures cover what completed, and say so)."""
    subs: list[Submission] = []
    started = time.monotonic()
    filing = asyncio.create_task(file_all(urls, items, concurrency=concurrency, rate=rate, out=subs))
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
            say(
                f"{label}: {now - started:6.1f} s  filed {len(subs)}/{len(items)}  "
                f"accepted {len(ids)}  complete {done}  "
                f"({(done - shown_done) / (now - shown_at):.1f}/s)"
            )
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
    say(
        f"{label}: {result['completed']} complete, {result['throughput_apps_per_s']} apps/s, "
        f"latency {result['latency_s']}"
    )
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
    return Shape(
        {
            name: sizes.get(name, Sizes())
            for name in ("submitted", "coi", "eligibility", "verification", "decision")
        }
    )


async def ceilings(
    args: argparse.Namespace,
    suite: BenchSuite,
    keys: list[str],
    sizes: dict[str, Sizes],
    round_trips: dict[str, Any],
) -> dict[str, Any]:
    """Both ceilings, one after the other, with the suite quiet."""
    kafka: dict[str, Any] = {}
    for codec in args.codecs:
        say(f"Kafka ceiling ({codec}): {len(keys)} applications through the same hops, aiokafka alone")
        kafka[codec] = await run_ceiling(
            suite.bootstrap, keys, _shape(sizes), compression=None if codec == "none" else codec
        )
        say(f"Kafka ceiling ({codec}): {kafka[codec]['throughput_apps_per_s']} apps/s")
    say(f"store ceiling: {len(keys)} applications' reads and writes, raw PyMongo")
    store = await asyncio.to_thread(
        run_store_ceiling, suite.mongodb_url, round_trips["commands"], len(keys), suite.pids()["store"], say
    )
    return {"kafka": kafka[args.codecs[0]], "kafka_by_compression": kafka, "store": store}


async def measure(args: argparse.Namespace, suite: BenchSuite, gen: Generator) -> dict[str, Any]:
    tokens = TokenService(suite.env["VOUCHERS_TOKEN_KEY"])

    def token_for(uscc: str) -> str:
        return tokens.issue("submitter", uscc)

    warm, main = gen.filings(args.warmup), gen.filings(args.n)
    at_rate = gen.filings(args.rate_n) if args.rate else []
    say(
        f"loading reference data ({len(gen.registry.audit_reports)} audit reports, "
        f"{len(gen.registry.providers)} providers)"
    )
    await asyncio.to_thread(suite.load_refdata, gen.registry.kinds())
    items = {name: prepare(f, token_for) for name, f in (("warm", warm), ("main", main), ("rate", at_rate))}
    watcher = Watcher(suite.bootstrap, (SUBMITTED, *VERDICTS, DECISION))
    services = list(suite.urls.values())  # every process of every service
    await watcher.start()
    urls = [suite.urls[name] for name in replicas_of("intake", suite.urls)]  # the load is spread
    bootstrap = suite.bootstrap
    pids = {**suite.pids(), "load generator": os.getpid()}
    meter = CpuMeter(pids)
    try:
        await phase(
            "warm-up",
            urls,
            items["warm"],
            watcher,
            concurrency=8,
            rate=None,
            stall_timeout=args.stall_timeout,
            limit_s=args.phase_limit,
        )
        await settle(bootstrap, args.settle_timeout)
        pipeline: dict[str, Any] = {}
        cpu: dict[str, dict[str, float]] = {}
        pages = await metrics_pages(services)
        commands_before, batches_before = roundtrips.tally(pages), batches.sums(pages)
        meter.start()
        pipeline["full_speed"] = await phase(
            "full speed",
            urls,
            items["main"],
            watcher,
            concurrency=args.concurrency,
            rate=None,
            stall_timeout=args.stall_timeout,
            limit_s=args.phase_limit,
        )
        pipeline["full_speed"].update(await settle(bootstrap, args.settle_timeout))
        pipeline["full_speed"]["concurrency"] = args.concurrency
        cpu["full_speed"] = meter.stop()
        pages = await metrics_pages(services)
        round_trips = roundtrips.summary(roundtrips.moved(commands_before, roundtrips.tally(pages)), args.n)
        say(
            f"store round trips per application: {round_trips['total_per_application']} "
            f"({', '.join(f'{k} {v}' for k, v in round_trips['per_service'].items())})"
        )
        batch_sizes = batches.summary(batches_before, batches.sums(pages))
        say(
            "records per batch: "
            + ", ".join(f"{g} {b['records_per_batch']:g} ({b['batches']:g})" for g, b in batch_sizes.items())
        )
        if at_rate:
            meter.start()
            pipeline["fixed_rate"] = await phase(
                f"{args.rate:g}/s",
                urls,
                items["rate"],
                watcher,
                concurrency=args.concurrency,
                rate=args.rate,
                stall_timeout=args.stall_timeout,
                limit_s=args.phase_limit,
            )
            pipeline["fixed_rate"].update(await settle(bootstrap, args.settle_timeout))
            pipeline["fixed_rate"]["target_rate"] = args.rate
            cpu["fixed_rate"] = meter.stop()
    finally:
        await watcher.stop()  # its fetches would count as Kafka's idle work
    letters_left = await asyncio.to_thread(letters_sent, suite, args.settle_timeout)
    say(
        f"idle: {IDLE_SETTLE_S:g} s for the periodic jobs to fall to their idle pace, then "
        f"{args.idle_s:g} s with nothing to do"
    )
    await asyncio.sleep(IDLE_SETTLE_S)
    idle_before = await roundtrips.scrape(services)
    meter.start()
    await asyncio.sleep(args.idle_s)
    idle = {name: round(100 * used / args.idle_s, 1) for name, used in meter.stop().items()}
    idle_trips = roundtrips.moved(idle_before, await roundtrips.scrape(services))
    say("idle CPU %: " + ", ".join(f"{k} {v:g}" for k, v in idle.items()))
    rss = {name: round(peak_rss_mb(pid), 1) for name, pid in pids.items()}
    ceiling = await ceilings(args, suite, [f.uscc for f in main], watcher.sizes, round_trips)
    result = assemble(args, pipeline, ceiling, cpu, rss, mix_of(main), suite.mail.count)
    result["store_round_trips"] = round_trips
    result["batches"] = batch_sizes
    result["idle"] = {
        "seconds": args.idle_s,
        "after_s": IDLE_SETTLE_S,
        "letters_left": letters_left,
        "cpu_percent": idle,
        "store_commands_per_s": {
            f"{c.service} {c.command} {c.collection}": round(c.count / args.idle_s, 2) for c in idle_trips
        },
    }
    result["targets"] = report.targets(result)
    return result


def letters_sent(suite: BenchSuite, limit_s: float) -> int:
    """Wait until notification has sent every letter it queued (its letter markers are gone);
    how many are left when `limit_s` runs out."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(suite.mongodb_url) as client:
        markers: Collection[dict[str, Any]] = client["vouchers_notification"]["letters_due"]
        started = shown = time.monotonic()
        while (left := markers.count_documents({})) and time.monotonic() - started < limit_s:
            if time.monotonic() - shown >= PROGRESS_EVERY_S:
                say(f"letters: {left} still to send")
                shown = time.monotonic()
            time.sleep(1.0)
    return left


def assemble(
    args: argparse.Namespace,
    pipeline: dict[str, Any],
    ceiling: dict[str, Any],
    cpu: dict[str, dict[str, float]],
    rss: dict[str, float],
    mix: dict[str, int],
    letters: int,
) -> dict[str, Any]:
    def usage(name: str) -> dict[str, Any]:
        """The service's processes together: CPU added up, the largest peak RSS of any one."""
        procs = replicas_of(name, cpu["full_speed"])
        used = sum(cpu["full_speed"][p] for p in procs)
        out: dict[str, Any] = {
            "processes": len(procs),
            "peak_rss_mb": max(rss[p] for p in procs),
            "cpu_s": round(used, 2),
            "cpu_s_per_app": round(used / args.n, 5),
        }
        if "fixed_rate" in cpu:
            at_rate = sum(cpu["fixed_rate"][p] for p in procs)
            out["cpu_s_per_app_at_fixed_rate"] = round(at_rate / args.rate_n, 5)
        return out

    full = pipeline["full_speed"]["throughput_apps_per_s"]

    def ratio(rate: float) -> float:
        return round(full / rate, 4) if rate else 0.0

    result: dict[str, Any] = {
        "n": args.n,
        "seed": args.seed,
        "rate_n": args.rate_n if args.rate else 0,
        "finished_at": datetime.now(UTC).isoformat(),
        "program_clock": args.clock,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": sys.platform,
            "load_average_at_start": args.load_at_start,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": report.versions(),
        "mix": mix,
        "pipeline": pipeline,
        "ceilings": ceiling,
        "ratios": {
            "kafka": ratio(ceiling["kafka"]["throughput_apps_per_s"]),
            "store_one_at_a_time": ratio(ceiling["store"]["one_at_a_time"]["throughput_apps_per_s"]),
            "store_batched": ratio(ceiling["store"]["batched"]["throughput_apps_per_s"]),
        },
        "services": {name: usage(name) for name in SERVICE_NAMES},
        "infra": {name: usage(name) for name in ("kafka", "store", "load generator")},
        "letters_sent": letters,
        "profile": args.profile,
        "replicas": args.replicas,
    }
    return result


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)  # unwinds through bench_suite, which stops what it started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args.load_at_start = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    say(
        f"N={args.n}, rate {args.rate:g}/s for {args.rate_n if args.rate else 0}, "
        f"{args.concurrency} in flight, seed {args.seed}, {os.cpu_count()} cores, "
        f"load average {args.load_at_start[0]}"
    )
    gen = Generator(args.seed)
    try:
        with bench_suite(REPO / ".run" / "bench", args.clock, args.profile, args.replicas) as suite:
            say(f"suite up: kafka {suite.bootstrap}, intake {suite.urls['intake']}")
            result = asyncio.run(measure(args, suite, gen))
    except BenchBusy as busy:
        say(str(busy))
        return 2
    result["duration_s"] = round(time.monotonic() - started, 1)
    report.write_json(result, args.out)
    report.plot(result, args.plot)
    print(report.table(result), flush=True)
    say(f"wrote {args.out} and {args.plot} in {result['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
