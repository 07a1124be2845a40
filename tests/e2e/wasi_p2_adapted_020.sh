#!/bin/sh
# wasi_p2_adapted_020.sh - wasi_p2_adapted.sh with the adapter of the jco
# tools/jco pins directly (1.4.4): the C programs as components importing
# WASI @0.2.0, linked to the host's @0.2.12 definitions.
exec sh "$(dirname "$0")/wasi_p1.sh" "$1" "$2" adapted 0.2.0
