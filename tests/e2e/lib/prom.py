"""prom.py - a /metrics page of `wasmfn run --admin` read by the Prometheus
project's own text-format parser (Debian's python3-prometheus-client), as
a Prometheus server would scrape it, with the checks every page must pass:
the content type; the text parses; every family has a type; histograms
have cumulative buckets, le ascending, ending in +Inf equal to their
_count; counters are never negative (wasmfn's own are whole). Shared by
http_metrics_format.py and lua_metrics.py:

    from lib.prom import scrape, value
    fams = scrape(url)        # exits 77 without the parser, 1 if unparsable
    value(fams, "wasmfn_function_calls", "_total", function="app:greet")"""
import sys
import urllib.request

from lib.checks import check

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("skip: python3-prometheus-client missing (scripts/setup)")
    sys.exit(77)


def scrape(url):
    """The page's families by name, after the format's checks."""
    with urllib.request.urlopen(url, timeout=30) as r:
        ctype = r.headers.get("content-type")
        text = r.read().decode()
    check("content type of the text format", "text/plain; version=0.0.4; charset=utf-8", ctype)
    try:
        fams = {f.name: f for f in text_string_to_metric_families(text)}
    except Exception as e:  # the parser's own complaint
        print("FAIL the text does not parse: %s" % e)
        print(text)
        sys.exit(1)
    print("ok   parses: %d families" % len(fams))
    check("every family typed", [], [n for n, f in fams.items() if f.type in ("unknown", "untyped")])
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
                    or vals[-1] != h["count"] or h["sum"] is None:
                bad.append((f.name, key))
    check("histograms well formed", [], bad)
    check("counters >= 0, wasmfn's whole", [],
          [(s.name, s.labels) for f in fams.values() if f.type == "counter" for s in f.samples
           if s.value < 0 or (f.name.startswith("wasmfn_") and s.value != int(s.value))])
    return fams


def value(fams, fam, suffix, **labels):
    """The sum of fam's samples named fam+suffix whose labels include labels."""
    return sum(s.value for s in fams[fam].samples
               if s.name == fam + suffix and all(s.labels.get(k) == v for k, v in labels.items()))
