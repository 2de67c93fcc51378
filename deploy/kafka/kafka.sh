#!/usr/bin/env bash
# A local single-node Apache Kafka broker (KRaft, broker and controller in one JVM) for Kết Nối,
# run from the jars on Maven Central with plain `java -cp`: no Docker, no Apache mirror.
#
#   deploy/kafka/kafka.sh fetch | start | stop | status | logs [-f]
#   deploy/kafka/kafka.sh perf-producer ARGS... | perf-consumer ARGS... | topics ARGS...
#   deploy/kafka/kafka.sh run-class CLASS ARGS...
#
# See deploy/kafka/README.md for the environment variables and where jars, data and logs go.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"
POM="$SCRIPT_DIR/pom.xml"
BROKER_LOG4J="$SCRIPT_DIR/log4j2.xml"
TOOLS_LOG4J="$SCRIPT_DIR/tools-log4j2.xml"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_TOOLS_HEAP_OPTS="${KAFKA_TOOLS_HEAP_OPTS:--Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

CACHE_ROOT="$(abspath "${KETNOI_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/ketnoi}")"
DIST_DIR="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS_DIR="$DIST_DIR/libs"
FETCH_MARKER="$DIST_DIR/.fetch-complete"

STATE_ROOT="$(abspath "${KETNOI_STATE_DIR:-$REPO_ROOT/.state}")"
STATE_DIR="$STATE_ROOT/kafka"
DATA_DIR="$STATE_DIR/data"
LOG_DIR="$STATE_DIR/logs"
PROPS="$STATE_DIR/server.properties"
PID_FILE="$STATE_DIR/kafka.pid"
CLUSTER_ID_FILE="$STATE_DIR/cluster.id"
SERVER_LOG="$LOG_DIR/server.log"
OUT_LOG="$LOG_DIR/kafka.out"

# Written by the broker's log4j2 config (kafka.server.KafkaRaftServer at INFO) once it serves.
STARTED_MESSAGE="Kafka Server started"

log() { printf 'kafka.sh: %s\n' "$*"; }
warn() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
for _v in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT; do
  is_uint "${!_v}" || die "$_v must be a whole number, got '${!_v}'"
done
[[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

# ---------------------------------------------------------------------------------------------
# Java and Maven

JAVA=""
find_java() {
  [[ -z "$JAVA" ]] || return 0
  if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "Java 17 or newer is needed: apt-get install openjdk-17-jre-headless"
  fi
  local version major
  version="$("$JAVA" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }')"
  major="${version%%.*}"
  if [[ "$major" == 1 ]]; then # 1.8.0_x style
    major="$(printf '%s' "$version" | cut -d. -f2)"
  fi
  major="${major%%[!0-9]*}"
  if [[ -z "$major" ]] || ((major < 17)); then
    die "Java 17 or newer is needed (found '${version:-unknown}' at $JAVA): apt-get install openjdk-17-jre-headless"
  fi
}

file_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    cksum "$1" | cut -d' ' -f1
  fi
}

# The marker records which pom and Kafka version the jars came from, so editing the pom or
# KAFKA_VERSION fetches again.
fetch_stamp() { printf 'kafka=%s log4j=%s pom=%s\n' "$KAFKA_VERSION" "${KAFKA_LOG4J_VERSION:-pom}" "$(file_sha256 "$POM")"; }

jars_ready() {
  [[ -f "$FETCH_MARKER" && -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] &&
    [[ "$(cat "$FETCH_MARKER")" == "$(fetch_stamp)" ]]
}

# Runs "$@" holding an exclusive lock on file $1 (when flock exists), on file descriptor $2.
# The broker is started with those descriptors closed so that it never inherits a lock.
take_lock() {
  local file="$1" fd="$2"
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$(dirname -- "$file")"
  eval "exec $fd>\"\$file\""
  flock -w 600 "$fd" || die "could not lock $file within 600 s (another kafka.sh still running?)"
}
drop_lock() { eval "exec $1>&-"; }

cmd_fetch() {
  local quiet="${1:-}"
  find_java
  if jars_ready; then
    [[ "$quiet" == quiet ]] || log "Kafka $KAFKA_VERSION jars are already fetched: $LIBS_DIR"
    return 0
  fi
  mkdir -p "$DIST_DIR"
  take_lock "$DIST_DIR/.fetch.lock" 8
  if jars_ready; then # another kafka.sh fetched them while we waited
    drop_lock 8
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "Maven is needed to fetch Kafka's jars: apt-get install maven"
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS_DIR (once; about 45 MB)"
  local tmp="$DIST_DIR/libs.tmp.$$"
  rm -rf -- "$tmp"
  local mvn_log="$DIST_DIR/fetch.log"
  local -a mvn_args=(-B -Dstyle.color=never -f "$POM" "-Dkafka.version=$KAFKA_VERSION"
    dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp")
  [[ -z "${KAFKA_LOG4J_VERSION:-}" ]] || mvn_args+=("-Dlog4j.version=$KAFKA_LOG4J_VERSION")
  # Maven's whole output goes to a file (Maven 3.8 writes stray ANSI codes even with -B -q).
  if ! mvn "${mvn_args[@]}" </dev/null >"$mvn_log" 2>&1; then
    rm -rf -- "$tmp"
    warn "last 40 lines of $mvn_log:"
    tail -n 40 "$mvn_log" | sed $'s/\x1b\[[0-9;]*m//g' >&2
    die "Maven could not fetch Kafka $KAFKA_VERSION's jars (is Maven Central reachable?)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || {
    rm -rf -- "$tmp"
    die "Maven finished but $tmp/kafka_2.13-$KAFKA_VERSION.jar is missing"
  }
  rm -rf -- "$LIBS_DIR"
  mv -- "$tmp" "$LIBS_DIR"
  fetch_stamp >"$FETCH_MARKER"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l | tr -d ' ') jars ($(du -sh "$LIBS_DIR" | cut -f1)) into $LIBS_DIR"
  drop_lock 8
}

# ---------------------------------------------------------------------------------------------
# Process helpers

proc_args() {
  if [[ -r "/proc/$1/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true
  else
    ps -ww -o args= -p "$1" 2>/dev/null || true
  fi
}
proc_state() { ps -o stat= -p "$1" 2>/dev/null || awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true; }

# Alive and not a zombie.
is_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(proc_state "$1")" != Z* ]]
}

is_our_broker() {
  is_uint "$1" && is_alive "$1" && [[ "$(proc_args "$1")" == *"kafka.Kafka $PROPS"* ]]
}

# Prints the pid of the broker that this script started for this state dir, if it runs.
broker_pid() {
  local pid=""
  [[ -f "$PID_FILE" ]] && pid="$(tr -dc '0-9' <"$PID_FILE")"
  if [[ -n "$pid" ]] && is_our_broker "$pid"; then
    printf '%s\n' "$pid"
    return 0
  fi
  # Pid file missing or stale: look for a broker that runs with exactly our server.properties.
  if command -v pgrep >/dev/null 2>&1; then
    local cand
    for cand in $(pgrep -f 'kafka\.Kafka ' 2>/dev/null || true); do
      if is_our_broker "$cand"; then
        printf '%s\n' "$cand" >"$PID_FILE"
        printf '%s\n' "$cand"
        return 0
      fi
    done
  fi
  return 0
}

port_open() {
  local port="$1"
  if command -v timeout >/dev/null 2>&1; then
    timeout 3 bash -c ": <>/dev/tcp/$KAFKA_HOST/$port" 2>/dev/null
  else
    (: <>"/dev/tcp/$KAFKA_HOST/$port") 2>/dev/null
  fi
}

# The client port of the running broker, from the server.properties it was started with.
running_port() {
  local p=""
  [[ -f "$PROPS" ]] && p="$(sed -n 's#^listeners=PLAINTEXT://[^:]*:\([0-9][0-9]*\).*#\1#p' "$PROPS" | head -n1)"
  printf '%s\n' "${p:-$KAFKA_PORT}"
}

# True once the broker with pid $1 has logged "Kafka Server started" (the log4j2 pattern tags
# every line with the JVM's pid, so lines left by an earlier run do not count).
started_logged() {
  [[ -f "$SERVER_LOG" ]] || return 1
  awk -v tag="[pid $1] " -v msg="$STARTED_MESSAGE" \
    'index($0, tag) && index($0, msg) { found = 1; exit } END { exit !found }' "$SERVER_LOG"
}

show_log_tail() {
  local lines="${1:-40}"
  if [[ -s "$SERVER_LOG" ]]; then
    warn "last $lines lines of $SERVER_LOG:"
    tail -n "$lines" "$SERVER_LOG" >&2
  fi
  if [[ -s "$OUT_LOG" ]]; then
    warn "last $lines lines of $OUT_LOG (the JVM's stdout and stderr):"
    tail -n "$lines" "$OUT_LOG" >&2
  fi
}

# SIGTERM (controlled shutdown), then SIGKILL after $2 seconds.
terminate() {
  local pid="$1" grace="$2" deadline
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while is_alive "$pid" && ((SECONDS < deadline)); do sleep 0.25; done
  if is_alive "$pid"; then
    warn "Kafka (pid $pid) did not exit within ${grace} s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while is_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    ! is_alive "$pid" || die "Kafka (pid $pid) is still alive after SIGKILL"
  fi
}

# ---------------------------------------------------------------------------------------------
# Broker

write_server_properties() {
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  cat >"$PROPS.tmp" <<EOF
# Written by deploy/kafka/kafka.sh on every start; edit the script, not this file.
# Single-node KRaft: one process is both broker and controller, with a static voter set.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=$DATA_DIR
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
# Topics are created by the project's explicit admin step, never by a typo in a client.
auto.create.topics.enable=false

# One broker: internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Consumer groups form at once (tests and benchmarks do not wait 3 s per group).
group.initial.rebalance.delay.ms=0

# Small machine: the log cleaner's dedupe buffer lives on the heap (default 128 MiB).
log.cleaner.dedupe.buffer.size=16777216
EOF
  mv -- "$PROPS.tmp" "$PROPS"
}

tool_java_cmd() {
  local -a heap jvm
  read -r -a heap <<<"$KAFKA_TOOLS_HEAP_OPTS"
  read -r -a jvm <<<"$KAFKA_JVM_OPTS"
  TOOL_CMD=("$JAVA" "${heap[@]}" "${jvm[@]}" -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$TOOLS_LOG4J" -cp "$LIBS_DIR/*")
}

cluster_id() {
  local cid=""
  if [[ -f "$DATA_DIR/meta.properties" ]]; then # data already formatted: keep its id
    cid="$(sed -n 's/^cluster\.id=//p' "$DATA_DIR/meta.properties" | head -n1)"
  fi
  if [[ -z "$cid" && -s "$CLUSTER_ID_FILE" ]]; then
    cid="$(tr -d '[:space:]' <"$CLUSTER_ID_FILE")"
  fi
  if [[ -z "$cid" ]]; then
    tool_java_cmd
    cid="$("${TOOL_CMD[@]}" kafka.tools.StorageTool random-uuid | tail -n1 | tr -d '[:space:]')"
    [[ -n "$cid" ]] || die "kafka.tools.StorageTool random-uuid printed no cluster id"
  fi
  printf '%s\n' "$cid" >"$CLUSTER_ID_FILE"
  printf '%s\n' "$cid"
}

format_storage() {
  local cid="$1" out
  if [[ -f "$DATA_DIR/meta.properties" && -f "$DATA_DIR/bootstrap.checkpoint" ]]; then
    # Already formatted (what `format --ignore-formatted` would find), without a second JVM start.
    log "reusing the data in $DATA_DIR (cluster id $cid)"
    return 0
  fi
  tool_java_cmd
  if ! out="$("${TOOL_CMD[@]}" kafka.tools.StorageTool format -t "$cid" -c "$PROPS" --ignore-formatted 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "formatting $DATA_DIR failed"
  fi
  if [[ "$out" == *Formatting* ]]; then
    log "formatted $DATA_DIR (cluster id $cid)"
  else
    log "reusing the data in $DATA_DIR (cluster id $cid)"
  fi
}

wait_ready() {
  local pid="$1" port="$2" t0="$SECONDS" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    if ! is_alive "$pid"; then
      show_log_tail 40
      rm -f -- "$PID_FILE"
      die "Kafka (pid $pid) exited during startup"
    fi
    if started_logged "$pid" && port_open "$port"; then
      log "Kafka is ready after $((SECONDS - t0)) s (pid $pid, data in $DATA_DIR)"
      printf 'Kafka is listening on %s:%s\n' "$KAFKA_HOST" "$port"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail 40
      warn "Kafka (pid $pid) did not answer on $KAFKA_HOST:$port within ${KAFKA_START_TIMEOUT} s; stopping it"
      terminate "$pid" 10
      rm -f -- "$PID_FILE"
      die "Kafka did not start within ${KAFKA_START_TIMEOUT} s (KAFKA_START_TIMEOUT)"
    fi
    sleep 0.25
  done
}

cmd_start() {
  cmd_fetch quiet
  mkdir -p "$STATE_DIR"
  take_lock "$STATE_DIR/.lock" 9

  local pid port
  pid="$(broker_pid)"
  if [[ -n "$pid" ]]; then
    port="$(running_port)"
    [[ "$port" == "$KAFKA_PORT" ]] || warn "the running broker listens on $port, not KAFKA_PORT=$KAFKA_PORT; stop it first to move it"
    if started_logged "$pid" && port_open "$port"; then
      log "Kafka is already running (pid $pid); nothing to do"
      printf 'Kafka is listening on %s:%s\n' "$KAFKA_HOST" "$port"
      return 0
    fi
    log "Kafka (pid $pid) is still starting; waiting for it"
    wait_ready "$pid" "$port"
    return 0
  fi
  rm -f -- "$PID_FILE"

  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "$KAFKA_HOST:$p is already in use by a process that this script did not start; stop it, or pick other ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done

  write_server_properties
  local cid
  cid="$(cluster_id)"
  format_storage "$cid"

  local -a heap jvm
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  read -r -a jvm <<<"$KAFKA_JVM_OPTS"
  printf '=== %s: starting Kafka %s with %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$KAFKA_VERSION" "$PROPS" >>"$OUT_LOG"
  # Detached from the caller: no stdin, output to files, lock descriptors closed, so a caller
  # that pipes this script's output (CI, `| tee`) is not held open by the broker.
  nohup "$JAVA" "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true "${jvm[@]}" \
    "-Dlog4j2.configurationFile=$BROKER_LOG4J" "-Dkafka.logs.dir=$LOG_DIR" \
    -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS" \
    </dev/null >>"$OUT_LOG" 2>&1 8>&- 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  log "started Kafka $KAFKA_VERSION (pid $pid, heap '$KAFKA_HEAP_OPTS'); waiting up to ${KAFKA_START_TIMEOUT} s for $KAFKA_HOST:$KAFKA_PORT"
  wait_ready "$pid" "$KAFKA_PORT"
}

cmd_stop() {
  if [[ ! -d "$STATE_DIR" ]]; then
    log "Kafka is not running"
    return 0
  fi
  take_lock "$STATE_DIR/.lock" 9
  local pid
  pid="$(broker_pid)"
  if [[ -z "$pid" ]]; then
    rm -f -- "$PID_FILE"
    log "Kafka is not running"
    return 0
  fi
  log "stopping Kafka (pid $pid; controlled shutdown, up to ${KAFKA_STOP_TIMEOUT} s)"
  local t0="$SECONDS"
  terminate "$pid" "$KAFKA_STOP_TIMEOUT"
  rm -f -- "$PID_FILE"
  log "Kafka stopped after $((SECONDS - t0)) s"
}

cmd_status() {
  local pid port
  pid="$(broker_pid)"
  if [[ -z "$pid" ]]; then
    echo "Kafka is stopped"
    return 3
  fi
  port="$(running_port)"
  if port_open "$port"; then
    echo "Kafka is running (pid $pid) on $KAFKA_HOST:$port"
    return 0
  fi
  echo "Kafka (pid $pid) is running but $KAFKA_HOST:$port does not answer (starting, or unhealthy: see '$0 logs')"
  return 1
}

cmd_logs() {
  local lines="${KAFKA_LOG_LINES:-100}"
  [[ -f "$SERVER_LOG" ]] || die "no broker log yet at $SERVER_LOG"
  if [[ "${1:-}" == -f || "${1:-}" == --follow ]]; then
    exec tail -n "$lines" -F "$SERVER_LOG"
  fi
  tail -n "$lines" "$SERVER_LOG"
}

run_tool() {
  local cls="$1"
  shift
  cmd_fetch quiet
  tool_java_cmd
  exec "${TOOL_CMD[@]}" "$cls" "$@"
}

cmd_topics() {
  local a
  for a in "$@"; do
    case "$a" in
      --bootstrap-server | --bootstrap-server=*) run_tool org.apache.kafka.tools.TopicCommand "$@" ;;
    esac
  done
  run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_HOST:$(running_port)" "$@"
}

usage() {
  cat <<EOF
usage: $0 COMMAND [ARGS...]

  fetch               download Kafka $KAFKA_VERSION's jars with Maven (once) into $LIBS_DIR
  start               fetch if needed, then start the broker and wait until $KAFKA_HOST:$KAFKA_PORT answers
                      (harmless when it is already running)
  stop                controlled shutdown (SIGTERM, SIGKILL after ${KAFKA_STOP_TIMEOUT} s); harmless when stopped
  status              exit 0 running, 1 process up but port not answering, 3 stopped
  logs [-f]           last \${KAFKA_LOG_LINES:-100} lines of the broker log (-f: follow)
  perf-producer ARGS  org.apache.kafka.tools.ProducerPerformance
  perf-consumer ARGS  org.apache.kafka.tools.ConsumerPerformance
  topics ARGS         org.apache.kafka.tools.TopicCommand (--bootstrap-server added unless given)
  run-class CLASS ARGS  any main class on Kafka's classpath, e.g. org.apache.kafka.tools.consumer.ConsoleConsumer

state (config, data, logs, pid): $STATE_DIR
EOF
}

main() {
  local cmd="${1:-}"
  [[ $# -eq 0 ]] || shift
  case "$cmd" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    perf-producer) run_tool org.apache.kafka.tools.ProducerPerformance "$@" ;;
    perf-consumer) run_tool org.apache.kafka.tools.ConsumerPerformance "$@" ;;
    topics) cmd_topics "$@" ;;
    run-class)
      [[ $# -ge 1 ]] || die "run-class needs a class name"
      run_tool "$@"
      ;;
    -h | --help | help) usage ;;
    "")
      usage >&2
      exit 2
      ;;
    *)
      warn "unknown command '$cmd'"
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
