# Shared by the bench scripts (sourced, not run). Before sourcing it the
# caller sets bench_name (the prefix of its messages); lib.sh makes fd 9 the
# caller's stderr, for messages from inside redirected commands, and defines
# die() and the steps every server bench takes: checks, a private work
# directory, ctims's key, database, bench user and server, sign-in, stop.
# shellcheck shell=bash
# bench_name and ctims are the caller's; the variables set here are for it.
# shellcheck disable=SC2154,SC2034

exec 9>&2
die() {
  echo "$bench_name: $*" >&9
  exit 1
}

# require_ctims BINARY: dies unless BINARY is executable, saying how to build it.
require_ctims() {
  [ -x "$1" ] || die "no ctims binary at $1 (build it: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCTIMS_BUILD_TESTS=OFF && ninja -C build/release ctims)"
}

# require_tools HINT TOOL...: dies naming the first TOOL missing from PATH,
# with HINT (where it comes from).
require_tools() {
  local hint=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found ($hint)"
  done
}

# make_work PREFIX: sets work to a new private temporary directory.
make_work() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
}

# stop_pids PID...: SIGTERM to each PID still running, SIGKILL after 5 s;
# reaps them. Empty arguments are skipped.
stop_pids() {
  local pid
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

# finish_work RC: removes $work, unless BENCH_KEEP=1 or RC is not 0 (then it
# says where $work is, to look at the logs).
finish_work() {
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$1" -ne 0 ]; then
    echo "$bench_name: kept $work" >&9
  else
    rm -rf "$work"
  fi
}

# on_exit FUNCTION: FUNCTION runs on exit (INT and TERM exit 130), and a
# failing command is named by its line.
on_exit() {
  # shellcheck disable=SC2064  # the function's name is fixed now
  trap "$1" EXIT
  trap 'exit 130' INT TERM
  trap 'echo "$bench_name: command failed at line $LINENO" >&9' ERR
}

# init_key KEY: a new key file (ctims keys init), logged in $work/keys.log.
init_key() {
  "$ctims" keys init --key-file "$1" >"$work/keys.log" 2>&1 || die "ctims keys init failed: $(cat "$work/keys.log")"
}

# add_bench_user DB KEY USER AGENCY: USER, a supervisor of AGENCY (sees and
# writes its agency's records, every field group), with a random password
# in bench_password.
add_bench_user() {
  bench_password="bench-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  printf '%s\n' "$bench_password" |
    "$ctims" user add "$3" --agency "$4" --role supervisor --password-stdin \
      --db "$1" --key-file "$2" >"$work/user.log" 2>&1 || die "ctims user add failed: $(cat "$work/user.log")"
}

# A loopback port with no listener right now (the server start retries when
# another process takes it first).
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free loopback port found"
}

# wait_http PID URL [LOG LINE]: until URL answers 200 (and LOG holds LINE,
# proof that PID, not another process, owns the port), or PID exits
# (returns 1).
wait_http() {
  local pid=$1 url=$2 log=${3:-} line=${4:-}
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || return 1
    if { [ -z "$log" ] || grep -qxF "$line" "$log"; } && curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  die "$url did not answer within 10 s"
}

# start_ctims DB KEY [LAUNCHER...]: `$ctims serve` (run through LAUNCHER,
# e.g. taskset, when given) on a free loopback port, logging to
# $work/ctims.log; sets ctims_port and ctims_pid once it answers, tries
# another port when one was taken, dies after 5 tries.
start_ctims() {
  local db=$1 key=$2
  shift 2
  for _ in 1 2 3 4 5; do
    ctims_port=$(free_port)
    "$@" "$ctims" serve --db "$db" --key-file "$key" --listen "127.0.0.1:$ctims_port" >>"$work/ctims.log" 2>&1 &
    ctims_pid=$!
    if wait_http "$ctims_pid" "http://127.0.0.1:$ctims_port/api/v1/health" "$work/ctims.log" \
      "listening on 127.0.0.1:$ctims_port"; then
      return 0
    fi
    wait "$ctims_pid" 2>/dev/null || true
    ctims_pid=""
  done
  die "ctims serve did not start: $(tail -5 "$work/ctims.log")"
}

# stop_ctims: SIGTERM to the server start_ctims started; dies unless it
# stops within 10 s.
stop_ctims() {
  kill -TERM "$ctims_pid"
  for _ in $(seq 100); do kill -0 "$ctims_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$ctims_pid" 2>/dev/null && die "ctims serve did not stop on SIGTERM within 10 s"
  wait "$ctims_pid" 2>/dev/null || true
  ctims_pid=""
}

# sign_in API USER PASSWORD: POST API/session; sets session (the cookie),
# cookie and csrf_header (the headers for later requests), csrf (the token).
sign_in() {
  local code
  printf '{"username":"%s","password":"%s"}' "$2" "$3" >"$work/signin.json"
  code=$(curl -sS -o "$work/signin.out" -D "$work/signin.headers" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary "@$work/signin.json" "$1/session") || die "POST session failed"
  [ "$code" = 201 ] || die "sign-in -> $code: $(cat "$work/signin.out")"
  session=$(tr -d '\r' <"$work/signin.headers" | sed -n 's/^[Ss]et-[Cc]ookie: *\(ctims_session=[^;]*\).*/\1/p' | head -1)
  csrf=$(grep -o '"csrf_token":"[^"]*"' "$work/signin.out" | cut -d'"' -f4)
  if [ -z "$session" ] || [ -z "$csrf" ]; then die "sign-in gave no session cookie or CSRF token"; fi
  cookie="Cookie: $session"
  csrf_header="X-CSRF-Token: $csrf"
}
