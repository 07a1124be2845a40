#!/bin/sh
# wasi_p2_adapted.sh - wasi_p1.sh through WASI 0.2: the shared preview 1
# suite, each test module made a command component by jco's preview 1
# command adapter (see wasi_p1.sh for what the adapter changes and its
# known failures).
exec sh "$(dirname "$0")/wasi_p1.sh" "$1" "$2" adapted
