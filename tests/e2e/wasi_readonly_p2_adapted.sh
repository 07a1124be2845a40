#!/bin/sh
# wasi_readonly_p2_adapted.sh - wasi_readonly.sh through WASI 0.2: the guest
# as a command component made by jco's preview 1 adapter, so every route to
# write the read-only mount goes through wasi:filesystem (see
# wasi_readonly.sh for the lines the adapter changes).
exec sh "$(dirname "$0")/wasi_readonly.sh" "$1" "$2" adapted
