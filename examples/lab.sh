#!/usr/bin/env bash
# A two-host lab around `ofdp run`, built by hand with iproute2: what `ofdp demo` does for you,
# spelled out. Needs root, ofdp built (npm ci), iproute2, ping, and for the default mode
# ovs-testcontroller (sudo bash scripts/install-test-deps.sh installs them all).
#
#   sudo bash examples/lab.sh [testcontroller|embedded|flows] [--keep]
#
#   testcontroller  (default) ovs-testcontroller learns MACs and installs flows, as in clients.md §4
#   embedded        ofdp's own learning controller: `ofdp demo --controller-only ptcp:PORT`
#   flows           no controller: the static flows of examples/flows.txt via `ovs-ofctl add-flows`
#   --keep          leave everything running until Ctrl-C (to try ovs-ofctl and ping by hand)
#
# Topology: namespaces ofdp-ex-h1 (10.0.0.1) and ofdp-ex-h2 (10.0.0.2), each holding "eth0" of a
# veth whose other end (ofdp-ex1, ofdp-ex2) is a system port of bridge br-ex (examples/config.json).
# Environment: CTL_PORT (controller port, default 6633), OFDP_RUNDIR (default /run/ofdp), OFDP (the
# ofdp command, default node bin/ofdp.js of this checkout). Everything is removed on exit.
set -euo pipefail

mode=testcontroller
keep=0
for a in "$@"; do
  case "$a" in
    testcontroller | embedded | flows) mode=$a ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [testcontroller|embedded|flows] [--keep]" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
OFDP=${OFDP:-"node $here/../bin/ofdp.js"}
CTL_PORT=${CTL_PORT:-6633}
export OFDP_RUNDIR=${OFDP_RUNDIR:-/run/ofdp}
mgmt="unix:$OFDP_RUNDIR/br-ex.mgmt"
ofctl() { ovs-ofctl -O OpenFlow10 -t 10 "$@"; }

[ "$(id -u)" -eq 0 ] || { echo "lab.sh: needs root (namespaces, veths, AF_PACKET)" >&2; exit 1; }
for t in ip ping ovs-ofctl; do
  command -v "$t" >/dev/null || { echo "lab.sh: $t is missing: sudo bash scripts/install-test-deps.sh" >&2; exit 1; }
done
if [ "$mode" = testcontroller ] && ! command -v ovs-testcontroller >/dev/null; then
  echo "lab.sh: ovs-testcontroller is missing: sudo bash scripts/install-test-deps.sh (or use: $0 embedded)" >&2
  exit 1
fi

pids=()
tmp=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del ofdp-ex-h1 2>/dev/null || true
  ip netns del ofdp-ex-h2 2>/dev/null || true
  ip link del ofdp-ex1 2>/dev/null || true
  ip link del ofdp-ex2 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup # leftovers of an earlier run
tmp=$(mktemp -d)

for i in 1 2; do
  ns=ofdp-ex-h$i
  ip netns add $ns
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add ofdp-ex$i type veth peer name eth0 netns $ns
  sysctl -qw net.ipv6.conf.ofdp-ex$i.disable_ipv6=1
  ip -n $ns addr add 10.0.0.$i/24 dev eth0
  ip -n $ns link set lo up
  ip -n $ns link set eth0 up
  ip link set ofdp-ex$i up
done

case $mode in
  testcontroller) ovs-testcontroller --unixctl="$tmp/testcontroller.ctl" "ptcp:$CTL_PORT:127.0.0.1" & pids+=($!) ;;
  embedded) $OFDP demo --controller-only "ptcp:$CTL_PORT:127.0.0.1" & pids+=($!) ;;
  flows) ;;
esac
ctl=(--controller "tcp:127.0.0.1:$CTL_PORT")
[ "$mode" = flows ] && ctl=()
# --no-local: the LOCAL port would add an interface to this namespace; the lab does not need it.
$OFDP run --config "$here/config.json" --log-level warn --no-local "${ctl[@]}" & pids+=($!)

# Wait for the management socket, then for the controller (if any) to have connected.
for _ in $(seq 100); do ofctl show "$mgmt" >/dev/null 2>&1 && break; sleep 0.1; done
ofctl show "$mgmt" >/dev/null
if [ "$mode" = flows ]; then
  ofctl add-flows "$mgmt" "$here/flows.txt"
else
  # The switch dials its controller (reconnect backoff starts at 1 s): wait for the connection.
  for _ in $(seq 100); do
    [ -n "$(ss -Htn state established "( dport = :$CTL_PORT )")" ] && break
    sleep 0.1
  done
  sleep 0.2 # its FEATURES_REQUEST and SET_CONFIG
fi

echo "== ping h1 -> h2"
ok=0
ip netns exec ofdp-ex-h1 ping -n -c 3 -i 0.2 -W 2 10.0.0.2 || ok=1
echo "== ping h2 -> h1"
ip netns exec ofdp-ex-h2 ping -n -c 3 -i 0.2 -W 2 10.0.0.1 || ok=1
echo "== ovs-ofctl -O OpenFlow10 dump-flows $mgmt"
ofctl dump-flows "$mgmt"

if [ $keep = 1 ]; then
  echo "Running until Ctrl-C. Try: ovs-ofctl -O OpenFlow10 show $mgmt; ip netns exec ofdp-ex-h1 ping 10.0.0.2"
  wait
fi
exit $ok
