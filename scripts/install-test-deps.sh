#!/usr/bin/env bash
# Installs, from Debian, what ofdp's test suite and benchmarks use. Idempotent; needs root.
#   openvswitch-common       ovs-ofctl (ofp-print, parse-flow, the command-line client)
#   openvswitch-switch       ovs-vswitchd/ovsdb-server: the reference switch run side by side
#   openvswitch-testcontroller  the learning-switch controller
#   python3-os-ken           the os-ken (Ryu) controller and its OpenFlow 1.0 parser
#   tshark                   header-level dissection of captures
#   iproute2 ethtool         interfaces, namespaces and link settings
#   iputils-ping tcpdump     traffic through the switch in lab tests
#   openssl                  certificates for the ssl:/pssl: tests
#   procps python3           sysctl (IPv6 off on lab interfaces), the offload tests' UDP GSO sender
set -euo pipefail
pkgs=(openvswitch-common openvswitch-switch openvswitch-testcontroller python3-os-ken tshark iproute2 ethtool
  iputils-ping tcpdump openssl procps python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-test-deps: installed ${missing[*]}"
