#!/bin/sh
# scale.sh — issue 3's "scale": bench/bin/store_scale on one pinned core, a
# store of 10,000 devices and 100,000 certificates against one of 10.
# Arguments go to store_scale (--help lists them); BENCH_CORE picks the core
# (default 1). The output is also kept in bench/out/store_scale.txt.
set -eu

cd "$(dirname "$0")/.."
core=${BENCH_CORE:-1}
mkdir -p bench/out
command -v taskset >/dev/null 2>&1 || { echo "scale.sh: needs taskset (sh scripts/deps.sh bench)" >&2; exit 1; }
make -s bench-progs # serial: the machine is shared
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); taskset -c $core"
taskset -c "$core" bench/bin/store_scale "$@" | tee bench/out/store_scale.txt
