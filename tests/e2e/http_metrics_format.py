#!/usr/bin/env python3
"""http_metrics_format.py METRICS_URL - /metrics of `wasmfn run --admin` read
by the Prometheus project's own text-format parser (Debian's
python3-prometheus-client), as a Prometheus server would scrape it after
http_metrics_format.sh's requests: lib/prom.py's format checks (the text
parses, every family typed, histograms cumulative ending in +Inf equal to
_count, counters whole and never negative); and the figures are the
requests made (2 greets, 1 trap, 2 unknown routes, and what the server
refused before routing: a 431, a 413, three 400s). Prints ok/FAIL lines;
exits 1 on a failure."""
import sys

from lib.checks import check, finish
from lib.prom import scrape, value as value_in

fams = scrape(sys.argv[1])
want = {"wasmfn_function_calls": "counter", "wasmfn_function_errors": "counter",
        "wasmfn_function_duration_seconds": "histogram", "wasmfn_http_requests": "counter",
        "wasmfn_http_request_duration_seconds": "histogram", "wasmfn_function_instances": "gauge"}
check("families and types", want, {n: fams[n].type for n in want if n in fams})


def value(fam, suffix, **labels):
    return value_in(fams, fam, suffix, **labels)


check("greet calls", 2.0, value("wasmfn_function_calls", "_total", function="app:greet"))
check("crash: one TRAP error", 1.0, value("wasmfn_function_errors", "_total", function="app:crash", kind="TRAP"))
check("greet endpoint: two 200s", 2.0,
      value("wasmfn_http_requests", "_total", endpoint="app:greet_endpoint", status="200"))
check("crash endpoint: one 500", 1.0,
      value("wasmfn_http_requests", "_total", endpoint="app:crash_endpoint", status="500"))
check("unknown route: a 404", True, value("wasmfn_http_requests", "_total", status="404") >= 1.0)
check("refused before routing: the 431, counted", 1.0,
      value("wasmfn_http_requests", "_total", endpoint="(no route)", status="431"))
check("... the 413", 1.0, value("wasmfn_http_requests", "_total", endpoint="(no route)", status="413"))
check("... the three 400s (differing Content-Length, alone and pipelined; a head that does not parse)", 3.0,
      value("wasmfn_http_requests", "_total", endpoint="(no route)", status="400"))
check("greet latency observed twice", 2.0,
      value("wasmfn_function_duration_seconds", "_count", function="app:greet"))
finish()
