#!/usr/bin/env bash
# cluster.sh is make cluster: a local pairpad cluster of three nodes sharing one Postgres
# database, behind pairpad proxy, until Ctrl-C.
#
#   proxy         http://127.0.0.1:8000         round robin per connection to the nodes
#   node1..node3  http://127.0.0.1:8001..8003   PORT and ADVERTISE_URL
#
# Environment, all optional (make cluster passes GO and CLUSTER_DATABASE_URL):
#   DATABASE_URL    the nodes' database; default CLUSTER_DATABASE_URL, then
#                   postgres://postgres@127.0.0.1:5432/pairpad_cluster. Created if missing
#                   and kept between runs, as the rooms in it.
#   CLUSTER_SECRET  what the nodes share; default a new random one each run
#   LEASE_DURATION  how long a node owns a room without renewing its lease; default 10s
#   CLUSTER_PORT    the proxy's port; the nodes take the three after it. Default 8000
#   LOG_FORMAT      console (default) or json
# Every other setting of pairpad serve (README) passes through to the three nodes.
#
# Each line of output starts with the name of the process it comes from. Kill a node (the
# pids are printed) to watch its rooms move to the others; Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

go=${GO:-go}
port=${CLUSTER_PORT:-8000}
export DATABASE_URL=${DATABASE_URL:-${CLUSTER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pairpad_cluster}}
export CLUSTER_SECRET=${CLUSTER_SECRET:-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}
export LEASE_DURATION=${LEASE_DURATION:-10s}
export LOG_FORMAT=${LOG_FORMAT:-console}
# pairpad proxy works per TCP connection: the nodes see every client as 127.0.0.1, so a limit
# per client address would count everyone together.
export MAX_CONNECTIONS_PER_ADDRESS=${MAX_CONNECTIONS_PER_ADDRESS:-0}
export ROOM_CREATE_RATE=${ROOM_CREATE_RATE:-0}

dir=$(mktemp -d)
pids=()
stop() {
	trap - EXIT INT TERM
	if ((${#pids[@]})); then
		kill -TERM "${pids[@]}" 2>/dev/null || true
		wait "${pids[@]}" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

# prefix writes each line of its input after name. It ignores Ctrl-C, which the terminal sends
# to every process: it ends when the process it prefixes has written its last line.
prefix() {
	trap '' INT TERM
	while IFS= read -r line; do
		printf '%-6s| %s\n' "$1" "$line"
	done
}

"$go" build -o "$dir/pairpad" ./cmd/pairpad
"$go" run ./scripts/createdb "$DATABASE_URL"
"$dir/pairpad" migrate 2>&1 | prefix setup # once, before the nodes race to

backends=()
for i in 1 2 3; do
	p=$((port + i))
	PORT=$p ADVERTISE_URL=http://127.0.0.1:$p "$dir/pairpad" serve > >(prefix "node$i") 2>&1 &
	pids+=($!)
	backends+=("127.0.0.1:$p")
	echo "node$i: pid $!, http://127.0.0.1:$p"
done
"$dir/pairpad" proxy -listen "127.0.0.1:$port" -backends "$(IFS=,; echo "${backends[*]}")" \
	-log-format "$LOG_FORMAT" > >(prefix proxy) 2>&1 &
pids+=($!)
echo "proxy: pid $!, http://127.0.0.1:$port (open it in a browser; Ctrl-C stops the cluster)"
wait
