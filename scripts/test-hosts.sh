#!/usr/bin/env bash
# The multi-host rig for the "Hosts" tests (issue 12): several test engines
# and an sshd on 127.0.0.1 in front of them, all the tests' own. The host's
# dockerd, ~/.ssh, ~/.docker and the system sshd are never touched.
#
#   bash scripts/test-hosts.sh start   # idempotent; prints the facts as KEY=value lines
#   bash scripts/test-hosts.sh env     # prints them again (starts nothing)
#   bash scripts/test-hosts.sh check   # smoke test: every endpoint answers and lands on its engine
#   bash scripts/test-hosts.sh stop    # stops what start started (sshd and its sessions,
#                                      # shared ssh connections, engines 2..N, engine 1 if it
#                                      # started it); deletes the run's keys
#   bash scripts/test-hosts.sh purge   # stop, then delete the rig dir and engines 2..N's data
#
# Engines (each started by scripts/test-engine.sh, in namespaces of its own):
#   engine 1   FLEET_TEST_ENGINE_DIR / FLEET_TEST_ENGINE_DATA (test-engine.sh's
#              defaults): the suite's engine. Started if it is not running
#              (and then stopped again by `stop`), otherwise left alone.
#   engine k   (k = 2..FLEET_TEST_HOSTS_ENGINES, 2 or 3; default 2)
#              dir $FLEET_TEST_HOSTS_DIR$k, data $FLEET_TEST_HOSTS_DATA$k.
# Rig dir FLEET_TEST_HOSTS_DIR (default "$FLEET_TEST_ENGINE_DIR-hosts"), data
# prefix FLEET_TEST_HOSTS_DATA (default /var/lib/<basename of the rig dir>).
# E.g. FLEET_TEST_ENGINE_DIR=/run/fleet-test-h1 FLEET_TEST_HOSTS_DIR=/run/fleet-test-h
# gives engines /run/fleet-test-h1, /run/fleet-test-h2 (, /run/fleet-test-h3)
# and the rig in /run/fleet-test-h. Two rigs with different dirs run side by side.
#
# The rig dir (root only, 0700; it must not sit under a group- or
# world-writable dir such as /tmp: sshd's StrictModes) holds:
#   sshd_config, host key, authorized_keys, sshd.pid, sshd.log (LogLevel VERBOSE:
#       one "Connection from … on 127.0.0.1 port P" line per SSH handshake)
#   sshd listens on 127.0.0.1 only, one port per engine (FLEET_TEST_HOSTS_PORT:
#       first port tried, default 22220), key auth only, root only, and
#       `Match LocalPort P` + `SetEnv DOCKER_HOST=unix://<engine k's socket>`
#       so `docker system dial-stdio` on the far side reaches engine k.
#       MaxStartups / MaxSessions are sshd's defaults (10:30:100, 10): fleet
#       must live with them. SHLVL=1 keeps root's ~/.bashrc from running for
#       every ssh call; DOCKER_CONFIG on the far side is an empty dir of the rig.
#   client_key (made for the run), known_hosts (the run's host key, private)
#   ssh_config         plain: one SSH connection per ssh process
#   ssh_config_shared  the same plus ControlMaster auto / ControlPersist 60 (cm/)
#   bin/ssh            `exec /usr/bin/ssh -F ssh_config "$@"`        PATH dir to prepend
#   bin-shared/ssh     `exec /usr/bin/ssh -F ssh_config_shared "$@"`  PATH dir, shared connections
#       (both append their argv to ssh-calls.log; the docker CLI runs `ssh` from PATH;
#       options given with -o, e.g. by fleet, win over the files; ssh://…:PORT/<socket>
#       also works: the CLI then runs `docker --host unix://<socket> system dial-stdio`)
#   docker-config/     a DOCKER_CONFIG with contexts hK (unix socket of engine K)
#                      and hK-ssh (ssh://root@127.0.0.1:PORT_K)
# Printed facts (`start`, `env`), for k = 1..N:
#   FLEET_TEST_HOSTS_DIR, FLEET_TEST_HOSTS_ENGINES, FLEET_TEST_HOSTS_PATH,
#   FLEET_TEST_HOSTS_PATH_SHARED, FLEET_TEST_HOSTS_DOCKER_CONFIG,
#   FLEET_TEST_HOSTS_SSHD_LOG, FLEET_TEST_HOSTS_SSH_LOG,
#   FLEET_TEST_HOSTk_DOCKER_HOST (unix://…), FLEET_TEST_HOSTk_NAME (what
#   `docker info --format '{{.Name}}'` says), FLEET_TEST_HOSTk_SSH
#   (ssh://root@127.0.0.1:PORT), FLEET_TEST_HOSTk_SSH_PORT,
#   FLEET_TEST_HOSTk_CONTEXT, FLEET_TEST_HOSTk_SSH_CONTEXT,
#   FLEET_TEST_HOSTk_ENGINE_DIR, FLEET_TEST_HOSTk_ENGINE_DATA (pass them as
#   FLEET_TEST_ENGINE_DIR/DATA to scripts/test-engine.sh to kill or restart
#   that engine), and endpoints that fail in SSH itself:
#   FLEET_TEST_HOSTS_SSH_BAD_USER  (auth refused: Permission denied (publickey))
#   FLEET_TEST_HOSTS_SSH_BAD_KEY   (ssh://root@localhost:PORT_1, which the
#                                   private known_hosts pins to another key)
#   FLEET_TEST_HOSTS_SSH_REFUSED   (a port nothing listened on at start)
#   FLEET_TEST_HOSTS_SSH_FAIL_NEXT (a file: write N into it and the next N
#       ssh calls through either wrapper fail as a connection that sshd drops
#       past MaxStartups does: "kex_exchange_identification: Connection
#       closed by remote host", exit 255)
# What the docker CLI (28) says: for an SSH failure that lasts, "error during
# connect: … command [ssh …] has exited with exit status 255 … stderr=<ssh's
# message>"; for a transient one (the two connections of its version ping
# dropped, the next one through) "Error response from daemon: client version
# 1.50 is too new. Maximum supported API version is 1.41" from a 20.10
# engine: write 2 into FLEET_TEST_HOSTS_SSH_FAIL_NEXT to get it (`check` does).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E1_RUN=${FLEET_TEST_ENGINE_DIR:-/run/fleet-test-engine}
E1_DATA=${FLEET_TEST_ENGINE_DATA:-/var/lib/fleet-test-engine}
RIG=${FLEET_TEST_HOSTS_DIR:-$E1_RUN-hosts}
DATA_PREFIX=${FLEET_TEST_HOSTS_DATA:-/var/lib/$(basename "$RIG")}
WANT_ENGINES=${FLEET_TEST_HOSTS_ENGINES:-2}
PORT_BASE=${FLEET_TEST_HOSTS_PORT:-22220}
SSHD=/usr/sbin/sshd
SSH=/usr/bin/ssh
STATE="$RIG/state"
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Nothing of the caller's docker settings applies here.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
export DOCKER_CONFIG="$RIG/docker-config"
log() { printf '[test-hosts] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ $WANT_ENGINES =~ ^[23]$ ]] || die "FLEET_TEST_HOSTS_ENGINES must be 2 or 3"
[[ $PORT_BASE =~ ^[0-9]+$ ]] && [ "$PORT_BASE" -ge 1024 ] && [ "$PORT_BASE" -le 65000 ] ||
  die "FLEET_TEST_HOSTS_PORT must be a port in 1024..65000"
for p in "$RIG" "$DATA_PREFIX"; do
  [[ $p =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ ]] || die "$p: expected an absolute path of [A-Za-z0-9._/-]"
done
[ "$RIG" != "$E1_RUN" ] && [ "$RIG" != "$E1_DATA" ] || die "FLEET_TEST_HOSTS_DIR must differ from engine 1's dirs"

engine_dir() { if [ "$1" = 1 ]; then echo "$E1_RUN"; else echo "$RIG$1"; fi; }
engine_data() { if [ "$1" = 1 ]; then echo "$E1_DATA"; else echo "$DATA_PREFIX$1"; fi; }
engine_sock() { echo "$(engine_dir "$1")/docker.sock"; }
engine() { # k command…: scripts/test-engine.sh for engine k
  local k=$1; shift
  FLEET_TEST_ENGINE_DIR=$(engine_dir "$k") FLEET_TEST_ENGINE_DATA=$(engine_data "$k") \
    bash "$HERE/test-engine.sh" "$@"
}
engine_answers() { timeout 5 docker -H "unix://$(engine_sock "$1")" info >/dev/null 2>&1; }

# sshd's StrictModes refuses keys in a dir that a group or others may write
# to, or under one (e.g. anything in /tmp).
check_safe_dir() {
  local d=$RIG
  while [ "$d" != / ]; do
    d=$(dirname "$d")
    [ -e "$d" ] || continue
    local mode owner
    mode=$(stat -c %a "$d") owner=$(stat -c %u "$d")
    [ "$owner" = 0 ] && [ $((8#$mode & 8#022)) -eq 0 ] ||
      die "$RIG: $d is not a root-owned dir closed to group and others; sshd's StrictModes would refuse the keys (pick FLEET_TEST_HOSTS_DIR under /run or /var/lib)"
  done
}

proc_state() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
alive() { # pid [comm]; a zombie counts as gone (PID 1 here reaps late)
  local state
  state=$(proc_state "$1")
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}
wait_gone() {
  local pid=$1 tenths=${2:-100}
  for _ in $(seq 1 "$tenths"); do alive "$pid" || return 0; sleep 0.1; done
  return 1
}
# Every live descendant of a pid.
descendants() {
  local parent=$1 p
  for p in $(awk -v pp="$parent" '{ sub(/^.*\) /, ""); split($0, f, " "); if (f[2] == pp) print FILENAME }' \
      /proc/[0-9]*/stat 2>/dev/null | cut -d/ -f3); do
    alive "$p" && echo "$p" && descendants "$p"
  done
  return 0
}
sshd_pid() {
  local pid
  pid=$(tr -dc 0-9 2>/dev/null < "$RIG/sshd.pid") && [ -n "$pid" ] && alive "$pid" sshd && echo "$pid"
}
port_free() { ! ss -Htln | awk '{print $4}' | grep -qE "[:.]$1\$"; }
port_of_sshd() { # port: listening, owned by our sshd
  ss -Htlnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
}

lock() {
  mkdir -p "$(dirname "$RIG")"
  exec 7>>"$RIG.lock"
  flock -w 300 7 || die "another test-hosts.sh holds $RIG.lock"
}
close_fds() {
  local f fd
  for f in /proc/"$BASHPID"/fd/*; do
    fd=${f##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
  done
}

load_state() {
  ENGINES="" STARTED_E1=0 PORTS="" REFUSED_PORT=""
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && . "$STATE"
  return 0
}
save_state() {
  printf 'ENGINES="%s"\nSTARTED_E1=%s\nPORTS="%s"\nREFUSED_PORT=%s\n' \
    "$ENGINES" "$STARTED_E1" "$PORTS" "$REFUSED_PORT" > "$STATE.new"
  mv "$STATE.new" "$STATE"
}
port_k() { echo "$PORTS" | cut -d' ' -f"$1"; }

write_sshd_config() {
  local k p
  {
    for k in $(seq 1 "$ENGINES"); do echo "ListenAddress 127.0.0.1:$(port_k "$k")"; done
    cat <<EOF
HostKey $RIG/ssh_host_ed25519_key
PidFile $RIG/sshd.pid
AuthorizedKeysFile $RIG/authorized_keys
AuthorizedPrincipalsFile none
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitRootLogin prohibit-password
AllowUsers root
StrictModes yes
UsePAM no
PermitUserEnvironment no
X11Forwarding no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
# MaxStartups and MaxSessions: sshd's defaults (10:30:100, 10), on purpose.
EOF
    for k in $(seq 1 "$ENGINES"); do
      p=$(port_k "$k")
      printf 'Match LocalPort %s\n  SetEnv DOCKER_HOST=unix://%s DOCKER_CONFIG=%s SHLVL=1\n' \
        "$p" "$(engine_sock "$k")" "$RIG/remote-docker-config"
    done
  } > "$RIG/sshd_config"
}

write_client_side() {
  local k p hosts="" bad=""
  for k in $(seq 1 "$ENGINES"); do
    p=$(port_k "$k")
    hosts+="${hosts:+,}[127.0.0.1]:$p"
  done
  # localhost:PORT_1 is pinned to another key: a host key mismatch on demand.
  bad="[localhost]:$(port_k 1)"
  {
    echo "$hosts $(cut -d' ' -f1-2 "$RIG/ssh_host_ed25519_key.pub")"
    echo "$bad $(cut -d' ' -f1-2 "$RIG/wrong_host_key.pub")"
  } > "$RIG/known_hosts"
  cat > "$RIG/ssh_config" <<EOF
# The rig's ssh client config (ssh -F: neither ~/.ssh/config nor /etc/ssh/ssh_config is read).
Host *
  User root
  IdentityFile $RIG/client_key
  IdentitiesOnly yes
  IdentityAgent none
  AddKeysToAgent no
  UserKnownHostsFile $RIG/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  CheckHostIP no
  UpdateHostKeys no
  BatchMode yes
  PasswordAuthentication no
  KbdInteractiveAuthentication no
  # The default post-quantum key exchange costs ~140 ms a handshake here.
  KexAlgorithms ^curve25519-sha256,curve25519-sha256@libssh.org
  ConnectTimeout 10
  LogLevel ERROR
EOF
  { sed 's/^# The rig.*/# The rig'"'"'s ssh client config, one shared connection per host (ControlMaster)./' "$RIG/ssh_config"
    printf '  ControlMaster auto\n  ControlPath %s/cm/%%C\n  ControlPersist 60\n' "$RIG"
  } > "$RIG/ssh_config_shared"
  printf '  ControlMaster no\n  ControlPath none\n' >> "$RIG/ssh_config"
  mkdir -p "$RIG/bin" "$RIG/bin-shared" "$RIG/cm"
  chmod 0700 "$RIG/cm"
  local dir cfg
  for dir in bin bin-shared; do
    cfg=ssh_config; [ "$dir" = bin ] || cfg=ssh_config_shared
    cat > "$RIG/$dir/ssh" <<EOF
#!/bin/sh
# The rig's ssh: its own config, keys and known_hosts; ~/.ssh is never read.
echo "\$\$ \$*" >> $RIG/ssh-calls.log
# A number N in fail-next: the next N calls fail as a connection sshd drops
# (past MaxStartups) does.
if [ -s $RIG/fail-next ] && flock $RIG/fail-next sh -c '
    n=\$(cat $RIG/fail-next); [ "\$n" -gt 0 ] 2>/dev/null || exit 1
    if [ "\$n" -gt 1 ]; then echo \$((n - 1)) > $RIG/fail-next; else : > $RIG/fail-next; fi'; then
  echo "\$\$ failed on purpose (fail-next)" >> $RIG/ssh-calls.log
  echo "kex_exchange_identification: Connection closed by remote host" >&2
  exit 255
fi
exec $SSH -F $RIG/$cfg "\$@"
EOF
    chmod 0755 "$RIG/$dir/ssh"
  done
  : > "$RIG/fail-next"
}

write_contexts() {
  local k
  mkdir -p "$DOCKER_CONFIG" "$RIG/remote-docker-config"
  for k in $(seq 1 "$ENGINES"); do
    docker context rm -f "h$k" "h$k-ssh" >/dev/null 2>&1 || true
    docker context create "h$k" --description "test engine $k ($(engine_dir "$k"))" \
      --docker "host=unix://$(engine_sock "$k")" >/dev/null 2>&1 || die "docker context create h$k failed"
    docker context create "h$k-ssh" --description "test engine $k over ssh (needs $RIG/bin on PATH)" \
      --docker "host=ssh://root@127.0.0.1:$(port_k "$k")" >/dev/null 2>&1 || die "docker context create h$k-ssh failed"
  done
}

print_env() {
  local k p
  cat <<EOF
FLEET_TEST_HOSTS_DIR=$RIG
FLEET_TEST_HOSTS_ENGINES=$ENGINES
FLEET_TEST_HOSTS_PATH=$RIG/bin
FLEET_TEST_HOSTS_PATH_SHARED=$RIG/bin-shared
FLEET_TEST_HOSTS_DOCKER_CONFIG=$DOCKER_CONFIG
FLEET_TEST_HOSTS_SSHD_LOG=$RIG/sshd.log
FLEET_TEST_HOSTS_SSH_LOG=$RIG/ssh-calls.log
FLEET_TEST_HOSTS_SSH_BAD_USER=ssh://nobody@127.0.0.1:$(port_k 1)
FLEET_TEST_HOSTS_SSH_BAD_KEY=ssh://root@localhost:$(port_k 1)
FLEET_TEST_HOSTS_SSH_REFUSED=ssh://root@127.0.0.1:$REFUSED_PORT
FLEET_TEST_HOSTS_SSH_FAIL_NEXT=$RIG/fail-next
EOF
  for k in $(seq 1 "$ENGINES"); do
    p=$(port_k "$k")
    cat <<EOF
FLEET_TEST_HOST${k}_DOCKER_HOST=unix://$(engine_sock "$k")
FLEET_TEST_HOST${k}_NAME=$(docker -H "unix://$(engine_sock "$k")" info --format '{{.Name}}' 2>/dev/null)
FLEET_TEST_HOST${k}_SSH=ssh://root@127.0.0.1:$p
FLEET_TEST_HOST${k}_SSH_PORT=$p
FLEET_TEST_HOST${k}_CONTEXT=h$k
FLEET_TEST_HOST${k}_SSH_CONTEXT=h$k-ssh
FLEET_TEST_HOST${k}_ENGINE_DIR=$(engine_dir "$k")
FLEET_TEST_HOST${k}_ENGINE_DATA=$(engine_data "$k")
EOF
  done
}

start_sshd() {
  local k p pid
  # Ports: the first free ones from PORT_BASE, plus one left unused (refused).
  PORTS="" p=$PORT_BASE
  for k in $(seq 1 $((ENGINES + 1))); do
    while ! port_free "$p"; do p=$((p + 1)); done
    if [ "$k" -le "$ENGINES" ]; then PORTS+="${PORTS:+ }$p"; else REFUSED_PORT=$p; fi
    p=$((p + 1))
  done
  rm -f "$RIG"/ssh_host_ed25519_key* "$RIG"/client_key* "$RIG"/wrong_host_key* "$RIG/sshd.pid"
  ssh-keygen -q -t ed25519 -N '' -C "fleet-test-hosts host key" -f "$RIG/ssh_host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C "fleet-test-hosts client key" -f "$RIG/client_key"
  ssh-keygen -q -t ed25519 -N '' -C "not the host key" -f "$RIG/wrong_host_key"
  rm -f "$RIG/wrong_host_key"
  cp "$RIG/client_key.pub" "$RIG/authorized_keys"
  chmod 0600 "$RIG/authorized_keys"
  write_sshd_config
  write_client_side
  save_state
  # sshd's privilege separation dir (compiled in); the system sshd makes it too.
  [ -d /run/sshd ] || install -d -m 0755 /run/sshd
  "$SSHD" -t -f "$RIG/sshd_config" || die "sshd rejects $RIG/sshd_config"
  log "starting sshd on 127.0.0.1 ports $PORTS (log $RIG/sshd.log)"
  # An absolute -f: sshd re-execs itself for every connection with it.
  ( close_fds; exec env -i PATH="$SYS_PATH" "$SSHD" -f "$RIG/sshd_config" -E "$RIG/sshd.log" </dev/null >/dev/null 2>&1 )
  for _ in $(seq 1 50); do pid=$(sshd_pid) && break; sleep 0.1; done
  [ -n "${pid:-}" ] || { tail -5 "$RIG/sshd.log" >&2 || true; die "sshd did not start"; }
  for p in $PORTS; do
    for _ in $(seq 1 50); do port_of_sshd "$p" "$pid" && break; sleep 0.1; done
    port_of_sshd "$p" "$pid" || { tail -5 "$RIG/sshd.log" >&2 || true; die "sshd $pid does not listen on 127.0.0.1:$p"; }
  done
}

start() {
  bash "$HERE/need.sh" "$SSHD:openssh-server" "$SSH:openssh-client" ssh-keygen:openssh-client \
    ss:iproute2 flock:util-linux
  check_safe_dir
  mkdir -p "$RIG"
  chmod 0700 "$RIG"
  lock
  load_state
  local k fresh=1
  if sshd_pid >/dev/null && [ -n "$ENGINES" ]; then
    fresh=
    [ "$ENGINES" -ge "$WANT_ENGINES" ] || die "the rig in $RIG runs $ENGINES engines; stop it to start $WANT_ENGINES"
  else
    ENGINES=$WANT_ENGINES
    [ "$STARTED_E1" = 1 ] || { engine_answers 1 && STARTED_E1=0 || STARTED_E1=1; }
  fi
  # Recorded before the engines start, so a failed start is still undone by `stop`.
  save_state
  for k in $(seq 1 "$ENGINES"); do
    engine "$k" start >/dev/null 7>&-
  done
  if [ -n "$fresh" ]; then
    # Shared connections left by an earlier run would outlive its keys.
    stop_shared_connections
    start_sshd
    write_contexts
  fi
  print_env | tee "$RIG/env"
}

stop_shared_connections() {
  local s p
  for s in "$RIG"/cm/*; do
    [ -S "$s" ] || continue
    "$SSH" -F "$RIG/ssh_config_shared" -o ControlPath="$s" -O exit rig >/dev/null 2>&1 || true
    rm -f "$s"
  done
  # What is left: ssh processes run with the rig's config (e.g. an `ssh -N -L`
  # forward, or a master whose socket is gone: a master retitles itself
  # "ssh: <control path> [mux]").
  for p in $(pgrep -x ssh || true); do
    alive "$p" || continue
    tr '\0' '\n' 2>/dev/null < "/proc/$p/cmdline" | grep -qE "^($RIG/ssh_config(_shared)?|ssh: $RIG/cm/.*)\$" || continue
    log "ending ssh $p (started through the rig's config)"
    kill -TERM "$p" 2>/dev/null || true
  done
}

stop_sshd() {
  local pid kids
  pid=$(sshd_pid) || return 0
  # Per-connection sshd processes outlive the listener: end them too.
  kids=$(descendants "$pid")
  log "stopping sshd $pid${kids:+ and its sessions $(echo $kids)}"
  kill -TERM "$pid" $kids 2>/dev/null || true
  for p in $pid $kids; do wait_gone "$p" 50 || kill -KILL "$p" 2>/dev/null || true; done
  rm -f "$RIG/sshd.pid"
}

stop() {
  [ -d "$RIG" ] || return 0
  lock
  load_state
  stop_shared_connections
  stop_sshd
  local k
  if [ -n "$ENGINES" ]; then
    for k in $(seq "$ENGINES" -1 2); do engine "$k" stop 7>&-; done
    [ "$STARTED_E1" != 1 ] || engine 1 stop 7>&-
  fi
  # The run's keys go with it; configs and logs stay for a post-mortem.
  rm -f "$RIG"/ssh_host_ed25519_key* "$RIG"/client_key* "$RIG"/wrong_host_key* "$RIG/authorized_keys" "$RIG/env" "$STATE"
}

purge() {
  stop
  load_state
  local k
  for k in 2 3; do
    [ -d "$(engine_dir "$k")" ] || [ -d "$(engine_data "$k")" ] || continue
    engine "$k" purge
  done
  rm -rf "$RIG" "$RIG.lock"
}

# Smoke test: each engine, each ssh endpoint (plain and shared), each
# context answers and lands on its own engine; the failing endpoints fail.
check() {
  [ -f "$RIG/env" ] || die "the rig in $RIG is not started"
  local k want fails=0 out url
  # shellcheck disable=SC1090
  . <(sed 's/^/export /' "$RIG/env")
  ok() { printf 'ok    %s\n' "$*"; }
  bad() { printf 'FAIL  %s\n' "$*"; fails=$((fails + 1)); }
  lands() { # label want command…
    local label=$1 want=$2 got; shift 2
    if got=$("$@" info --format '{{.Name}}' 2>&1) && [ "$got" = "$want" ]; then ok "$label -> $got"; else bad "$label -> $got (want $want)"; fi
  }
  local names=()
  for k in $(seq 1 "$FLEET_TEST_HOSTS_ENGINES"); do
    eval "want=\$FLEET_TEST_HOST${k}_NAME"
    names+=("$want")
    eval "url=\$FLEET_TEST_HOST${k}_DOCKER_HOST"
    lands "engine $k $url" "$want" docker -H "$url"
    eval "url=\$FLEET_TEST_HOST${k}_SSH"
    lands "engine $k $url (new connection)" "$want" env PATH="$FLEET_TEST_HOSTS_PATH:$PATH" DOCKER_HOST="$url" docker
    lands "engine $k $url (shared connection)" "$want" env PATH="$FLEET_TEST_HOSTS_PATH_SHARED:$PATH" DOCKER_HOST="$url" docker
    lands "engine $k context h$k" "$want" docker --context "h$k"
    lands "engine $k context h$k-ssh" "$want" env PATH="$FLEET_TEST_HOSTS_PATH:$PATH" docker --context "h$k-ssh"
  done
  [ "$(printf '%s\n' "${names[@]}" | sort -u | wc -l)" = "${#names[@]}" ] && ok "engine names differ: ${names[*]}" ||
    bad "engine names are not distinct: ${names[*]}"
  for url in "$FLEET_TEST_HOSTS_SSH_BAD_USER" "$FLEET_TEST_HOSTS_SSH_BAD_KEY" "$FLEET_TEST_HOSTS_SSH_REFUSED"; do
    if out=$(PATH="$FLEET_TEST_HOSTS_PATH:$PATH" DOCKER_HOST="$url" timeout 20 docker ps 2>&1); then
      bad "$url answered"
    else
      ok "$url fails: $(echo "$out" | tr '\n' ' ' | cut -c1-300)"
    fi
  done
  # A transient SSH failure: the docker CLI pings the engine (one retry) to
  # pick the API version, then sends the request. Both ping connections
  # dropped, the request's through: the CLI speaks its own API version, which
  # an older engine refuses as "client version … is too new". Three dropped:
  # "error during connect: … stderr=<ssh's message>".
  local n
  for n in 2 3; do
    echo "$n" > "$FLEET_TEST_HOSTS_SSH_FAIL_NEXT"
    out=$(PATH="$FLEET_TEST_HOSTS_PATH:$PATH" DOCKER_HOST="$FLEET_TEST_HOST1_SSH" timeout 20 docker ps 2>&1) &&
      out="(answered) $out"
    : > "$FLEET_TEST_HOSTS_SSH_FAIL_NEXT"
    printf 'info  %s ssh connection(s) dropped, docker ps says: %s\n' "$n" "$(echo "$out" | tr '\n' ' ' | cut -c1-300)"
  done
  [ "$fails" -eq 0 ] || { log "$fails check(s) failed"; exit 1; }
}

case "${1:-start}" in
  start) start ;;
  env) [ -f "$RIG/env" ] || die "the rig in $RIG is not started"; cat "$RIG/env" ;;
  check) check ;;
  stop) stop ;;
  purge) purge ;;
  *) echo "usage: $0 start|env|check|stop|purge" >&2; exit 2 ;;
esac
