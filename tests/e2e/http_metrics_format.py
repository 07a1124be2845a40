#!/usr/bin/env python3
"""http_metrics_format.py METRICS_URL - /metrics of `wasmfn run --admin` read
by the Prometheus project's own text-format parser (Debian's
python3-prometheus-client), as a Prometheus server would scrape it after
http_metrics_format.sh's requests: the text parses; every family has a
type; histograms have cumulative buckets ending in +Inf equal to their
_count; counters are whole and never negative; and the figures are the
requests made (2 greets, 1 trap, 2 unknown routes, and what the server
refused before routing: a 431, a 413, three 400s). Prints ok/FAIL lines;
exits 1 on a failure."""
import sys
import urllib.request

from lib.checks import check, finish

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("skip: python3-prometheus-client missing (scripts/setup)")
    sys.exit(77)

with urllib.request.urlopen(sys.argv[1], timeout=30) as r:
    ctype = r.headers.get("content-type")
    text = r.read().decode()
check("content type of the text format", "text/plain; version=0.0.4; charset=utf-8", ctype)
try:
    fams = {f.name: f for f in text_string_to_metric_families(text)}
except Exception as e:  # the parser's own complaint
    print("FAIL the text does not parse: %s" % e)
    sys.exit(1)
print("ok   parses: %d families" % len(fams))
check("every family typed", [], [n for n, f in fams.items() if f.type in ("unknown", "untyped")])
want = {"wasmfn_function_calls": "counter", "wasmfn_function_errors": "counter",
        "wasmfn_function_duration_seconds": "histogram", "wasmfn_http_requests": "counter",
        "wasmfn_http_request_duration_seconds": "histogram", "wasmfn_function_instances": "gauge"}
check("families and types", want, {n: fams[n].type for n in want if n in fams})

# Histograms: per label set, buckets cumulative, le ascending, +Inf == _count.
bad = []
for f in fams.values():
    if f.type != "histogram":
        continue
    series = {}
    for s in f.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        series.setdefault(key, {"b": [], "count": None, "sum": None})
        if s.name.endswith("_bucket"):
            series[key]["b"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            series[key]["count"] = s.value
        elif s.name.endswith("_sum"):
            series[key]["sum"] = s.value
    for key, h in series.items():
        les = [le for le, _ in h["b"]]
        vals = [v for _, v in h["b"]]
        if not les or les != sorted(les) or les[-1] != float("inf") or vals != sorted(vals) \
                or vals[-1] != h["count"] or h["sum"] is None or h["sum"] < 0:
            bad.append((f.name, key))
check("histograms well formed", [], bad)
check("counters whole and >= 0", [],
      [(s.name, s.labels) for f in fams.values() if f.type == "counter" for s in f.samples
       if s.value < 0 or s.value != int(s.value)])


def value(fam, suffix, **labels):
    return sum(s.value for s in fams[fam].samples
               if s.name == fam + suffix and all(s.labels.get(k) == v for k, v in labels.items()))


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
