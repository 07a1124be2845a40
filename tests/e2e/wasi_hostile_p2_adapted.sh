#!/bin/sh
# wasi_hostile_p2_adapted.sh - wasi_hostile.sh through WASI 0.2: the hostile
# guest as a command component made by jco's preview 1 adapter, so every
# escape attempt goes through wasi:filesystem (see wasi_hostile.sh).
exec sh "$(dirname "$0")/wasi_hostile.sh" "$1" "$2" adapted
