#!/usr/bin/env bash
# Local stack for routemeter, without Docker: a single-node KRaft Apache Kafka (combined
# broker + controller) fetched from Maven Central through ./pom.xml, and Redis.
#
#   scripts/stack.sh up       start Kafka (+ Redis if none answers); wait until the broker
#                             answers metadata requests; write .stack/env
#   scripts/stack.sh down     stop what `up` started (SIGTERM, then SIGKILL); logs are kept
#   scripts/stack.sh status   print what runs
#   scripts/stack.sh env      print the export lines of .stack/env (eval "$(scripts/stack.sh env)")
#   scripts/stack.sh libs     resolve the Kafka jars if needed and print their folder
#   scripts/stack.sh cluster-up    start the local Redis Cluster (3 primaries + 3 replicas,
#                                  scripts/redis-cluster.sh) and add REDIS_CLUSTER_URL to .stack/env
#   scripts/stack.sh cluster-down  stop it
#   scripts/stack.sh properties PORT CONTROLLER_PORT DATA_DIR [SSL_PORT TLS_DIR]   print a
#                             single-node broker's server.properties (what `up` uses; tests'
#                             private brokers too); with SSL_PORT and TLS_DIR (made by `tls`) it
#                             adds the SSL listener
#   scripts/stack.sh tls DIR  make (or keep, while valid) the throwaway CA, broker and client
#                             certificates in DIR (`up` does this in .stack/tls)
#
# Environment:
#   KAFKA_VERSION            Kafka release (default below; 3.9.2 is the other tested one)
#   KAFKA_PORT               broker port (default 9092; "auto" = 9092 if free, else any free port)
#   KAFKA_CONTROLLER_PORT    KRaft controller port (default 9093; follows KAFKA_PORT=auto)
#   KAFKA_SSL_PORT           SSL listener port, client certificates required (default 9094;
#                            follows KAFKA_PORT=auto)
#   KAFKA_HEAP_OPTS          JVM heap flags (default -Xmx512m -Xms256m)
#   KAFKA_UP_TIMEOUT         seconds `up` waits for the broker (default 90)
#   REDIS_URL                used if it answers PING; else 127.0.0.1:6379; else we start one
#
# Layout (all git-ignored):
#   .stack/kafka-<v>/libs/   jars (mvn dependency:copy-dependencies; cached)
#   .stack/kafka-<v>/data/   KRaft metadata + logs, one folder per version
#   .stack/kafka-<v>/server.properties, log4j2.properties   generated at every start
#   .stack/kafka.pid, .stack/kafka.state                    the broker we started
#   .stack/logs/             broker, stdout, Maven and Redis logs
#   .stack/tls/              throwaway CA, broker and client certificates (PEM; `tls` command)
#   .stack/env               KAFKA_URL, REDIS_URL, KAFKA_VERSION, KAFKA_TLS_URL and the
#                            KAFKA_TLS_*_FILE paths (+ REDIS_CLUSTER_URL after cluster-up)
#   .stack/redis-cluster/    the local Redis Cluster's nodes (scripts/redis-cluster.sh)
set -euo pipefail

# Newest release that passes test/compat/kafkajs-compat.int.test.ts with kafkajs 2.2.4.
DEFAULT_KAFKA_VERSION=4.4.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="$ROOT/.stack"
LOGS="$STACK/logs"
KAFKA_PID_FILE="$STACK/kafka.pid"
KAFKA_STATE_FILE="$STACK/kafka.state"
REDIS_DIR="$STACK/redis"
REDIS_PID_FILE="$REDIS_DIR/redis.pid"
ENV_FILE="$STACK/env"
TLS_DIR="$STACK/tls"
HOST=127.0.0.1

KAFKA_VERSION_GIVEN="${KAFKA_VERSION:-}"
KAFKA_VERSION="${KAFKA_VERSION:-$DEFAULT_KAFKA_VERSION}"
KDIR="$STACK/kafka-$KAFKA_VERSION"
LIBS="$KDIR/libs"
UP_TIMEOUT="${KAFKA_UP_TIMEOUT:-90}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# small helpers

port_in_use() { # port -> 0 if something listens on 127.0.0.1:port
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

free_port() { # first port >= $1 that nobody listens on
  local p=$1
  while port_in_use "$p"; do p=$((p + 1)); done
  echo "$p"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# Our broker = the pid in .stack/kafka.pid, alive, and running kafka.Kafka from this .stack.
our_kafka_pid() {
  [[ -f "$KAFKA_PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$KAFKA_PID_FILE")"
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "kafka.Kafka $STACK/" || return 1
  echo "$pid"
}

state_get() { # key -> value from .stack/kafka.state ("" if none)
  if [[ -f "$KAFKA_STATE_FILE" ]]; then sed -n "s/^$1=//p" "$KAFKA_STATE_FILE" | head -n1; fi
}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"; }

# ---------------------------------------------------------------------------------------------
# Kafka jars from Maven Central

resolve_libs() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  mkdir -p "$STACK"
  # one Maven run per version at a time (`up` and scripts/kafka-tool.sh may race)
  exec 8>"$STACK/libs-$KAFKA_VERSION.lock"
  flock -w 900 8 || die "timed out waiting for another Maven resolve of Kafka $KAFKA_VERSION"
  if [[ -f "$LIBS/.complete" ]]; then exec 8>&-; return 0; fi
  need java "install a JDK 17+, e.g. apt-get install -y openjdk-17-jre-headless"
  need mvn "install Maven, e.g. apt-get install -y maven"
  mkdir -p "$LOGS" "$KDIR"
  rm -rf "$LIBS.tmp"
  log "resolving Kafka $KAFKA_VERSION from Maven Central (first time only) ..."
  local mvn_log="$LOGS/maven-$KAFKA_VERSION.log"
  if ! mvn -B -q -Dstyle.color=never -f "$ROOT/pom.xml" \
    -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$LIBS.tmp" >"$mvn_log" 2>&1; then
    tail -n 30 "$mvn_log" >&2
    die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (full log: $mvn_log)"
  fi
  [[ -f "$LIBS.tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after Maven"
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  touch "$LIBS/.complete"
  exec 8>&-
}

write_log4j2() { # file logfile level
  cat >"$1" <<EOF
# generated by scripts/stack.sh
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $2
appender.file.filePattern = $2.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = $3
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = INFO
EOF
}

write_server_properties() { # port controller_port ssl_port
  {
    echo "# generated by scripts/stack.sh for Kafka $KAFKA_VERSION; edits are overwritten at the next \`up\`"
    server_properties "$1" "$2" "$KDIR/data" "$3" "$TLS_DIR"
  } >"$KDIR/server.properties"
  chmod 600 "$KDIR/server.properties" # it holds the broker's private key
}

# The single-node broker's configuration (also used by test/support/private-kafka.ts through
# `scripts/stack.sh properties`, so a test's private broker is configured as this one). With an
# SSL port and a TLS folder (tls_material), it adds the SSL listener; the plaintext one stays.
server_properties() { # port controller_port data_dir [ssl_port tls_dir]
  local listeners="PLAINTEXT://$HOST:$1" protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [[ -n "${4:-}" ]]; then
    [[ -n "${5:-}" ]] || die "an SSL port needs a TLS folder: properties PORT CONTROLLER_PORT DATA_DIR SSL_PORT TLS_DIR"
    [[ -f "$5/ca.pem" && -f "$5/broker.pem" && -f "$5/broker.key" ]] ||
      die "no CA and broker certificate in $5 (make them with: scripts/stack.sh tls $5)"
    listeners+=",SSL://$HOST:$4"
    protocols+=",SSL:SSL"
  fi
  cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$2
listeners=$listeners,CONTROLLER://$HOST:$2
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$3
# 2 cores: fewer threads than the defaults
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
# single node: every internal topic at replication factor 1, or consumer groups and
# idempotent/transactional producers never get a coordinator
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# the app creates its topics; tests create and delete their own
auto.create.topics.enable=false
delete.topic.enable=true
# a dev box: keep a day or 1 GiB per partition, in 100 MiB segments
log.retention.hours=24
log.retention.bytes=1073741824
log.segment.bytes=104857600
log.retention.check.interval.ms=300000
EOF
  if [[ -n "${4:-}" ]]; then ssl_properties "$5"; fi
}

# A Java properties value spanning lines: every line but the last ends in " \" (the PEM
# parser ignores the whitespace), as Kafka's documentation writes ssl.keystore.key.
pem_property() { # key pem_file
  printf '%s=' "$1"
  sed -e '$!s/$/ \\/' "$2"
}

# The SSL listener's settings: PEM key store and trust store inline (Kafka >= 2.7, no keytool;
# a PEM key *file* would need an encrypted key and ssl.key.password), and client certificates
# required, as Heroku Kafka requires KAFKA_CLIENT_CERT.
ssl_properties() { # tls_dir
  echo "# SSL listener: certificates of scripts/stack.sh tls ($1)"
  echo "ssl.client.auth=required"
  echo "ssl.keystore.type=PEM"
  pem_property ssl.keystore.certificate.chain "$1/broker.pem"
  pem_property ssl.keystore.key "$1/broker.key"
  echo "ssl.truststore.type=PEM"
  pem_property ssl.truststore.certificates "$1/ca.pem"
}

# ---------------------------------------------------------------------------------------------
# TLS: a throwaway CA (a new one for every new folder), the broker's certificate (SAN
# 127.0.0.1 and localhost, so Java clients' host name check passes too) and one client
# certificate, all PEM, RSA 2048, valid 365 days. Kept while valid for another day, so a
# restarted broker keeps the certificates that tests and .stack/env point at.
tls_valid() { # dir
  local f
  for f in ca.pem ca.key broker.pem broker.key client.pem client.key; do [[ -s "$1/$f" ]] || return 1; done
  openssl x509 -checkend 86400 -noout -in "$1/broker.pem" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$1/client.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$1/ca.pem" "$1/broker.pem" "$1/client.pem" >/dev/null 2>&1
}

tls_leaf() { # dir name subject extensions: key + certificate signed by the folder's CA
  local d=$1
  openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$2.key" -out "$d/$2.csr" -subj "$3" 2>/dev/null
  printf '%s\n' "$4" >"$d/$2.ext"
  openssl x509 -req -in "$d/$2.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 365 -sha256 -extfile "$d/$2.ext" -out "$d/$2.pem" 2>/dev/null
  rm -f "$d/$2.csr" "$d/$2.ext"
}

tls_material() { # dir
  local d=$1
  if tls_valid "$d"; then return 0; fi
  command -v openssl >/dev/null 2>&1 || bash "$ROOT/scripts/install-test-tools.sh" </dev/null ||
    die "openssl is required for the TLS listener (scripts/install-test-tools.sh could not install it)"
  log "TLS: making a throwaway CA and broker/client certificates in $d"
  rm -rf "$d.tmp"
  mkdir -p "$d.tmp"
  chmod 700 "$d.tmp"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$d.tmp/ca.key" -out "$d.tmp/ca.pem" -days 365 \
    -sha256 -subj "/CN=routemeter local stack CA $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
    die "openssl could not make the CA in $d.tmp"
  tls_leaf "$d.tmp" broker "/CN=localhost" "$(printf '%s\n' \
    'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost')" ||
    die "openssl could not make the broker certificate"
  tls_leaf "$d.tmp" client "/CN=routemeter-client" "$(printf '%s\n' \
    'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=clientAuth')" || die "openssl could not make the client certificate"
  tls_valid "$d.tmp" || die "the certificates made in $d.tmp do not verify"
  rm -rf "$d"
  mv "$d.tmp" "$d"
}

kafka_java_opts() {
  # shellcheck disable=SC2206
  local heap=(${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m})
  JAVA_OPTS=("${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    "-Dkafka.logs.dir=$LOGS" "-Dlog4j2.configurationFile=$KDIR/log4j2.properties")
}

format_storage() {
  [[ -f "$KDIR/data/meta.properties" ]] && return 0
  local cid
  # KRaft cluster id: 16 random bytes, base64url without padding; avoid a leading '-' (CLI flag).
  cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  while [[ "$cid" == -* ]]; do cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; done
  mkdir -p "$KDIR/data"
  log "formatting $KDIR/data (cluster id $cid)"
  if ! java -Xmx256m "-Dlog4j2.configurationFile=$KDIR/log4j2.properties" -cp "$LIBS/*" \
    kafka.tools.StorageTool format -t "$cid" -c "$KDIR/server.properties" \
    >"$LOGS/format-$KAFKA_VERSION.out" 2>&1; then
    cat "$LOGS/format-$KAFKA_VERSION.out" >&2
    die "kafka.tools.StorageTool format failed"
  fi
  echo "$cid" >"$KDIR/cluster.id"
}

# Wait until the broker answers a metadata request (kafkajs admin listTopics, one node process
# that retries until the deadline), failing early if the process dies. With a TLS folder, over
# TLS with its client certificate, the chain and the host name (SAN 127.0.0.1) verified.
wait_kafka_ready() { # pid port [tls_dir]
  local pid=$1 port=$2 tls=${3:-} deadline=$((SECONDS + UP_TIMEOUT))
  local probe_cmd
  if (cd "$ROOT" && node -e "require.resolve('kafkajs')" >/dev/null 2>&1); then
    probe_cmd=(node -e '
      const { Kafka, logLevel } = require("kafkajs");
      const [broker, untilMs, tls] = [process.argv[1], Number(process.argv[2]), process.argv[3]];
      const pem = (f) => require("fs").readFileSync(`${tls}/${f}`, "utf8");
      const ssl = tls ? { ca: [pem("ca.pem")], cert: pem("client.pem"), key: pem("client.key") } : false;
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      (async () => {
        while (Date.now() < untilMs) {
          const admin = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING, connectionTimeout: 1000,
            ssl, retry: { retries: 0 } }).admin();
          try { await admin.connect(); await admin.listTopics(); await admin.disconnect(); process.exit(0); }
          catch { await admin.disconnect().catch(() => {}); await sleep(500); }
        }
        process.exit(1);
      })();')
  else
    probe_cmd=() # no node_modules yet: fall back to port + "started" line in the broker log
  fi
  log "waiting for Kafka on $HOST:$port${tls:+ (TLS)} (up to ${UP_TIMEOUT}s) ..."
  while ((SECONDS < deadline)); do
    pid_alive "$pid" || { kafka_fail_tail; die "Kafka exited during startup"; }
    if port_in_use "$port"; then
      if ((${#probe_cmd[@]})); then
        local until_ms=$(($(date +%s%3N) + 5000))
        if (cd "$ROOT" && "${probe_cmd[@]}" "$HOST:$port" "$until_ms" ${tls:+"$tls"}); then return 0; fi
      elif grep -q 'Kafka Server started' "$LOGS/kafka-$KAFKA_VERSION.log" 2>/dev/null; then
        return 0
      fi
    fi
    sleep 0.3
  done
  kafka_fail_tail
  die "Kafka did not answer metadata requests on $HOST:$port${tls:+ over TLS (certificates in $tls)} within ${UP_TIMEOUT}s"
}

kafka_fail_tail() {
  log "---- tail of $LOGS/kafka-$KAFKA_VERSION.log"
  tail -n 40 "$LOGS/kafka-$KAFKA_VERSION.log" >&2 2>/dev/null || true
  log "---- tail of $LOGS/kafka-$KAFKA_VERSION.out"
  tail -n 20 "$LOGS/kafka-$KAFKA_VERSION.out" >&2 2>/dev/null || true
}

kafka_up() {
  local pid
  if pid="$(our_kafka_pid)"; then
    local running_version port
    running_version="$(state_get version)"
    port="$(state_get port)"
    if [[ -z "$KAFKA_VERSION_GIVEN" ]]; then
      KAFKA_VERSION=$running_version # no version asked for: the running one will do
    elif [[ "$running_version" != "$KAFKA_VERSION" ]]; then
      die "Kafka $running_version is already running (pid $pid, port $port); run 'npm run stack down' before switching to KAFKA_VERSION=$KAFKA_VERSION"
    fi
    log "Kafka $KAFKA_VERSION already running (pid $pid, $HOST:$port)"
    wait_kafka_ready "$pid" "$port"
    KAFKA_PORT_USED=$port
    KAFKA_SSL_PORT_USED="$(state_get ssl_port)"
    # a broker started by an older stack.sh has no SSL listener: say so, start nothing
    [[ -n "$KAFKA_SSL_PORT_USED" ]] || log "WARNING: this broker has no SSL listener (started before stack.sh had one); 'down' and 'up' again for KAFKA_TLS_URL"
    return 0
  fi
  rm -f "$KAFKA_PID_FILE" "$KAFKA_STATE_FILE"

  local port="${KAFKA_PORT:-9092}" cport="${KAFKA_CONTROLLER_PORT:-9093}" sport="${KAFKA_SSL_PORT:-9094}"
  if [[ "$port" == auto ]]; then
    port="$(free_port 9092)"
    [[ -z "${KAFKA_CONTROLLER_PORT:-}" || "$cport" == auto ]] && cport="$(free_port $((port == 9092 ? 9093 : port + 1)))"
    [[ "$cport" == "$port" ]] && cport="$(free_port $((port + 1)))"
    if [[ -z "${KAFKA_SSL_PORT:-}" || "$sport" == auto ]]; then
      sport="$(free_port $((cport + 1)))"
      while [[ "$sport" == "$port" || "$sport" == "$cport" ]]; do sport="$(free_port $((sport + 1)))"; done
    fi
  fi
  [[ "$port" =~ ^[0-9]+$ && "$cport" =~ ^[0-9]+$ && "$sport" =~ ^[0-9]+$ ]] || die "KAFKA_PORT/KAFKA_CONTROLLER_PORT/KAFKA_SSL_PORT must be numbers (or KAFKA_PORT=auto)"
  [[ "$sport" != "$port" && "$sport" != "$cport" ]] || die "KAFKA_SSL_PORT ($sport) must differ from the broker and controller ports"
  port_in_use "$port" && die "port $port is already in use by another process (not a broker started by this script: no live $KAFKA_PID_FILE). Stop it, or set KAFKA_PORT (and KAFKA_CONTROLLER_PORT, KAFKA_SSL_PORT) or KAFKA_PORT=auto."
  port_in_use "$cport" && die "controller port $cport is already in use by another process; set KAFKA_CONTROLLER_PORT"
  port_in_use "$sport" && die "SSL port $sport is already in use by another process; set KAFKA_SSL_PORT"

  resolve_libs
  mkdir -p "$LOGS" "$KDIR"
  write_log4j2 "$KDIR/log4j2.properties" "$LOGS/kafka-$KAFKA_VERSION.log" INFO
  tls_material "$TLS_DIR"
  write_server_properties "$port" "$cport" "$sport"
  format_storage
  kafka_java_opts

  log "starting Kafka $KAFKA_VERSION on $HOST:$port (SSL $sport, controller $cport)"
  : >"$LOGS/kafka-$KAFKA_VERSION.out"
  # setsid: the broker survives Ctrl-C / SIGHUP of the shell that ran `up`.
  setsid nohup java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$KDIR/server.properties" \
    >>"$LOGS/kafka-$KAFKA_VERSION.out" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PID_FILE"
  printf 'version=%s\nport=%s\ncontroller_port=%s\nssl_port=%s\npid=%s\n' "$KAFKA_VERSION" "$port" "$cport" "$sport" "$pid" >"$KAFKA_STATE_FILE"
  wait_kafka_ready "$pid" "$port"
  wait_kafka_ready "$pid" "$sport" "$TLS_DIR"
  KAFKA_PORT_USED=$port
  KAFKA_SSL_PORT_USED=$sport
}

stop_pid() { # pid name timeout_s
  local pid=$1 name=$2 t=$3
  pid_alive "$pid" || return 0
  log "stopping $name (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + t))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if pid_alive "$pid"; then
    log "$name did not stop within ${t}s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 5))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if pid_alive "$pid"; then log "WARNING: $name (pid $pid) is still alive after SIGKILL"; fi
  fi
  return 0
}

kafka_down() {
  local pid
  if pid="$(our_kafka_pid)"; then
    stop_pid "$pid" "Kafka $(state_get version)" 45
  else
    log "Kafka: not running (no live broker in $KAFKA_PID_FILE)"
  fi
  rm -f "$KAFKA_PID_FILE" "$KAFKA_STATE_FILE"
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_ping() { # url -> 0 if it answers PONG
  local url=$1
  if command -v redis-cli >/dev/null 2>&1; then
    [[ "$(timeout 3 redis-cli -u "$url" ping 2>/dev/null)" == PONG ]]
  else # plain redis://host:port only
    local hp=${url#redis://}
    hp=${hp%%/*}
    hp=${hp##*@}
    local h=${hp%%:*} p=${hp##*:}
    [[ "$p" == "$hp" ]] && p=6379
    # shellcheck disable=SC2016 # $0/$1 expand in the child bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "PING\r\n" >&3; IFS= read -r l <&3; [[ "$l" == "+PONG"* ]]' "$h" "$p" 2>/dev/null
  fi
}

our_redis_port() {
  [[ -f "$REDIS_PID_FILE" && -f "$REDIS_DIR/port" ]] || return 1
  pid_alive "$(cat "$REDIS_PID_FILE")" || return 1
  cat "$REDIS_DIR/port"
}

redis_up() {
  if [[ -n "${REDIS_URL:-}" ]] && redis_ping "$REDIS_URL"; then
    REDIS_URL_USED=$REDIS_URL
    log "Redis: using REDIS_URL=$REDIS_URL"
    return 0
  fi
  [[ -n "${REDIS_URL:-}" ]] && log "Redis: REDIS_URL=$REDIS_URL does not answer; looking elsewhere"
  if redis_ping "redis://$HOST:6379"; then
    REDIS_URL_USED="redis://$HOST:6379"
    log "Redis: using the server on $HOST:6379"
    return 0
  fi
  local port
  if port="$(our_redis_port)" && redis_ping "redis://$HOST:$port"; then
    REDIS_URL_USED="redis://$HOST:$port"
    log "Redis: ours already running on $HOST:$port"
    return 0
  fi
  bash "$ROOT/scripts/install-redis.sh" || die "could not install Debian's redis-server"

  port="$(free_port 6380)"
  mkdir -p "$REDIS_DIR"
  log "Redis: starting redis-server on $HOST:$port (data in $REDIS_DIR)"
  redis-server --daemonize yes --bind "$HOST" --port "$port" --dir "$REDIS_DIR" \
    --pidfile "$REDIS_PID_FILE" --logfile "$LOGS/redis.log" --save "" --appendonly no >/dev/null 8>&- 9>&-
  echo "$port" >"$REDIS_DIR/port"
  local deadline=$((SECONDS + 15))
  until redis_ping "redis://$HOST:$port"; do
    ((SECONDS < deadline)) || { tail -n 20 "$LOGS/redis.log" >&2 || true; die "redis-server did not answer on $HOST:$port"; }
    sleep 0.2
  done
  REDIS_URL_USED="redis://$HOST:$port"
}

redis_down() {
  if [[ -f "$REDIS_PID_FILE" ]] && pid_alive "$(cat "$REDIS_PID_FILE")"; then
    stop_pid "$(cat "$REDIS_PID_FILE")" "Redis (ours)" 10
  fi
  rm -f "$REDIS_PID_FILE" "$REDIS_DIR/port"
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_up() {
  mkdir -p "$STACK" "$LOGS"
  local t0=$SECONDS
  kafka_up # first: its port checks fail fast, before anything is started
  redis_up
  {
    echo "# generated by scripts/stack.sh up; source it or let test/support/load-stack-env.ts read it"
    echo "export KAFKA_URL=kafka://$HOST:$KAFKA_PORT_USED"
    echo "export REDIS_URL=$REDIS_URL_USED"
    echo "export KAFKA_VERSION=$KAFKA_VERSION"
    if [[ -n "${KAFKA_SSL_PORT_USED:-}" ]]; then
      # the SSL listener of the same broker; the PEM files, for KAFKA_TRUSTED_CERT,
      # KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY (Heroku sets their contents, not paths)
      echo "export KAFKA_TLS_URL=kafka+ssl://$HOST:$KAFKA_SSL_PORT_USED"
      echo "export KAFKA_TLS_CA_FILE=$TLS_DIR/ca.pem"
      echo "export KAFKA_TLS_CLIENT_CERT_FILE=$TLS_DIR/client.pem"
      echo "export KAFKA_TLS_CLIENT_KEY_FILE=$TLS_DIR/client.key"
    fi
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  log "ready in $((SECONDS - t0))s; $ENV_FILE:"
  grep '^export' "$ENV_FILE"
}

cmd_down() {
  kafka_down
  redis_down
  [[ -d "$STACK/redis-cluster" ]] && bash "$ROOT/scripts/redis-cluster.sh" down "$STACK/redis-cluster"
  rm -f "$ENV_FILE"
  log "down (logs kept in $LOGS)"
}

cmd_status() {
  local pid rc=0
  if pid="$(our_kafka_pid)"; then
    local port sport
    port="$(state_get port)"
    sport="$(state_get ssl_port)"
    if port_in_use "$port"; then
      echo "kafka: running  version=$(state_get version) pid=$pid url=kafka://$HOST:$port controller=$(state_get controller_port) ssl=${sport:+kafka+ssl://$HOST:$sport}"
    else
      echo "kafka: starting version=$(state_get version) pid=$pid (port $port not open yet)"
    fi
  else
    # shellcheck disable=SC2012
    echo "kafka: stopped  (default version $DEFAULT_KAFKA_VERSION; cached: $(cd "$STACK" 2>/dev/null && ls -d kafka-*/libs 2>/dev/null | sed 's|kafka-||;s|/libs||' | tr '\n' ' '))"
    rc=1
    if port_in_use "${KAFKA_PORT:-9092}"; then echo "       port ${KAFKA_PORT:-9092} is in use by something else"; fi
  fi
  local rport
  if rport="$(our_redis_port)"; then
    echo "redis: running  (ours) pid=$(cat "$REDIS_PID_FILE") url=redis://$HOST:$rport"
  elif [[ -f "$ENV_FILE" ]]; then
    local url
    url="$(sed -n 's/^export REDIS_URL=//p' "$ENV_FILE")"
    if [[ -n "$url" ]] && redis_ping "$url"; then echo "redis: up       (external) url=$url"; else echo "redis: DOWN     url=$url"; rc=1; fi
  else
    echo "redis: unknown  (no $ENV_FILE)"
  fi
  if [[ -f "$ENV_FILE" ]]; then echo "env:   $ENV_FILE"; grep '^export' "$ENV_FILE" | sed 's/^/       /'; fi
  return $rc
}

cmd_env() {
  [[ -f "$ENV_FILE" ]] || die "no $ENV_FILE: run 'npm run stack up' first"
  grep '^export' "$ENV_FILE"
}

# The local Redis Cluster: its URL goes into .stack/env as REDIS_CLUSTER_URL (the cluster pass
# of the tests, scripts/test-cluster.sh, runs with REDIS_URL=$REDIS_CLUSTER_URL).
cmd_cluster_up() {
  local url
  url="$(bash "$ROOT/scripts/redis-cluster.sh" up "$STACK/redis-cluster")"
  if [[ -f "$ENV_FILE" ]]; then
    grep -v '^export REDIS_CLUSTER_URL=' "$ENV_FILE" >"$ENV_FILE.tmp" || true
    echo "export REDIS_CLUSTER_URL=$url" >>"$ENV_FILE.tmp"
    mv "$ENV_FILE.tmp" "$ENV_FILE"
  fi
  echo "export REDIS_CLUSTER_URL=$url"
}

cmd_cluster_down() {
  bash "$ROOT/scripts/redis-cluster.sh" down "$STACK/redis-cluster"
  if [[ -f "$ENV_FILE" ]]; then
    grep -v '^export REDIS_CLUSTER_URL=' "$ENV_FILE" >"$ENV_FILE.tmp" || true
    mv "$ENV_FILE.tmp" "$ENV_FILE"
  fi
}

cmd_libs() {
  resolve_libs
  echo "$LIBS"
}

main() {
  local cmd=${1:-}
  mkdir -p "$STACK"
  case "$cmd" in
  up | down)
    # One `up`/`down` at a time per work tree (several engineers share it).
    exec 9>"$STACK/stack.lock"
    flock -w 300 9 || die "another scripts/stack.sh up/down holds $STACK/stack.lock"
    "cmd_$cmd"
    ;;
  cluster-up) cmd_cluster_up ;;
  cluster-down) cmd_cluster_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  libs) cmd_libs ;;
  properties) server_properties "${2:?port}" "${3:?controller port}" "${4:?data dir}" "${5:-}" "${6:-}" ;;
  tls)
    tls_material "${2:?folder}"
    echo "${2%/}"
    ;;
  *)
    echo "usage: scripts/stack.sh up|down|status|env|libs|properties|cluster-up|cluster-down   (KAFKA_VERSION=$KAFKA_VERSION)" >&2
    exit 2
    ;;
  esac
}

main "$@"
