#!/usr/bin/env bash
# Serve the Docker API with Debian's podman, for the docker sandbox on machines without Docker.
#   kernels/podman-service.sh start [PID]   -> prints the DOCKER_HOST to use (idempotent)
#   kernels/podman-service.sh stop [PID]
# With a PID (a run that uses the service, e.g. one `make test`), start records it as a user and stop removes
# it, stopping the service only when no other recorded user is still alive: two runs on one machine share the
# service, and the first to finish does not pull it from under the other. A start without a PID (a person, as
# the README shows) records a user no run's stop removes. Without a PID, stop stops the service for everyone.
# podman's defaults exceed these machines' hard limits and their mixed cgroup v1/v2 layout is refused by the
# runtime, so: cgroups disabled and lower default ulimits in /etc/containers/containers.conf, and the service
# runs in a private mount namespace with the cgroup2 mount hidden (nothing outside that namespace changes).
set -euo pipefail
dir="${MEDGYM_PODMAN_DIR:-/run/medgym-podman}"
sock="$dir/podman.sock"
users="$dir/users"
add_user() { mkdir -p "$users" && touch "$users/${1:-by-hand}"; }
ready() { add_user "$1"; echo "unix://$sock"; exit 0; }  # the service answers: record the user, say where
case "${1:-start}" in
start)
  command -v podman >/dev/null || { echo "podman is not installed (apt-get install podman)" >&2; exit 1; }
  mkdir -p "$dir" /etc/containers
  if [ ! -f /etc/containers/containers.conf ] || ! grep -q 'cgroups = "disabled"' /etc/containers/containers.conf; then
    cat > /etc/containers/containers.conf <<'CONF'
[containers]
cgroups = "disabled"
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]

[engine]
cgroup_manager = "cgroupfs"
CONF
  fi
  if [ -S "$sock" ] && curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then
    ready "${2:-}"
  fi
  rm -f "$sock"
  nohup unshare -m --propagation private sh -c \
    "umount /sys/fs/cgroup/unified 2>/dev/null || true; exec podman system service --time=0 unix://$sock" \
    >"$dir/service.log" 2>&1 &
  echo $! > "$dir/service.pid"
  for _ in $(seq 1 100); do
    if curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then ready "${2:-}"; fi
    sleep 0.1
  done
  echo "podman service did not come up; see $dir/service.log" >&2; exit 1
  ;;
stop)
  if [ -n "${2:-}" ]; then
    rm -f "$users/$2"
    for user in "$users"/*; do
      [ -e "$user" ] || continue
      name="$(basename "$user")"
      if [ "$name" = by-hand ] || kill -0 "$name" 2>/dev/null; then exit 0; fi  # started by hand, or in use
      rm -f "$user"  # that run ended without stopping
    done
  fi
  if [ -f "$dir/service.pid" ]; then
    kill "$(cat "$dir/service.pid")" 2>/dev/null || true
    rm -f "$dir/service.pid" "$sock"
  fi
  rm -f "$users"/*  # every record: the service is gone for all
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
