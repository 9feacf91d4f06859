#!/usr/bin/env bash
# Runs the upstream csi-sanity (kubernetes-csi/csi-test v5) against a local `./imagedisk serve` stack:
# starts serve in a temporary data dir, waits for its socket, runs csi-sanity with the flags this driver
# needs, stops serve with SIGTERM (it must exit 0: it removes its mounts, loop devices and links), and
# exits with csi-sanity's status.
#
#   CSI_SANITY=/path/to/csi-sanity ./csi-sanity/run-upstream.sh [extra csi-sanity flags...]
#   e.g. ... --ginkgo.focus='Node Service' --ginkgo.junit-report=/tmp/sanity.xml
#
# Needs root (serve binds loop devices and mounts filesystems). Exit status: csi-sanity's; 3 when the
# csi-sanity binary is missing; 4 when serve did not start or did not stop cleanly.
#
# Upstream's "ListVolumes check the presence of new volumes and absence of deleted ones" creates a volume
# without any parameters; serve runs the controller with --default-image set to the sample image, so such a
# volume is made from it (a cluster's controller requires the StorageClass's `image` unless it sets one).
#
# The snapshot and clone specs run too: snapshots are global images (the VolumeSnapshotClass parameters in
# $data/snapshot-parameters.yaml put them in a family and label them), clones are disks copied from their source.
#
# The ModifyVolume specs run: the volumes are hyperdisk-balanced (the disk type whose IOPS and throughput a
# VolumeAttributesClass changes) and $data/mutable-parameters.yaml is the class's parameters. So does the attach
# limit spec (--csi.testnodevolumeattachlimit): serve's VM is an e2-medium, whose node reports 15 volumes, so the
# spec attaches 15 and the 16th is refused (the emulator counts the boot disk against Compute Engine's 16). The
# emulator does not check which machine series take Hyperdisk (E2 does not on Compute Engine).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
start_timeout="${IMAGEDISK_SANITY_START_TIMEOUT:-300}"
gib=$((1024 * 1024 * 1024))

# --- the csi-sanity binary -------------------------------------------------------------------------
sanity="${CSI_SANITY:-}"
if [ -z "$sanity" ]; then
  sanity="$(command -v csi-sanity || true)"
fi
if [ -z "$sanity" ] || [ ! -x "$sanity" ]; then
  cat >&2 <<'EOF'
run-upstream.sh: the csi-sanity binary was not found (neither $CSI_SANITY nor csi-sanity on PATH).
Build it on a machine with a Go toolchain (csi-test v5.5.0 speaks CSI 1.12, as this driver does):
    go install github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity@v5.5.0
(it lands in $(go env GOPATH)/bin), copy it here, and run:
    CSI_SANITY=/path/to/csi-sanity ./csi-sanity/run-upstream.sh
EOF
  exit 3
fi
echo "run-upstream.sh: using $sanity ($("$sanity" --version 2>/dev/null | head -n 1 || echo "version unknown"))"

# --- serve, cleaned up whatever happens ---------------------------------------------------------------
data="$(mktemp -d "${TMPDIR:-/tmp}/imagedisk-upstream-sanity.XXXXXX")"
log="$data/serve.log"
serve_pid=""
serve_status=""

# shellcheck disable=SC2317  # the functions below also run from the EXIT trap
mounted_under() {
  # mount points (field 5 of mountinfo) at or below $1
  awk -v dir="$1" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo
}

# shellcheck disable=SC2317
stop_serve() {
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$serve_pid" 2>/dev/null && [ "$waited" -lt 120 ]; do
      sleep 0.5
      waited=$((waited + 1))
    done
    if kill -0 "$serve_pid" 2>/dev/null; then
      echo "run-upstream.sh: serve did not stop within 60 s of SIGTERM; killing it" >&2
      kill -KILL "$serve_pid" 2>/dev/null || true
    fi
  fi
  if [ -n "$serve_pid" ]; then
    set +e
    wait "$serve_pid" 2>/dev/null
    serve_status=$?
    set -e
    serve_pid=""
  fi
}

# shellcheck disable=SC2317
cleanup() {
  stop_serve
  if [ -n "$(mounted_under "$data")" ]; then
    echo "run-upstream.sh: mounts are left under $data; not removing it:" >&2
    mounted_under "$data" >&2
  else
    rm -rf --one-file-system -- "$data" || echo "run-upstream.sh: could not remove $data" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run-upstream.sh: starting ./imagedisk serve in $data (log: $log)"
"$root/imagedisk" serve --data-dir "$data/stack" --machine-type e2-medium >"$log" 2>&1 &
serve_pid=$!

socket="$data/stack/csi.sock"
waited=0
until [ -S "$socket" ] && grep -q "imagedisk serve: ready" "$log"; do
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "run-upstream.sh: serve exited before it was ready:" >&2
    cat "$log" >&2
    serve_pid=""
    exit 4
  fi
  if [ "$waited" -ge "$start_timeout" ]; then
    echo "run-upstream.sh: serve not ready after $start_timeout s:" >&2
    cat "$log" >&2
    exit 4
  fi
  sleep 1
  waited=$((waited + 1))
done
image="$(awk '$1 == "image:" { print $2; exit }' "$log")"
if [ -z "$image" ]; then
  echo "run-upstream.sh: serve did not print the image parameter:" >&2
  cat "$log" >&2
  exit 4
fi
echo "run-upstream.sh: serve is ready on unix://$socket (image $image)"

# --- csi-sanity ------------------------------------------------------------------------------------
# csi-sanity makes (mkdir, parents must exist) and removes the staging dir and the mount dir around every
# spec; the plugin only accepts paths under its kubelet dir.
kubelet="$data/stack/kubelet"
staging_parent="$kubelet/plugins/kubernetes.io/csi/imagedisk.csi.dev/csi-sanity"
mount_parent="$kubelet/pods/csi-sanity/volumes/kubernetes.io~csi"
mkdir -p -- "$staging_parent" "$mount_parent"
params="$data/volume-parameters.yaml"
cat >"$params" <<EOF
image: $image
type: hyperdisk-balanced
EOF
mutable="$data/mutable-parameters.yaml"
cat >"$mutable" <<EOF
provisioned-iops: "4000"
provisioned-throughput: "200"
EOF
snapshot_params="$data/snapshot-parameters.yaml"
cat >"$snapshot_params" <<EOF
image-family: csi-sanity
labels: origin=csi-sanity
snapshot-type: images
EOF

set +e
"$sanity" \
  --csi.endpoint="unix://$socket" \
  --csi.stagingdir="$staging_parent/globalmount" \
  --csi.mountdir="$mount_parent/pv" \
  --csi.testvolumeparameters="$params" \
  --csi.testsnapshotparameters="$snapshot_params" \
  --csi.testvolumemutableparameters="$mutable" \
  --csi.testnodevolumeattachlimit \
  --csi.testvolumesize="$((10 * gib))" \
  --csi.testvolumeexpandsize="$((20 * gib))" \
  --csi.testvolumeaccesstype=mount \
  "$@"
sanity_status=$?
set -e

stop_serve
if [ "$serve_status" != "0" ]; then
  echo "run-upstream.sh: serve exited with status $serve_status after SIGTERM (expected 0); its log:" >&2
  tail -n 50 "$log" >&2
  [ "$sanity_status" -ne 0 ] || sanity_status=4
fi
echo "run-upstream.sh: csi-sanity exited with status $sanity_status"
exit "$sanity_status"
