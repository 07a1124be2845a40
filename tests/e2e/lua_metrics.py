#!/usr/bin/env python3
"""lua_metrics.py METRICS_URL - /metrics after lua_metrics.sh's requests,
read by the Prometheus project's own parser (lib/prom.py's format checks),
and the figures Lua recorded: orders by product, revenue, the open orders'
gauge, the order-time histogram, the queue gauge, the rejected count;
next to wasmfn's own series for the same calls. Prints ok/FAIL lines;
exits 1 on a failure."""
import sys

from lib.checks import check, finish
from lib.prom import scrape, value

fams = scrape(sys.argv[1])
want = {"shop_orders": "counter", "shop_revenue": "counter", "shop_orders_open": "gauge",
        "shop_order_seconds": "histogram", "shop_orders_rejected": "counter",
        "shop_queue_depth": "gauge", "wasmfn_function_calls": "counter"}
check("families and types", want, {n: fams[n].type for n in want if n in fams})
check("orders of books", 2.0, value(fams, "shop_orders", "_total", product="book"))
check("orders of pens", 1.0, value(fams, "shop_orders", "_total", product="pen"))
check("revenue of books (counter_add)", 22.5, value(fams, "shop_revenue", "_total", product="book"))
check("open orders: 3 gauge_inc, 1 gauge_dec", 2.0, value(fams, "shop_orders_open", ""))
check("order seconds observed", 3.0, value(fams, "shop_order_seconds", "_count"))
check("book orders under 0.25 s", 1.0, value(fams, "shop_order_seconds", "_bucket", product="book", le="0.25"))
check("queue depth (gauge_set)", 42.0, value(fams, "shop_queue_depth", "", queue="emails"))
check("rejected", 1.0, value(fams, "shop_orders_rejected", "_total"))
check("escaped label value read back", 1.0, value(fams, "shop_notes", "_total", note='say "hi"\\n'))
check("wasmfn's own: create_order called 4 times", 4.0,
      value(fams, "wasmfn_function_calls", "_total", function="app:create_order"))
finish()
