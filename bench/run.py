"""The nationwide search benchmark: `make bench` (= python -m bench.run).

For each database (SQLite file var/bench/bench.sqlite3, PostgreSQL database tsunagu_bench):
build the dataset if it is missing or was built with other parameters, start the project
under waitress, log the bench user in, and time over one keep-alive HTTP connection, in
interleaved rounds: the floor (GET /api/v1/ping), then a search within one 二次医療圏, within
a prefecture and nationwide by distance (3 required needs, top 50). Prints median and p95
and the ratio to the floor, and writes bench/results/<db>-<timestamp>.json.

    python -m bench.run                      # full scale, both databases
    python -m bench.run --scale 0.05 --db sqlite --rounds 50
    BENCH_POSTGRES_URL=postgres://… python -m bench.run --rebuild

The developer's own databases are never touched.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/tsunagu_bench"
SCENARIOS = ["area", "prefecture", "nationwide"]
TARGETS = {"area_p95_ms": 25, "prefecture_p95_ms": 25, "nationwide_p95_ms": 100, "ratio_to_floor": 3}
# Bump when the generator changes, so that an old dataset is rebuilt.
DATASET_VERSION = 1


def database_url(db):
    if db == "sqlite":
        return f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)


def server_env(db):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db),
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-not-for-any-real-server",
        STATIC_MANIFEST="0",
        DB_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on the loopback, as behind a TLS-terminating proxy.
        SECURE_SSL_REDIRECT="0",
    )
    return env


def run_json(args, env):
    out = subprocess.run(
        [sys.executable, "-m", "bench.build", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def drop_database(db):
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{BENCH_DIR / 'bench.sqlite3'}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    url = urlparse(database_url(db))
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_dataset(db, scale, seed, rebuild, log):
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    marker = BENCH_DIR / f"{db}-dataset.json"
    wanted = {"scale": scale, "seed": seed, "version": DATASET_VERSION, "url": database_url(db)}
    if not rebuild and marker.exists():
        recorded = json.loads(marker.read_text())
        if recorded.get("params") == wanted:
            log(f"[{db}] dataset present (scale {scale}, seed {seed})")
            return recorded["counts"]
    log(f"[{db}] building dataset (scale {scale}, seed {seed}) …")
    marker.unlink(missing_ok=True)
    drop_database(db)
    counts = run_json(["dataset", "--scale", str(scale), "--seed", str(seed)], server_env(db))
    marker.write_text(json.dumps({"params": wanted, "counts": counts}))
    log(f"[{db}] built in {counts['build_seconds']} s: {counts}")
    return counts


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the bench server did not start")


class Timer:
    """One keep-alive HTTP/1.1 connection with the bench user's session cookie."""

    def __init__(self, port, cookie):
        self.port = port
        self.headers = {"Cookie": f"{cookie['name']}={cookie['value']}", "Accept": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path):
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
        return elapsed, body


def process_cpu_ms(pid):
    """CPU time (user + system) a process has used so far, from /proc; None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def timed_round(timer, query, server_pid=None, cpu=None):
    """One round: the floor, then each scope; {name: (milliseconds, results)}.

    With server_pid, the server's CPU time per request is added up in `cpu` ({name: ms}):
    unlike wall time it does not grow when other programs load the machine.
    """
    timings = {}
    for name in ["floor", *SCENARIOS]:
        before = process_cpu_ms(server_pid) if server_pid else None
        elapsed, body = timer.get("/api/v1/ping" if name == "floor" else query[name])
        if before is not None and cpu is not None:
            cpu[name] = cpu.get(name, 0.0) + process_cpu_ms(server_pid) - before
        timings[name] = (elapsed, None if name == "floor" else json.loads(body)["count"])
    return timings


def summarise(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "min_ms": round(ordered[0], 2),
        "n": len(ordered),
    }


def bench_database(db, args, log):
    counts = ensure_dataset(db, args.scale, args.seed, args.rebuild, log)
    env = server_env(db)
    run_json(["migrate"], env)
    cookie = run_json(["session"], env)
    queries = run_json(["queries", "--seed", str(args.seed + 1), "--count", str(args.rounds)], env)
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.serve", "--port", str(port)], cwd=ROOT, env=env)
    try:
        wait_for(port)
        timer = Timer(port, cookie)
        for query in queries[: args.warmup]:  # warm caches and connections
            timer.get("/api/v1/ping")
            for scenario in SCENARIOS:
                timer.get(query[scenario])
        samples = {name: [] for name in ["floor", *SCENARIOS]}
        found = {name: [] for name in SCENARIOS}
        cpu = {}
        load_before = os.getloadavg()
        for query in queries:
            for name, (elapsed, count) in timed_round(timer, query, server.pid, cpu).items():
                samples[name].append(elapsed)
                if name in found:
                    found[name].append(count)
    finally:
        server.terminate()
        server.wait(timeout=10)

    load_after = os.getloadavg()
    floor = summarise(samples["floor"])
    results = {"floor": floor}
    if "floor" in cpu:
        floor["server_cpu_ms"] = round(cpu["floor"] / len(queries), 2)
    for scenario in SCENARIOS:
        summary = summarise(samples[scenario])
        summary["ratio_median"] = round(summary["median_ms"] / floor["median_ms"], 2)
        summary["ratio_p95"] = round(summary["p95_ms"] / floor["p95_ms"], 2)
        summary["mean_results"] = round(statistics.mean(found[scenario]), 1)
        if scenario in cpu and "server_cpu_ms" in floor:
            summary["server_cpu_ms"] = round(cpu[scenario] / len(queries), 2)
            summary["cpu_ratio"] = round(summary["server_cpu_ms"] / max(floor["server_cpu_ms"], 0.01), 2)
        results[scenario] = summary
    verdict = {
        "area_p95": results["area"]["p95_ms"] <= TARGETS["area_p95_ms"],
        "prefecture_p95": results["prefecture"]["p95_ms"] <= TARGETS["prefecture_p95_ms"],
        "nationwide_p95": results["nationwide"]["p95_ms"] <= TARGETS["nationwide_p95_ms"],
        "ratio_median": all(results[s]["ratio_median"] <= TARGETS["ratio_to_floor"] for s in SCENARIOS),
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "database": db,
        "timestamp": stamp,
        "scale": args.scale,
        "seed": args.seed,
        "rounds": args.rounds,
        "server": "waitress, 2 threads; one keep-alive connection, sequential requests",
        "dataset": counts,
        "results": results,
        "targets": TARGETS,
        "meets_targets": verdict,
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in load_after],
            "cpus": os.cpu_count(),
        },
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{db}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_report(report, path, log)
    return report


def print_report(report, path, log):
    log(
        f"\n== {report['database']}  ({report['dataset']['facilities']} facilities, "
        f"{report['dataset']['units']} units, {report['dataset']['cases']} cases; {report['rounds']} rounds)"
    )
    log(
        f"{'':12} {'median ms':>10} {'p95 ms':>8} {'×floor(med)':>12} {'×floor(p95)':>12} {'results':>8}"
        f" {'server CPU ms':>14} {'×floor(CPU)':>12}"
    )
    for name, row in report["results"].items():
        log(
            f"{name:12} {row['median_ms']:>10.2f} {row['p95_ms']:>8.2f} "
            f"{row.get('ratio_median', 1):>12.2f} {row.get('ratio_p95', 1):>12.2f} "
            f"{row.get('mean_results', ''):>8} {row.get('server_cpu_ms', ''):>14} "
            f"{row.get('cpu_ratio', 1):>12}"
        )
    log(
        f"load average (1, 5, 15 min) before {report['load_average']['before']}, "
        f"after {report['load_average']['after']} on {report['load_average']['cpus']} CPUs"
    )
    log(f"targets met: {report['meets_targets']}")
    log(f"written: {path.relative_to(ROOT)}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("BENCH_DB", "sqlite,postgres"),
        help="sqlite, postgres or both (comma-separated)",
    )
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", "42")))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "200")))
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the dataset even if present")
    args = parser.parse_args(argv)
    reports = [bench_database(db.strip(), args, print) for db in args.db.split(",") if db.strip()]
    return reports


if __name__ == "__main__":
    main()
