#!/usr/bin/env bash
# Installs Ceph's RADOS Gateway and the daemons under it from Debian (bookworm: Ceph 16.2.15),
# for the tests that run against the real S3 server (docs/testing.md, project "rgw"). Nothing
# starts by itself: the tests start a one-node cluster of their own (infra/local/ceph/rgw.ts).
# Needs root. Measured: ~20-50 s, ~370 MB.
set -euo pipefail
packages=(ceph-mon ceph-osd ceph-mgr radosgw ceph-common)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "Installing Debian's ${missing[*]} for the tests against Ceph's RADOS Gateway"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
