"""One load generator for every page of a benchmark run: wrk where it is installed, else a
Python one with the same shape (2 processes × 8 threads = 16 keep-alive connections).

Both take a list of paths: one path is one URL hammered for the whole run; several (the
"varied words" search) are cycled through, each connection starting at a different place, so
that no cache of a few answers hides what a query costs. Both report the same figures:
requests per second, p50/p90/p99 latency and the responses that were not 2xx (wrk can only
count "not 2xx or 3xx": the benchmark checks every page answers 2xx once before it is
measured, so a redirect cannot pass unseen) plus connection errors and timeouts.
"""

from __future__ import annotations

import http.client
import multiprocessing
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

THREADS = 2  # wrk -t2, or 2 Python processes
CONNECTIONS = 16  # wrk -c16, or 8 threads in each process
# Longer than any page takes even today: a slow answer is measured, not dropped as a timeout
# (wrk's default of 2 s would leave the slowest pages' tails out of p99).
TIMEOUT_SECONDS = 30
WRK = shutil.which("wrk")


@dataclass
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int  # wrk: responses outside 2xx and 3xx
    socket_errors: int  # refused or dropped connections, read/write errors, timeouts

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


def available(name: str) -> str:
    """The generator ``auto`` means here: wrk where installed, else python."""
    if name == "auto":
        return "wrk" if WRK else "python"
    if name == "wrk" and not WRK:
        raise SystemExit("wrk is not installed (apt-get install wrk), use --loadgen python")
    return name


def run(generator: str, base_url: str, paths: list[str], seconds: float, work_dir: Path) -> Measurement:
    if generator == "wrk":
        return run_wrk(base_url, paths, seconds, work_dir)
    return run_python(base_url, paths, seconds)


# --- wrk ----------------------------------------------------------------------------------


def lua_cycle(paths: list[str]) -> str:
    """A wrk script sending ``paths`` in turn, each thread from its own starting point."""
    quoted = ",\n".join(f'  "{p}"' for p in paths)
    return f"""-- Written by bench/loadgen.py: cycle through {len(paths)} paths.
local paths = {{
{quoted}
}}
local threads = 0
function setup(thread)
  thread:set("offset", threads * 37)
  threads = threads + 1
end
local index = 0
function init(args)
  index = offset or 0
end
function request()
  index = index + 1
  return wrk.format("GET", paths[(index % #paths) + 1])
end
"""


def run_wrk(base_url: str, paths: list[str], seconds: float, work_dir: Path) -> Measurement:
    command = [WRK, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += [f"--timeout={TIMEOUT_SECONDS}s"]
    if len(paths) > 1:
        script = work_dir / "cycle.lua"
        script.write_text(lua_cycle(paths))
        command += ["-s", str(script)]
    done = subprocess.run([*command, base_url + paths[0]], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> Measurement:
    """The figures of ``wrk --latency``'s report."""
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", output, re.MULTILINE)}
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", output, re.MULTILINE)
    if total is None or len(percentiles) != 3:
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Measurement(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2) + total.group(3)) / 1000,
        p50_ms=percentiles[50],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


# --- Python -------------------------------------------------------------------------------


def _connection_loop(host: str, port: int, paths: list[str], start: int, deadline: float, out: dict) -> None:
    latencies, non_2xx, socket_errors = out["latencies"], 0, 0
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    index = start
    while time.perf_counter() < deadline:
        path = paths[index % len(paths)]
        index += 1
        began = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            socket_errors += 1
            connection.close()  # the next request opens a new connection
            continue
        latencies.append((time.perf_counter() - began) * 1000)
        if not 200 <= response.status < 300:
            non_2xx += 1
    connection.close()
    with out["lock"]:
        out["non_2xx"] += non_2xx
        out["socket_errors"] += socket_errors


def _process(host: str, port: int, paths: list[str], first: int, connections: int, seconds: float) -> tuple:
    """One process of the generator: ``connections`` threads, each its own keep-alive connection."""
    out = {"latencies": [], "non_2xx": 0, "socket_errors": 0, "lock": threading.Lock()}
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_connection_loop, args=(host, port, paths, (first + i) * 37, deadline, out))
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # perf_counter is CLOCK_MONOTONIC on Linux, one clock for every process of the machine.
    return out["latencies"], out["non_2xx"], out["socket_errors"], started, time.perf_counter()


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_python(base_url: str, paths: list[str], seconds: float) -> Measurement:
    host, port = re.fullmatch(r"http://([^:/]+):(\d+)", base_url).groups()
    per_process = CONNECTIONS // THREADS
    # Processes, not only threads: one interpreter's lock would cap the generator below what
    # a fast page (hello world) serves, and the ratios would be the generator's.
    with ProcessPoolExecutor(THREADS, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [
            pool.submit(_process, host, int(port), paths, i * per_process, per_process, seconds) for i in range(THREADS)
        ]
        results = [future.result() for future in futures]
    elapsed = max(result[4] for result in results) - min(result[3] for result in results)
    latencies = sorted(ms for result in results for ms in result[0])
    return Measurement(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 0.50),
        p90_ms=percentile(latencies, 0.90),
        p99_ms=percentile(latencies, 0.99),
        non_2xx=sum(result[1] for result in results),
        socket_errors=sum(result[2] for result in results),
    )
