#!/usr/bin/env python3
"""dbctl benchmarks (rerunnable): `python3 scripts/bench.py [--skip-build] [fanout|scale|startup|usage|ping|pages|plan|lookup|cosmos|usage-dark]...`.

1. fan-out: every emulated provider behind 200 ms per request; wall time of one
   multi-provider `db list` against the slowest single provider's own chain.
2. scale: 10,000 databases across 8 Upstash profiles from a local fake (no latency),
   rendered as table and as JSON: wall time and peak RSS.
3. startup: medians of `dbctl --version` and `dbctl --demo db list`.
4. ping: `db ping` over 100 Redis databases whose data plane (a local RESP fake) answers every
   command after 50 ms, against `db ping` of one of them: concurrent pings cost about one
   database's round trips, not their sum.
5. usage: `db list --usage` over 4 providers x 250 databases at 200 ms per request (target
   <= 1.2 s: the list chain plus ceil(250 / 64) round trips of Upstash stats).
6. redis-cloud paging: 1,000 databases in one subscription at 200 ms per request (target: 2
   round trips, the subscription list then every page at once).
7. plan: `plan -f` of the exported fleet (4 providers x 250 databases, 200 ms per request)
   against `db list` of it: the fleet is read as `db list` reads it, plus Cosmos's one offers
   request (throughput), which overlaps the slower providers' chains.
8. lookup: `db get NAME` with no -p across the four providers at 200 ms per request: cold
   (no index: one list of everything, then the database's read), then warm (the index a
   `db list` leaves: one request, target ~0.2 s plus startup).
9. cosmos: `export` and `plan -f` of 5,000 Cosmos databases (local emulator, no latency)
   against `db list` of them, in CPU seconds (user + system): offers are matched to databases
   once, by resource id, so within 2x of the list.
10. usage-dark: `db list --usage`, 4 providers x 250 databases at 200 ms per request, Redis
   Cloud's 250 endpoints accepting connections and never answering (a local fake): at most
   the list chain plus the data plane's 2 s budget.
"""
import asyncio
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "dbctl")


def run(args, env=None, check=True):
    started = time.perf_counter()
    proc = subprocess.run([BIN] + args, env=env, capture_output=True)
    wall = time.perf_counter() - started
    if check and proc.returncode != 0:
        sys.exit(f"dbctl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()[:400]}")
    return wall, proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra=None):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.mkdtemp(), "NO_COLOR": "1"}
    env.update(extra or {})
    return env


def start_emulator(latency_ms, seed_env=None):
    port = free_port()
    env = dict(os.environ, **(seed_env or {}))
    proc = subprocess.Popen([BIN, "emulator", "serve", "--port", str(port), "--latency-ms", str(latency_ms)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    variables = {}
    deadline = time.time() + 10
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line.startswith("export "):
            break
        name, value = line[len("export "):].strip().split("=", 1)
        variables[name] = value
    return proc, variables


def bench_fanout():
    proc, variables = start_emulator(200)
    try:
        env = clean_env(variables)
        providers = [p["provider"] for p in json.loads(run(["providers", "--json"], env)[1].stdout) if p["status"] == "configured"]
        singles = {}
        for provider in providers:
            singles[provider] = statistics.median(run(["db", "list", "-p", provider], env)[0] for _ in range(3))
        walls = [run(["db", "list"], env)[0] for _ in range(5)]
        wall = statistics.median(walls)
        slowest = max(singles.values())
        print("## fan-out: every provider behind 200 ms per request")
        for provider, seconds in singles.items():
            print(f"  {provider:<17} alone: {seconds * 1000:7.0f} ms")
        print(f"  all {len(providers)} at once   : {wall * 1000:7.0f} ms (median of 5)")
        print(f"  ratio to the slowest single chain: {wall / slowest:.2f}  (sum of singles would be {sum(singles.values()) * 1000:.0f} ms)")
    finally:
        proc.terminate()
        proc.wait()


def peak_rss_kib(args, env):
    """Peak RSS of one dbctl run alone, from GNU time (the children's rusage would include
    the emulator started earlier)."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", BIN] + args, env=env, capture_output=True)
    return int(proc.stderr.decode().strip().splitlines()[-1])


class FakeUpstash(http.server.BaseHTTPRequestHandler):
    body = b"[]"

    def do_GET(self):
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def bench_scale(total=10_000, profiles=8):
    per = total // profiles
    FakeUpstash.body = json.dumps([
        {"database_id": f"id-{i:05d}", "database_name": f"db-{i:05d}", "state": "active", "region": "global",
         "primary_region": "us-east-1", "endpoint": f"slug-{i}", "port": 6379, "tls": True,
         "db_memory_threshold": 268435456, "type": "payg", "creation_time": 1700000000 + i,
         "password": "bench-password", "rest_token": "bench-token", "read_only_rest_token": "bench-ro"}
        for i in range(per)
    ]).encode()
    # The default listen backlog (5) would drop simultaneous connects and cost a 1 s SYN retry.
    http.server.ThreadingHTTPServer.request_queue_size = 64
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeUpstash)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = tempfile.mkdtemp()
    config = os.path.join(home, "config.toml")
    with open(config, "w") as f:
        for n in range(profiles):
            f.write(f'[profiles.acct-{n}]\nprovider = "upstash"\nemail = "ops{n}@example.com"\n'
                    f'api_key_env = "BENCH_KEY"\nurl = "http://127.0.0.1:{server.server_address[1]}/v2"\n\n')
    env = clean_env({"DBCTL_CONFIG": config, "BENCH_KEY": "k"})
    print(f"## scale: {per * profiles} databases across {profiles} profiles (local fake, no latency)")
    for fmt in ["table", "json"]:
        walls, rss = [], []
        for _ in range(5):
            wall, proc = run(["db", "list", "-o", fmt], env)
            walls.append(wall)
            lines = proc.stdout.count(b"\n")
            rss.append(peak_rss_kib(["db", "list", "-o", fmt], env))
        print(f"  {fmt:<5}: median {statistics.median(walls) * 1000:6.0f} ms, peak RSS {max(rss) / 1024:5.1f} MiB, {lines} lines out")
    server.shutdown()


class FakeUpstashRoutes(http.server.BaseHTTPRequestHandler):
    """The list at /v2/redis/databases, one record at /v2/redis/database/ID."""
    records = {}

    def do_GET(self):
        tail = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        record = list(self.records.values()) if tail == "databases" else self.records.get(tail)
        body = json.dumps(record).encode()
        self.send_response(200 if record is not None else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_resp_fake(delay):
    """A RESP2 server on loopback answering every command (+OK / +PONG) after `delay` s."""
    ready = threading.Event()
    state = {}

    async def serve(reader, writer):
        try:
            while True:
                header = await reader.readline()
                if not header.startswith(b"*"):
                    break
                args = []
                for _ in range(int(header[1:])):
                    size = int((await reader.readline())[1:])
                    args.append((await reader.readexactly(size + 2))[:-2])
                await asyncio.sleep(delay)
                writer.write(b"+PONG\r\n" if args[0].upper() == b"PING" else b"+OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        writer.close()

    async def main():
        server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=512)
        state["port"] = server.sockets[0].getsockname()[1]
        ready.set()
        await server.serve_forever()

    threading.Thread(target=lambda: asyncio.run(main()), daemon=True).start()
    ready.wait(10)
    return state["port"]


def bench_ping(total=100, delay=0.05):
    resp_port = start_resp_fake(delay)
    FakeUpstashRoutes.records = {
        f"id-{i:03d}": {"database_id": f"id-{i:03d}", "database_name": f"db-{i:03d}", "state": "active",
                        "region": "global", "primary_region": "us-east-1", "endpoint": "127.0.0.1",
                        "port": resp_port, "tls": False, "password": "bench-password", "type": "payg"}
        for i in range(total)
    }
    http.server.ThreadingHTTPServer.request_queue_size = 256
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeUpstashRoutes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = clean_env({"UPSTASH_EMAIL": "ops@example.com", "UPSTASH_API_KEY": "k",
                     "UPSTASH_API_URL": f"http://127.0.0.1:{server.server_address[1]}/v2"})
    one = statistics.median(run(["db", "ping", "id-000", "--count", "1"], env)[0] for _ in range(5))
    walls = [run(["db", "ping", "--count", "1", "--json"], env)[0] for _ in range(5)]
    wall = statistics.median(walls)
    print(f"## ping: {total} databases, every data-plane reply after {delay * 1000:.0f} ms (AUTH + PING = 2 round trips)")
    print(f"  one database      : {one * 1000:6.0f} ms (median of 5)")
    print(f"  all {total} at once : {wall * 1000:6.0f} ms (median of 5; one after another would be about {total * 2 * delay * 1000:.0f} ms)")
    print(f"  in data-plane round trips: {wall / delay:.1f}; ratio to one database: {wall / one:.2f}")
    server.shutdown()


def bench_startup():
    print("## startup (median of 30)")
    for args in (["--version"], ["--demo", "db", "list"]):
        walls = [run(args, clean_env())[0] for _ in range(30)]
        print(f"  dbctl {' '.join(args):<18}: {statistics.median(walls) * 1000:6.1f} ms (p90 {sorted(walls)[26] * 1000:.1f} ms)")


def bench_usage(per=250, latency=200):
    proc, variables = start_emulator(latency, {"DBCTL_EMULATOR_FLEET": str(per),
                                               "DBCTL_EMULATOR_REDIS_CLOUD_BENCH": f"1x{per}"})
    try:
        env = clean_env(variables)
        walls = []
        for _ in range(5):
            wall, proc_run = run(["db", "list", "--usage", "--json"], env)
            walls.append(wall)
            rows = json.loads(proc_run.stdout)
        with_figures = sum(1 for r in rows if r["memory_used_bytes"] is not None or r["throughput_ru"] is not None)
        plain = statistics.median(run(["db", "list"], env)[0] for _ in range(3))
        print(f"## usage: db list --usage, 4 providers x {per} databases, {latency} ms per request")
        print(f"  db list          : {plain * 1000:7.0f} ms (median of 3)")
        print(f"  db list --usage  : {statistics.median(walls) * 1000:7.0f} ms (median of 5; {len(rows)} rows, {with_figures} with figures; target <= 1200 ms)")
    finally:
        proc.terminate()
        proc.wait()


def bench_redis_cloud_pages(per=1000, latency=200):
    proc, variables = start_emulator(latency, {"DBCTL_EMULATOR_REDIS_CLOUD_BENCH": f"1x{per}"})
    try:
        env = clean_env({k: v for k, v in variables.items() if k.startswith("REDIS_CLOUD_")})
        walls = []
        for _ in range(5):
            wall, proc_run = run(["db", "list", "-p", "redis-cloud", "--json"], env)
            walls.append(wall)
            count = len(json.loads(proc_run.stdout))
        print(f"## redis-cloud: {count} databases in one subscription, {latency} ms per request")
        print(f"  db list: {statistics.median(walls) * 1000:7.0f} ms (median of 5); 2 round trips = {2 * latency} ms, "
              f"page after page = {(2 + per // 100) * latency} ms")
    finally:
        proc.terminate()
        proc.wait()


def bench_plan(per=250, latency=200):
    proc, variables = start_emulator(latency, {"DBCTL_EMULATOR_FLEET": str(per),
                                               "DBCTL_EMULATOR_REDIS_CLOUD_BENCH": f"1x{per}"})
    try:
        env = clean_env(variables)
        _, exported = run(["export"], env)
        spec = os.path.join(env["HOME"], "fleet.toml")
        with open(spec, "wb") as f:
            f.write(exported.stdout)
        count = exported.stdout.count(b"[[database]]")
        listed = statistics.median(run(["db", "list", "--json"], env)[0] for _ in range(3))
        planned = statistics.median(run(["plan", "-f", spec], env)[0] for _ in range(5))
        print(f"## plan: {count} databases over 4 providers, {latency} ms per request")
        print(f"  db list        : {listed * 1000:7.0f} ms (median of 3)")
        print(f"  plan -f (none) : {planned * 1000:7.0f} ms (median of 5; exit 0, no differences)")
    finally:
        proc.terminate()
        proc.wait()


def cpu_seconds(args, env):
    """User + system CPU of one dbctl run (its own rusage, via GNU time)."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S", BIN] + args, env=env, capture_output=True)
    if proc.returncode not in (0, 13):
        sys.exit(f"dbctl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()[-400:]}")
    user, system = proc.stderr.decode().strip().splitlines()[-1].split()
    return float(user) + float(system), proc


def requests_of(run_proc):
    """How many API answers a `-v` run logged."""
    return sum(1 for line in run_proc.stderr.decode().splitlines() if line.startswith("dbctl: < "))


def bench_lookup(latency=200):
    proc, variables = start_emulator(latency)
    try:
        env = clean_env(variables)
        index = os.path.join(env["HOME"], ".cache", "dbctl", "index.json")
        cold, warm = [], []
        for _ in range(5):
            if os.path.exists(index):
                os.remove(index)
            wall, cold_proc = run(["db", "get", "sessions-cache", "-v"], env)
            cold.append(wall)
        run(["db", "list"], env)
        for _ in range(5):
            wall, warm_proc = run(["db", "get", "sessions-cache", "-v"], env)
            warm.append(wall)
        by_id = [run(["db", "get", "2145833/13008822", "-v"], env) for _ in range(5)]
        print(f"## lookup: db get NAME without -p, 4 providers, {latency} ms per request")
        print(f"  cold (no index) : {statistics.median(cold) * 1000:6.0f} ms (median of 5; {requests_of(cold_proc)} requests)")
        print(f"  warm (index)    : {statistics.median(warm) * 1000:6.0f} ms (median of 5; {requests_of(warm_proc)} request; target ~{latency} ms + startup)")
        print(f"  an id only redis-cloud can have: {statistics.median(w for w, _ in by_id) * 1000:6.0f} ms "
              f"(median of 5; {requests_of(by_id[-1][1])} request)")
    finally:
        proc.terminate()
        proc.wait()


def bench_cosmos(per=5000):
    proc, variables = start_emulator(0, {"DBCTL_EMULATOR_FLEET": str(per)})
    try:
        env = clean_env({k: v for k, v in variables.items() if k.startswith("COSMOS_")})
        _, exported = run(["export"], env)
        spec = os.path.join(env["HOME"], "fleet.toml")
        with open(spec, "wb") as f:
            f.write(exported.stdout)
        count = exported.stdout.count(b"[[database]]")
        cpu = {}
        for name, args in [("db list", ["db", "list", "--json"]), ("export", ["export"]),
                           ("plan -f", ["plan", "-f", spec])]:
            cpu[name] = statistics.median(cpu_seconds(args, env)[0] for _ in range(3))
        print(f"## cosmos: {count} databases, local emulator, CPU seconds (user + system, median of 3)")
        for name, seconds in cpu.items():
            print(f"  {name:<8}: {seconds:5.2f} s ({seconds / cpu['db list']:.2f}x db list)")
    finally:
        proc.terminate()
        proc.wait()


class FakeRedisCloud(http.server.BaseHTTPRequestHandler):
    """One Pro subscription of `count` databases whose endpoints are `port` on loopback, each
    record with its password (so INFO is tried), answered after `delay` s."""
    count, port, delay = 250, 0, 0.2

    def do_GET(self):
        time.sleep(self.delay)
        route, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if route == "/v1/subscriptions":
            body = {"subscriptions": [{"id": 1, "numberOfDatabases": self.count}]}
        elif route == "/v1/fixed/subscriptions":
            body = {"subscriptions": []}
        elif route == "/v1/subscriptions/1/databases":
            offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
            body = {"subscription": [{"subscriptionId": 1, "databases": [
                {"databaseId": i, "name": f"dark-{i:03d}", "status": "active", "memoryUsedInMb": 10,
                 "datasetSizeInGb": 1, "publicEndpoint": f"127.0.0.1:{self.port}",
                 "security": {"password": "bench-password", "enableTls": False}}
                for i in range(offset, min(offset + limit, self.count))]}]}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def start_dark_port():
    """A TCP port that accepts every connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    held = []

    def accept():
        while True:
            held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def bench_usage_dark(per=250, latency=200):
    FakeRedisCloud.count, FakeRedisCloud.port, FakeRedisCloud.delay = per, start_dark_port(), latency / 1000
    http.server.ThreadingHTTPServer.request_queue_size = 64
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRedisCloud)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proc, variables = start_emulator(latency, {"DBCTL_EMULATOR_FLEET": str(per)})
    try:
        env = clean_env({k: v for k, v in variables.items() if not k.startswith("REDIS_CLOUD_")})
        env.update({"REDIS_CLOUD_API_KEY": "k", "REDIS_CLOUD_SECRET_KEY": "s",
                    "REDIS_CLOUD_API_URL": f"http://127.0.0.1:{server.server_address[1]}/v1"})
        plain = statistics.median(run(["db", "list"], env)[0] for _ in range(3))
        walls = []
        for _ in range(3):
            wall, proc_run = run(["db", "list", "--usage", "--json"], env)
            walls.append(wall)
        rows = json.loads(proc_run.stdout)
        print(f"## usage-dark: db list --usage, 4 providers x {per} databases, {latency} ms per request, "
              f"Redis Cloud's endpoints never answer")
        print(f"  db list          : {plain * 1000:7.0f} ms (median of 3)")
        print(f"  db list --usage  : {statistics.median(walls) * 1000:7.0f} ms (median of 3; {len(rows)} rows; "
              f"bound: the list plus the 2 s data-plane budget)")
    finally:
        proc.terminate()
        proc.wait()
        server.shutdown()


def main():
    if "--skip-build" not in sys.argv:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"machine: {os.cpu_count()} cores; binary {os.path.getsize(BIN) / 1e6:.1f} MB")
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    benches = {"fanout": bench_fanout, "scale": bench_scale, "startup": bench_startup,
               "usage": bench_usage, "ping": bench_ping, "pages": bench_redis_cloud_pages,
               "plan": bench_plan, "lookup": bench_lookup, "cosmos": bench_cosmos,
               "usage-dark": bench_usage_dark}
    for name, bench in benches.items():
        if not only or name in only:
            bench()


if __name__ == "__main__":
    main()
