#!/usr/bin/env bash
# keel setup: installs what keel needs on Debian 12 (run as root), builds it, and starts keeld
# with its defaults on unix:///run/keel/keel.sock.
#
#   sudo scripts/setup.sh              install + build + start keeld
#   sudo scripts/setup.sh --no-start   install + build only (what CI's install step needs too)
#   sudo scripts/setup.sh --stop       stop the keeld this script started
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOCK=/run/keel/keel.sock
PIDFILE=/run/keel/keeld.pid
LOG=/var/log/keeld.log
# runc/conmon/crun/tini/busybox-static: containers; iproute2/iptables/kmod: networking;
# attr: xattrs in image layers; docker.io: the docker CLI where none is installed, and a reference
# dockerd that tests and benchmarks start on their own sockets (never as a service);
# skopeo/docker-registry/apache2-utils (htpasswd) /openssl: registry tests on 127.0.0.1;
# docker-compose (1.29, docker-py): the compose compatibility test.
PACKAGES=(ca-certificates curl iproute2 iptables runc conmon crun busybox-static tini attr kmod procps
  util-linux tar gzip zstd docker.io skopeo docker-registry apache2-utils openssl docker-compose)

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# The usage text is the comment block at the top of this file.
usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; }

ping_keeld() { curl -sf --max-time 2 --unix-socket "$SOCK" http://keel/_ping >/dev/null 2>&1; }

stop_keeld() {
  if [[ ! -s $PIDFILE ]]; then say "no keeld pid file at $PIDFILE: nothing to stop"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  [[ $pid =~ ^[0-9]+$ ]] || die "$PIDFILE does not hold a pid: $pid"
  if ! kill -0 "$pid" 2>/dev/null; then say "keeld ($pid) is not running"; rm -f "$PIDFILE"; return 0; fi
  # A pid file left by a crash may name a pid the kernel has since reused: only signal a keeld.
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'keeld'; then
    die "pid $pid from $PIDFILE is not a keeld; not stopping it (remove the stale $PIDFILE)"
  fi
  say "stopping keeld (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || { say "keeld stopped"; return 0; }; sleep 0.1; done
  die "keeld ($pid) did not stop within 15 s; see $LOG"
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    # docker.io is only needed for its dockerd and CLI; an existing docker CLI + dockerd will do.
    if [[ $p == docker.io ]] && command -v dockerd >/dev/null && command -v docker >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then say "system packages: all present"; return 0; fi
  say "installing: ${missing[*]}"
  local before; before=" $( { pgrep -x dockerd; pgrep -x containerd; pgrep -x docker-registry; } 2>/dev/null | tr '\n' ' ' || true) "
  # No service may start during install (docker.io and docker-registry ship daemons).
  # A policy-rc.d we create is removed again even when apt fails (the EXIT trap), or it would keep
  # blocking every service start on this machine; one that was already there is left alone.
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/keel-apt.log 2>&1 \
    || { tail -20 /tmp/keel-apt.log >&2; die "apt-get install failed (full log: /tmp/keel-apt.log)"; }
  if ((made_policy)); then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  # Belt and braces: no daemon the packages ship may be left running by this install.
  local d pid
  for d in dockerd containerd docker-registry; do
    for pid in $(pgrep -x "$d" || true); do
      if [[ " $before " != *" $pid "* ]]; then say "stopping $d ($pid) started by its package"; kill "$pid" || true; fi
    done
  done
}

main() {
  case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    --stop) stop_keeld; exit 0 ;;
    ""|--no-start) ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  [[ $(id -u) == 0 ]] || die "run as root (keel manages mounts, cgroups and network namespaces): sudo $0 $*"
  command -v node >/dev/null || die "Node.js 20 is required (node not found on PATH)"
  node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || die "Node.js >= 20 is required, found $(node -v)"
  install_packages
  say "installing node dependencies and building (npm ci)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  [[ ${1:-} == --no-start ]] && { say "installed; start keeld with: sudo $ROOT/dist/keeld.mjs"; exit 0; }
  if ping_keeld; then say "a keeld is already answering on $SOCK: leaving it running"; else
    say "starting keeld (log: $LOG)"
    mkdir -p /run/keel
    nohup "$ROOT/dist/keeld.mjs" >>"$LOG" 2>&1 </dev/null &
    local keeld_pid=$!
    # Poll for up to 20 s, but stop waiting as soon as keeld exits (bad daemon.json, socket busy…).
    for _ in $(seq 1 200); do
      ping_keeld && break
      kill -0 "$keeld_pid" 2>/dev/null || { tail -20 "$LOG" >&2; die "keeld exited during start; see the lines above and $LOG"; }
      sleep 0.1
    done
    ping_keeld || { tail -20 "$LOG" >&2; die "keeld did not answer on $SOCK within 20 s (pid $keeld_pid; log: $LOG)"; }
  fi
  say "keeld is running. Next:"
  echo "    export DOCKER_HOST=unix://$SOCK"
  echo "    docker version && docker info"
  echo "    npx keel plugin ls"
}

main "$@"
