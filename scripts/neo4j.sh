#!/usr/bin/env bash
# Run a local Neo4j Community 5.26 server for graphaudit, from the jars on Maven Central.
#
#   bash scripts/neo4j.sh start    # fetch jars once, start (or report the running one), write .neo4j/connection.env
#   bash scripts/neo4j.sh stop     # SIGTERM, up to 60 s, then SIGKILL; harmless when not running
#   bash scripts/neo4j.sh status   # exit 0 and print the URI when the server answers Bolt, else exit 1
#                                  # (start and status say when the last server ended without
#                                  # stop, and whether of an OutOfMemoryError)
#   bash scripts/neo4j.sh import ARGFILE
#                                  # stop the server, run `neo4j-admin database import full` with
#                                  # the arguments in ARGFILE (one a line) into database neo4j,
#                                  # start it again on the same port, leaving every
#                                  # connection.env as it was (`graphaudit load --bulk`
#                                  # writes ARGFILE). ARGFILE "-": the lines come on stdin,
#                                  # read once the server has stopped (the caller writes the
#                                  # import files meanwhile); none: no import, started again
#
# Everything lives in <repo>/.neo4j/ (git-ignored):
#   lib/             runtime jars from neo4j/pom.xml (refetched only when the pom changes)
#   shell/lib/       cypher-shell's jars from neo4j/cypher-shell.pom.xml (same rule), for
#                    `graphaudit shell`; shell/cypher-shell is its launcher
#   home/ conf/ data/ logs/ run/
#   password         password of user neo4j (kept so a restart on existing data logs in again)
#   neo4j.pid        pid of the java process
#   connection.env   NEO4J_URI / NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE, written once Bolt answers,
#                    GRAPHAUDIT_CYPHER_SHELL (the launcher above, when it was fetched) and
#                    GRAPHAUDIT_NEO4J_HOME (this .neo4j/: `load --bulk` finds the server's files by it)
#
# The same connection.env is copied to the per-user config folder that graphaudit reads from any
# directory: ${XDG_CONFIG_HOME:-~/.config}/graphaudit/connection.env (folder 700, file 600).
# `stop` removes that copy only while it still names this server.
#
# Hardening (docs/security.md): .neo4j/ is 700 and everything in it 700/600, also when it was
# created by an older start (fixed up on every start); the initial password reaches
# neo4j-admin through a Java argument file, never on a command line; LOAD CSV can read neither
# files (file URLs off, an empty import folder) nor the network (every address blocked).
#
# Optional environment: GRAPHAUDIT_NEO4J_HEAP_INIT (default 512m), GRAPHAUDIT_NEO4J_HEAP_MAX (1g),
# GRAPHAUDIT_NEO4J_PAGECACHE (256m), GRAPHAUDIT_NEO4J_TX_MEMORY (600m, all transactions together),
# GRAPHAUDIT_NEO4J_START_TIMEOUT (120 seconds); for `import`: GRAPHAUDIT_NEO4J_IMPORT_HEAP (1g)
# and GRAPHAUDIT_NEO4J_IMPORT_JVM (more options of the importer's JVM, separated by spaces).
set -euo pipefail
# Everything this script and the server it starts create is the user's alone: directories 700,
# files 600 (the store files hold personal data, auth.ini the password hash).
umask 077

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
POM="$REPO/neo4j/pom.xml"
STATE="$REPO/.neo4j"
LIB="$STATE/lib"
HOME_DIR="$STATE/home"
CONF_DIR="$STATE/conf"
DATA_DIR="$STATE/data"
LOGS_DIR="$STATE/logs"
RUN_DIR="$STATE/run"
PID_FILE="$STATE/neo4j.pid"
PASSWORD_FILE="$STATE/password"
PORT_FILE="$STATE/port"
CONN_FILE="$STATE/connection.env"
USER_CONF_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/graphaudit"
USER_CONN_FILE="$USER_CONF_DIR/connection.env"
CONSOLE_LOG="$LOGS_DIR/console.log"
STAMP="$LIB/.pom.sha256"
SHELL_POM="$REPO/neo4j/cypher-shell.pom.xml"
SHELL_DIR="$STATE/shell"
SHELL_LIB="$SHELL_DIR/lib"
SHELL_LAUNCHER="$SHELL_DIR/cypher-shell"

HEAP_INIT="${GRAPHAUDIT_NEO4J_HEAP_INIT:-512m}"
HEAP_MAX="${GRAPHAUDIT_NEO4J_HEAP_MAX:-1g}"
PAGECACHE="${GRAPHAUDIT_NEO4J_PAGECACHE:-256m}"
TX_MEMORY="${GRAPHAUDIT_NEO4J_TX_MEMORY:-600m}"
START_TIMEOUT="${GRAPHAUDIT_NEO4J_START_TIMEOUT:-120}"
STOP_TIMEOUT=60
USERNAME=neo4j
DATABASE=neo4j

MAIN_CLASS=org.neo4j.server.CommunityEntryPoint
ADMIN_CLASS=org.neo4j.cli.AdminTool   # what neo4j-admin runs in its child JVM
JVM_FLAGS=(
  # flags of the real launcher (bin/neo4j, 5.x)
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true
  -Djdk.nio.maxCachedBufferSize=1024
  -Dlog4j2.disable.jmx=true
  -XX:+UseG1GC
  -XX:-OmitStackTraceInFastThrow
  -XX:+DisableExplicitGC
  # Not -XX:+ExitOnOutOfMemoryError (bin/neo4j leaves it commented out too): with it, one
  # read-only query that builds a string or a list the transaction memory limit does not
  # track (docs/security.md) ran the heap out and the server exited, cutting every other
  # session off. Without it the query fails with Neo4j's OutOfMemoryError and the server
  # stays up (REPORT6 item 1).
)

# Class data sharing (JDK 13+ dynamic archives): a JVM's first run writes the classes it loaded
# to an archive as it exits (-XX:ArchiveClassesAtExit), later runs map them instead of loading
# and verifying them from the jars again (-XX:SharedArchiveFile): the server's start and the
# importer's each load thousands of classes. A JVM that finds the archive stale or unusable
# runs without it; a new jar set (fetch_jars) removes the archives, made again at the next exit.
# The JVM writes an archive read-only (400): private_archives makes it 600 like every file here.
private_archives() { chmod 600 "$STATE"/*.jsa 2>/dev/null || true; }
archive_current() { # NAME: $STATE/NAME.jsa exists and is newer than every jar
  [ -s "$STATE/$1.jsa" ] && [ -z "$(find "$LIB" -newer "$STATE/$1.jsa" -print -quit 2>/dev/null)" ]
}
cds_flag() { # cds_flag NAME: the flag for the archive $STATE/NAME.jsa
  local archive="$STATE/$1.jsa"
  if archive_current "$1"; then
    printf '%s\n' "-XX:SharedArchiveFile=$archive"
  else
    rm -f "$archive"
    printf '%s\n' "-XX:ArchiveClassesAtExit=$archive"
  fi
}
# The importer's JVM with its archive (made at exit when there is none yet), its heap and the
# extra options of GRAPHAUDIT_NEO4J_IMPORT_JVM (split on spaces; docs/benchmarks.md measured
# -XX:TieredStopAtLevel=1, C1 only, which saves the start of a short JVM some CPU). NEO4J_HOME
# and NEO4J_CONF come from the caller.
run_importer() { # ARGS...: the arguments of the admin tool
  local jvm=()
  read -r -a jvm <<<"${GRAPHAUDIT_NEO4J_IMPORT_JVM:-}"
  java -cp "$LIB/*" "$(cds_flag importer)" -Xmx"${GRAPHAUDIT_NEO4J_IMPORT_HEAP:-1g}" "${jvm[@]}" \
    "$@"
}
# A server started without its archive writes it once it answers (jcmd VM.cds dynamic_dump,
# which -XX:+RecordDynamicDumpInfo allows), and the importer's is made by importing two nodes
# into a scratch folder: both on the first start with a jar set, so that the first `load
# --bulk` pays for neither. Left to itself, the server wrote its archive as it exited, the
# stop inside a bulk load (7 s of CPU at 1,000,000 stores, beside the reading of the records
# on two cores), and the importer too (at the end of its run, with no archive to start from).
# Without jcmd (a JRE) the archives are written at exit as before.
write_archives() { # PID of the server just started with -XX:+RecordDynamicDumpInfo
  local t0 scratch="$STATE/cds-scratch"
  t0=$(date +%s.%N)
  jcmd "$1" VM.cds dynamic_dump "$STATE/server.jsa" >"$LOGS_DIR/cds.log" 2>&1 \
    || { rm -f "$STATE/server.jsa"; say "no server class archive (see $LOGS_DIR/cds.log)"; }
  say "wrote the server's class archive in $(seconds_since "$t0") s"
  if ! archive_current importer; then
    rm -rf "$scratch"
    mkdir -p "$scratch/conf"
    printf 'server.directories.data=%s\nserver.directories.logs=%s\n' "$scratch/data" \
      "$scratch/logs" >"$scratch/conf/neo4j.conf"
    printf 'id:ID,key\n1,a\n2,b\n' >"$scratch/nodes.csv"
    printf ':START_ID,:END_ID,raw\n1,2,x\n' >"$scratch/links.csv"
    NEO4J_HOME="$HOME_DIR" NEO4J_CONF="$scratch/conf" run_importer "$ADMIN_CLASS" database \
      import full neo4j --nodes=N="$scratch/nodes.csv" --relationships=R="$scratch/links.csv" \
      --report-file="$scratch/import.report" >>"$LOGS_DIR/cds.log" 2>&1 \
      || { rm -f "$STATE/importer.jsa"; say "no importer class archive (see $LOGS_DIR/cds.log)"; }
    rm -rf "$scratch"
  fi
  private_archives
  say "wrote the class archives in $(seconds_since "$t0") s (the first start with these jars only)"
}

say() { printf 'neo4j.sh: %s\n' "$*"; }
err() { printf 'neo4j.sh: error: %s\n' "$*" >&2; }
seconds_since() { python3 -c "import sys;print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }

# ---------------------------------------------------------------------------------------------
# Python used for the Bolt checks: the project venv when it has the driver. The driver is
# found, not imported: importing it cost 1.1 s of CPU (11.7 s wall at load 16) on every start,
# the one after a bulk import included, and the probe imports it anyway.
PY=""
pick_python() {
  local cand
  for cand in "$REPO/.venv/bin/python" python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c \
        'import importlib.util, sys; sys.exit(importlib.util.find_spec("neo4j") is None)' \
        >/dev/null 2>&1; then
      PY="$cand"
      return 0
    fi
  done
  PY=""
}

# One Python program for every Bolt check. Settings come through the environment so the
# password never shows on a command line.
#   PROBE_MODE=wait  : wait until Bolt logs in (PROBE_PID must stay alive, PROBE_TIMEOUT seconds)
#   PROBE_MODE=check : one attempt
# Prints the Neo4j version on success. Exit codes: 0 up, 1 not answering, 2 process died, 3 timeout.
IFS= read -r -d '' PROBE_PY <<'PYEOF' || true
import os, socket, sys, time

mode = os.environ["PROBE_MODE"]
port = int(os.environ["PROBE_PORT"])
pid = int(os.environ.get("PROBE_PID") or 0)
timeout = float(os.environ.get("PROBE_TIMEOUT") or 0)
password = os.environ["PROBE_PASSWORD"]
user = os.environ["PROBE_USER"]
uri = f"bolt://127.0.0.1:{port}"

def alive(p):
    try:
        with open(f"/proc/{p}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False

def port_open():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False

try:
    import neo4j
    from neo4j import GraphDatabase
except ImportError:
    neo4j = None

last = "port not open yet"

def attempt():
    global last
    if not port_open():
        last = f"nothing listens on 127.0.0.1:{port}"
        return None
    if neo4j is None:
        return "unknown (no neo4j Python driver: only the TCP port was checked)"
    try:
        with GraphDatabase.driver(uri, auth=(user, password), connection_timeout=5) as driver:
            driver.verify_connectivity()
            records, _, _ = driver.execute_query(
                "CALL dbms.components() YIELD name, versions, edition "
                "RETURN name, versions, edition", database_="system")
            return ", ".join(
                "%s %s %s" % (r["name"], "/".join(r["versions"]), r["edition"]) for r in records)
    except neo4j.exceptions.AuthError as e:
        last = f"authentication failed: {e.message}"
    except Exception as e:
        last = f"{type(e).__name__}: {e}"
    return None

if mode == "check":
    v = attempt()
    if v:
        print(v)
        sys.exit(0)
    print(last, file=sys.stderr)
    sys.exit(1)

deadline = time.monotonic() + timeout
while True:
    if pid and not alive(pid):
        print(f"the java process {pid} exited", file=sys.stderr)
        sys.exit(2)
    v = attempt()
    if v:
        print(v)
        sys.exit(0)
    if time.monotonic() > deadline:
        print(f"not up after {timeout:.0f} s (last check: {last})", file=sys.stderr)
        sys.exit(3)
    time.sleep(0.1)  # a refused connect costs nothing; the start waits for this loop
PYEOF

probe() { # probe MODE PORT PASSWORD [PID TIMEOUT]
  local py="${PY:-python3}"
  PROBE_MODE="$1" PROBE_PORT="$2" PROBE_PASSWORD="$3" PROBE_PID="${4:-}" PROBE_TIMEOUT="${5:-0}" \
    PROBE_USER="$USERNAME" "$py" -c "$PROBE_PY"
}

# ---------------------------------------------------------------------------------------------
# Process helpers

pid_alive() { # running (not a zombie)
  local state
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

is_our_server() { # pid is a live java running CommunityEntryPoint on our home dir
  pid_alive "$1" || return 1
  tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "--home-dir=$HOME_DIR"
}

# The server pid: the pid file when it names our server, else a process whose command line has
# exactly our --home-dir (covers a lost pid file). Prints nothing when no server runs.
server_pid() {
  local pid p
  if [ -f "$PID_FILE" ]; then
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    if [ -n "$pid" ] && is_our_server "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  # One grep reads every command line (NUL-separated arguments, one of them exactly ours); a
  # loop of is_our_server over /proc forked four programs per process: 6 s with 106 processes
  # at load 15, on the path of the start after a bulk import (cmd_stop removed the pid file).
  # Its own command line matches too, and is gone by the time is_our_server checks it.
  for p in $(grep -lxzF -- "--home-dir=$HOME_DIR" /proc/[0-9]*/cmdline 2>/dev/null); do
    p="${p#/proc/}"
    p="${p%/cmdline}"
    if is_our_server "$p"; then
      echo "$p"
      return 0
    fi
  done
  return 0
}

# Directories 700, files 600, for everything under .neo4j/ (symlinks are not followed).
fix_permissions() {
  chmod 700 "$STATE"
  find "$STATE" -mindepth 1 -type d ! -perm 700 -exec chmod 700 {} + 2>/dev/null || true
  find "$STATE" -mindepth 1 -type f ! -perm 600 -exec chmod 600 {} + 2>/dev/null || true
}

current_port() { [ -f "$PORT_FILE" ] && tr -dc '0-9' <"$PORT_FILE"; }
current_password() { [ -f "$PASSWORD_FILE" ] && cat "$PASSWORD_FILE"; }

show_log_tail() {
  local f
  for f in "$CONSOLE_LOG" "$LOGS_DIR/debug.log"; do
    if [ -s "$f" ]; then
      echo "----- last 40 lines of $f -----" >&2
      tail -n 40 "$f" >&2
      echo "-----" >&2
      return 0
    fi
  done
  echo "(no server log in $LOGS_DIR)" >&2
}

# A server gone without `stop` leaves its pid file: say so, and why when its console log
# knows (an OutOfMemoryError: with -XX:+ExitOnOutOfMemoryError, which older starts gave, one
# query could end the server). Prints nothing when the last server was stopped.
report_dead_server() {
  local pid oom
  [ -f "$PID_FILE" ] || return 0
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  oom="$(grep -a -o 'Terminating due to java.lang.OutOfMemoryError.*\|java.lang.OutOfMemoryError.*' \
    "$CONSOLE_LOG" 2>/dev/null | tail -n 1 | cut -c1-200 || true)"
  if [ -n "$oom" ]; then
    say "the last server (pid ${pid:-?}) died of an OutOfMemoryError (\"$oom\" in $CONSOLE_LOG)" >&2
  else
    say "the last server (pid ${pid:-?}) exited without \`stop\` (see $CONSOLE_LOG)" >&2
  fi
}

kill_server() { # kill_server PID: SIGTERM, wait, SIGKILL
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if [ "$waited" -ge $((STOP_TIMEOUT * 2)) ]; then
      say "no exit after ${STOP_TIMEOUT} s: sending SIGKILL to $pid"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

# ---------------------------------------------------------------------------------------------
# Jars

fetch_jars() {
  local sum tmp mvnlog
  [ -f "$POM" ] || { err "missing $POM"; exit 1; }
  sum="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$sum" ] && compgen -G "$LIB/*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || { err "mvn (Maven) is not installed; it is needed once to fetch the Neo4j jars"; exit 1; }
  tmp="$STATE/lib.download"
  mvnlog="$LOGS_DIR/mvn.log"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$LOGS_DIR"
  say "fetching Neo4j jars with Maven (neo4j/pom.xml) into .neo4j/lib (first run only; log: .neo4j/logs/mvn.log)"
  local t0=$SECONDS
  if ! mvn -B -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$mvnlog" 2>&1; then
    err "Maven could not fetch the Neo4j jars (mvn dependency:copy-dependencies -f neo4j/pom.xml failed)."
    if grep -q '^\[ERROR\]' "$mvnlog"; then
      grep '^\[ERROR\]' "$mvnlog" | grep -v '^\[ERROR\] *$' | head -n 25 >&2
    else
      tail -n 25 "$mvnlog" >&2
    fi
    err "full Maven output: $mvnlog  (Maven Central must be reachable, or the jars in ~/.m2)"
    rm -rf "$tmp"
    exit 1
  fi
  if ! compgen -G "$tmp/neo4j-server-*.jar" >/dev/null || ! compgen -G "$tmp/neo4j-[0-9]*.jar" >/dev/null; then
    err "Maven succeeded but neo4j-server / neo4j jars are missing in its output; see $mvnlog"
    rm -rf "$tmp"
    exit 1
  fi
  rm -rf "$LIB"
  mv "$tmp" "$LIB"
  echo "$sum" >"$STAMP"
  say "fetched $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $((SECONDS - t0)) s"
}

# cypher-shell for `graphaudit shell`: fetched like the server's jars, but a failure only warns
# (the server runs without it). Writes a launcher that runs it on the Java of this machine.
fetch_shell() {
  local sum tmp mvnlog
  [ -f "$SHELL_POM" ] || return 0
  sum="$(sha256sum "$SHELL_POM" | cut -d' ' -f1)"
  if ! { [ -f "$SHELL_LIB/.pom.sha256" ] && [ "$(cat "$SHELL_LIB/.pom.sha256")" = "$sum" ] \
         && compgen -G "$SHELL_LIB/cypher-shell-*.jar" >/dev/null; }; then
    if ! command -v mvn >/dev/null 2>&1; then
      say "warning: mvn (Maven) is not installed: cypher-shell not fetched (graphaudit shell needs it)"
      return 0
    fi
    tmp="$SHELL_DIR/lib.download"
    mvnlog="$LOGS_DIR/mvn-cypher-shell.log"
    rm -rf "$tmp"
    mkdir -p "$tmp" "$LOGS_DIR"
    say "fetching cypher-shell with Maven (neo4j/cypher-shell.pom.xml) into .neo4j/shell/lib (first run only)"
    if ! mvn -B -f "$SHELL_POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$mvnlog" 2>&1 \
        || ! compgen -G "$tmp/cypher-shell-*.jar" >/dev/null; then
      say "warning: Maven could not fetch cypher-shell (log: $mvnlog); graphaudit shell needs it"
      rm -rf "$tmp"
      return 0
    fi
    rm -rf "$SHELL_LIB"
    mv "$tmp" "$SHELL_LIB"
    echo "$sum" >"$SHELL_LIB/.pom.sha256"
  fi
  # The launcher holds no secret: graphaudit shell gives the password in NEO4J_PASSWORD.
  printf '#!/usr/bin/env bash\n# Written by scripts/neo4j.sh: cypher-shell 5.26 from .neo4j/shell/lib.\nexec java -Xmx256m -cp %q org.neo4j.shell.Main "$@"\n' \
    "$SHELL_LIB/*" >"$SHELL_LAUNCHER.tmp"
  chmod 700 "$SHELL_LAUNCHER.tmp"
  mv "$SHELL_LAUNCHER.tmp" "$SHELL_LAUNCHER"
}

# ---------------------------------------------------------------------------------------------
# Config

free_port() {
  local prev
  prev="$(current_port || true)"
  python3 - "$prev" <<'EOF'
import socket, sys
prev = sys.argv[1]
if prev.isdigit():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server does: TIME_WAIT is fine
    try:
        s.bind(("127.0.0.1", int(prev)))   # keep the URI of the last run when the port is free
        print(prev)
        sys.exit(0)
    except OSError:
        pass
    finally:
        s.close()
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

write_conf() { # write_conf PORT [FILE]: the settings of this script, into FILE (neo4j.conf)
  local target="${2:-$CONF_DIR/neo4j.conf}" tmp="$CONF_DIR/neo4j.conf.tmp"
  cat >"$tmp" <<EOF
# Written by scripts/neo4j.sh on every start: edits here are overwritten.
# JVM: ${JVM_FLAGS[*]} -Xms$HEAP_INIT -Xmx$HEAP_MAX
# (not a setting: the line makes \`start\` restart a server started with other JVM flags)
server.directories.data=$DATA_DIR
server.directories.logs=$LOGS_DIR
server.directories.run=$RUN_DIR
server.directories.import=$STATE/import
server.directories.plugins=$STATE/plugins

server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$1
server.bolt.advertised_address=127.0.0.1:$1
server.http.enabled=false
server.https.enabled=false

dbms.security.auth_enabled=true
dbms.usage_report.enabled=false

# LOAD CSV reaches neither files nor the network (graphaudit loads through Bolt parameters).
dbms.security.allow_csv_import_from_file_urls=false
internal.dbms.cypher_ip_blocklist=0.0.0.0/0,::/0

# Memory: the heap is set with -Xms/-Xmx on the java command line.
server.memory.pagecache.size=$PAGECACHE
dbms.memory.transaction.total.max=$TX_MEMORY

# Keep the transaction logs of a dev box small.
db.tx_log.rotation.retention_policy=2 files
EOF
  mv "$tmp" "$target"
}

# True when the running server's neo4j.conf is what this script writes today.
conf_current() { # PORT
  local fresh="$CONF_DIR/neo4j.conf.check" same=0
  write_conf "$1" "$fresh"
  cmp -s "$fresh" "$CONF_DIR/neo4j.conf" && same=1
  rm -f "$fresh"
  [ "$same" = 1 ]
}

# ---------------------------------------------------------------------------------------------
# Commands

write_connection_env() { # PORT PASSWORD
  local tmp="$CONN_FILE.tmp"
  (
    umask 077
    printf 'NEO4J_URI=bolt://127.0.0.1:%s\nNEO4J_USERNAME=%s\nNEO4J_PASSWORD=%s\nNEO4J_DATABASE=%s\n' \
      "$1" "$USERNAME" "$2" "$DATABASE" >"$tmp"
    if [ -x "$SHELL_LAUNCHER" ]; then
      printf 'GRAPHAUDIT_CYPHER_SHELL=%s\n' "$SHELL_LAUNCHER" >>"$tmp"
    fi
    printf 'GRAPHAUDIT_NEO4J_HOME=%s\n' "$STATE" >>"$tmp"
  )
  mv "$tmp" "$CONN_FILE"
  # the restart around a bulk import leaves the caller's saved connection as it was
  [ -n "${KEEP_USER_CONN:-}" ] && return 0
  (
    umask 077
    mkdir -p "$USER_CONF_DIR"
    cp "$CONN_FILE" "$USER_CONN_FILE.tmp"
  )
  mv "$USER_CONN_FILE.tmp" "$USER_CONN_FILE"
}

# Remove the per-user copy of connection.env when it describes this checkout's server.
remove_connection_env() {
  [ -n "${KEEP_USER_CONN:-}" ] && return 0   # a restart around a bulk import: same server after
  if [ -f "$CONN_FILE" ] && [ -f "$USER_CONN_FILE" ] && cmp -s "$CONN_FILE" "$USER_CONN_FILE"; then
    rm -f "$USER_CONN_FILE"
  fi
  rm -f "$CONN_FILE"
}

# Wait for Bolt; on failure show the log, kill the server, exit 1.
wait_ready() { # PID PORT PASSWORD
  local pid="$1" port="$2" password="$3" rc=0 version
  version="$(probe wait "$port" "$password" "$pid" "$START_TIMEOUT" 2>"$STATE/probe.err")" || rc=$?
  if [ "$rc" -ne 0 ]; then
    case "$rc" in
      2) err "Neo4j exited during startup ($(cat "$STATE/probe.err"))" ;;
      3) err "Neo4j did not answer Bolt on 127.0.0.1:$port within ${START_TIMEOUT} s: $(cat "$STATE/probe.err")" ;;
      *) err "Bolt check failed: $(cat "$STATE/probe.err")" ;;
    esac
    rm -f "$STATE/probe.err"
    show_log_tail
    if pid_alive "$pid"; then
      say "stopping the half-started server (pid $pid)"
      kill_server "$pid"
    fi
    remove_connection_env
    rm -f "$PID_FILE"
    exit 1
  fi
  rm -f "$STATE/probe.err"
  VERSION="$version"
}

cmd_start() {
  local pid port password t0

  command -v java >/dev/null 2>&1 || { err "java is not installed (Neo4j 5.26 needs Java 17 or 21)"; exit 1; }
  mkdir -p "$STATE"
  # One start/stop at a time. fd 9 is closed for java below, so the lock ends with this script.
  exec 9>"$STATE/lock"
  flock -w 300 9 || { err "another neo4j.sh holds $STATE/lock"; exit 1; }
  fix_permissions   # a store created by an older start was 755/644
  pick_python
  [ -n "$PY" ] || say "warning: no Python with the neo4j driver (.venv missing?): readiness is only a TCP check"

  fetch_shell
  pid="$(server_pid)"
  [ -n "$pid" ] || report_dead_server
  port="$(current_port || true)"
  if [ -n "$pid" ] && [ -n "$port" ] && [ -d "$CONF_DIR" ] && ! conf_current "$port"; then
    # e.g. a server started before LOAD CSV was locked: settings apply only on a start
    say "the server (pid $pid) runs with older settings than scripts/neo4j.sh writes: restarting it"
    kill_server "$pid"
    pid=""
  fi
  if [ -n "$pid" ]; then
    password="$(current_password || true)"
    if [ -n "$port" ] && [ -n "$password" ] && VERSION="$(probe check "$port" "$password" 2>/dev/null)"; then
      echo "$pid" >"$PID_FILE"
      write_connection_env "$port" "$password"
      say "already running (pid $pid): $VERSION at bolt://127.0.0.1:$port"
      return 0
    fi
    if [ -z "$port" ] || [ -z "$password" ]; then
      err "a server on $HOME_DIR runs (pid $pid) but .neo4j/port or .neo4j/password is missing; run: bash scripts/neo4j.sh stop"
      exit 1
    fi
    say "server process $pid exists but Bolt does not answer yet: waiting up to ${START_TIMEOUT} s"
    wait_ready "$pid" "$port" "$password"
    write_connection_env "$port" "$password"
    say "running (pid $pid): $VERSION at bolt://127.0.0.1:$port"
    return 0
  fi
  remove_connection_env
  rm -f "$PID_FILE"

  fetch_jars
  mkdir -p "$HOME_DIR" "$CONF_DIR" "$DATA_DIR" "$LOGS_DIR" "$RUN_DIR" "$STATE/import" "$STATE/plugins"

  # Password: reuse the one the existing data was created with; a new one for a fresh store.
  local has_system_db=0
  [ -d "$DATA_DIR/databases/system" ] && has_system_db=1
  password="$(current_password || true)"
  if [ -z "$password" ]; then
    if [ "$has_system_db" = 1 ]; then
      err "$DATA_DIR holds databases but .neo4j/password is missing, so the neo4j password is unknown."
      err "To start over with an empty store: rm -rf '$DATA_DIR' and run start again."
      exit 1
    fi
    # letters and digits only: never starts with '-', survives any quoting
    password="$(python3 -c 'import secrets,string;a=string.ascii_letters+string.digits;print("".join(secrets.choice(a) for _ in range(24)))')"
    (umask 077; printf '%s\n' "$password" >"$PASSWORD_FILE.tmp")
    mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
  fi

  if [ -n "${KEEP_USER_CONN:-}" ] && [ -n "$(current_port || true)" ]; then
    port="$(current_port)"   # the saved connection names this port: the server keeps it
  else
    port="$(free_port)"
  fi
  echo "$port" >"$PORT_FILE"
  write_conf "$port"

  if [ "$has_system_db" = 0 ]; then
    # Only acts before the first start: it writes data/dbms/auth.ini, which the first start imports.
    # The password goes in a Java argument file (600, removed at once), so `ps` shows only
    # @file: the java launcher expands it before the main class sees its arguments.
    local adminlog="$LOGS_DIR/set-initial-password.log" argfile="$STATE/admin.args" rc=0
    printf '%s\n' "$ADMIN_CLASS" dbms set-initial-password "$password" >"$argfile"
    NEO4J_HOME="$HOME_DIR" NEO4J_CONF="$CONF_DIR" \
      java -cp "$LIB/*" -Xmx256m "@$argfile" >"$adminlog" 2>&1 || rc=$?
    rm -f "$argfile"
    if [ "$rc" -ne 0 ]; then
      err "neo4j-admin dbms set-initial-password failed:"
      tail -n 20 "$adminlog" >&2
      exit 1
    fi
  fi

  [ -s "$CONSOLE_LOG" ] && mv -f "$CONSOLE_LOG" "$CONSOLE_LOG.1"   # keep the previous run's log
  : >"$CONSOLE_LOG"
  local cds
  cds="$(cds_flag server)"
  if [[ "$cds" == -XX:ArchiveClassesAtExit=* ]] && command -v jcmd >/dev/null 2>&1; then
    cds=-XX:+RecordDynamicDumpInfo   # write_archives writes it once the server answers
  fi
  t0=$(date +%s.%N)
  # setsid: own session, so the server outlives this shell and its terminal. The inner shell
  # writes its pid and execs java, so the pid file names java even if setsid forks.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    java -cp "$LIB/*" "${JVM_FLAGS[@]}" "$cds" -Xms"$HEAP_INIT" -Xmx"$HEAP_MAX" \
    "$MAIN_CLASS" --home-dir="$HOME_DIR" --config-dir="$CONF_DIR" --console-mode \
    </dev/null >>"$CONSOLE_LOG" 2>&1 9>&- &
  local i
  for i in $(seq 1 50); do
    [ -s "$PID_FILE" ] && break
    sleep 0.1
  done
  pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
  if [ -z "$pid" ]; then
    err "the java process did not start"
    show_log_tail
    exit 1
  fi
  say "starting Neo4j (pid $pid, heap $HEAP_INIT..$HEAP_MAX, page cache $PAGECACHE) on bolt://127.0.0.1:$port"
  wait_ready "$pid" "$port" "$password"
  write_connection_env "$port" "$password"
  say "started in $(seconds_since "$t0") s: $VERSION"
  [ "$cds" = -XX:+RecordDynamicDumpInfo ] && write_archives "$pid"
  say "URI bolt://127.0.0.1:$port  user $USERNAME  database $DATABASE  (credentials in $USER_CONN_FILE)"
}

cmd_stop() {
  local pid
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  flock -w 300 9 || { err "another neo4j.sh holds $STATE/lock"; exit 1; }
  pid="$(server_pid)"
  if [ -z "$pid" ]; then
    say "not running"
    remove_connection_env
    rm -f "$PID_FILE"
    return 0
  fi
  say "stopping Neo4j (pid $pid)"
  kill_server "$pid"
  private_archives
  if pid_alive "$pid"; then
    err "process $pid is still alive after SIGKILL"
    exit 1
  fi
  remove_connection_env
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid port password version
  pid="$(server_pid)"
  if [ -z "$pid" ]; then
    echo "neo4j.sh: not running" >&2
    report_dead_server
    return 1
  fi
  port="$(current_port || true)"
  password="$(current_password || true)"
  if [ -z "$port" ] || [ -z "$password" ]; then
    echo "neo4j.sh: process $pid runs but .neo4j/port or .neo4j/password is missing" >&2
    return 1
  fi
  pick_python
  if ! version="$(probe check "$port" "$password" 2>&1)"; then
    echo "neo4j.sh: process $pid runs but Bolt does not answer on 127.0.0.1:$port: $version" >&2
    return 1
  fi
  echo "bolt://127.0.0.1:$port"
  echo "neo4j.sh: running (pid $pid): $version" >&2
}


# The bulk importer into database neo4j: the server is stopped, the import runs (its own JVM,
# from the server's jars) under the lock cmd_stop took, and the server is started again, also
# when the import failed (the caller reports the failure; the log says how far it got).
# ARGFILE "-" reads the argument lines from stdin after the stop, so that stopping the server
# (10 s with a 4 GiB heap) overlaps the caller's writing of the import files; an empty stdin
# (the caller failed) imports nothing and starts the server again.
cmd_import() {
  local argfile="${1:-}" rc=0 log="$LOGS_DIR/import.log"
  { [ "$argfile" = - ] || [ -f "$argfile" ]; } \
    || { err "usage: $0 import ARGFILE|- (one argument a line)"; exit 2; }
  [ -d "$LIB" ] && [ -d "$CONF_DIR" ] || { err "no local server here yet: run start first"; exit 1; }
  # the same server (port, password) runs again after: every connection file stays as it was,
  # the per-user one of the caller (XDG_CONFIG_HOME) and .neo4j/connection.env alike
  KEEP_USER_CONN=1
  (
    local t0 args="$STATE/import.args.in"
    t0=$(date +%s.%N)
    cmd_stop   # keeps fd 9, the lock, until this subshell ends
    say "stopped in $(seconds_since "$t0") s"
    rm -f "$log"   # a failure shows this import's log, never the last one's
    if [ "$argfile" = - ]; then
      cat >"$args"
      if [ ! -s "$args" ]; then
        rm -f "$args"
        err "no import arguments on stdin: nothing imported"
        exit 1
      fi
    else
      cp "$argfile" "$args"
    fi
    say "importing into database neo4j (neo4j-admin database import full; log: $log)"
    # a Java argument file (the launcher expands it): the main class, the command, the
    # argument lines (graphaudit writes them quoted for it), the database
    { printf '%s\n' "$ADMIN_CLASS" database import full; cat "$args"; printf 'neo4j\n'; } \
      >"$STATE/import.args"
    rm -f "$args"
    t0=$(date +%s.%N)
    NEO4J_HOME="$HOME_DIR" NEO4J_CONF="$CONF_DIR" run_importer "@$STATE/import.args" \
      >"$log" 2>&1 || rc=$?
    rm -f "$STATE/import.args"
    private_archives
    say "the importer ran $(seconds_since "$t0") s (its JVM's start included)"
    exit "$rc"
  ) || rc=$?
  if [ "$rc" -ne 0 ] && [ -s "$log" ]; then
    err "the bulk import failed (exit $rc); last lines of $log:"
    tail -n 25 "$log" >&2 || true
  fi
  cmd_start
  return "$rc"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  import) cmd_import "${2:-}" ;;
  *)
    echo "usage: $0 start|stop|status|import ARGFILE" >&2
    exit 2
    ;;
esac
