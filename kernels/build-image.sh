#!/usr/bin/env bash
# Build the docker-sandbox kernel image from Debian's packages (no image registry needed):
# debootstrap a minimal bookworm, add a venv with kernels/requirements.txt, import it with podman (or docker).
# The tag is derived from this script, the Dockerfile and requirements.txt, so a changed input builds a new
# image; an existing tag is reused. Prints the image name. Needs root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
engine="${MEDGYM_ENGINE:-podman}"
tag="$(cat "$here/build-image.sh" "$here/Dockerfile" "$here/requirements.txt" | sha256sum | cut -c1-12)"
image="localhost/medgym-kernel:$tag"
if "$engine" image exists "$image" 2>/dev/null; then
  "$engine" tag "$image" localhost/medgym-kernel:latest
  echo "$image"; exit 0
fi
mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
root="$(mktemp -d /var/tmp/medgym-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$mirror" >/dev/null
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/host-ca.crt"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf" || true
cp "$here/requirements.txt" "$root/tmp/requirements.txt"
echo "venv + pip install -r requirements.txt" >&2
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin PIP_CERT=/etc/ssl/certs/host-ca.crt HOME=/root \
  sh -c 'python3 -m venv /opt/venv && /opt/venv/bin/pip install -q --no-cache-dir -r /tmp/requirements.txt' >&2
rm -rf "$root/tmp/requirements.txt" "$root/var/cache/apt" "$root/var/lib/apt/lists"
mkdir -p "$root/work"
echo "import as $image" >&2
tar -C "$root" -c . | "$engine" import \
  --change 'ENV PATH=/opt/venv/bin:/usr/bin:/bin' --change 'ENV MPLBACKEND=Agg' --change 'WORKDIR /work' \
  - "$image" >/dev/null
"$engine" tag "$image" localhost/medgym-kernel:latest
echo "$image"
