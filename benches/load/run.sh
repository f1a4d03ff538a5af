#!/usr/bin/env bash
# mamori load benchmark (run by hand, not in CI). Loopback only.
#
# Measures, at 1, 16 and 64 connections, the same chat-completion request sent
#   direct  — to a fast upstream (nginx answering a fixed chat completion),
#   mamori  — through mamori (release build) in front of that upstream,
#   nginx   — through nginx as a plain reverse proxy (keepalive pool) to it,
# and prints requests/s, p50 and p99 for each, the latency mamori adds over
# direct, and mamori's throughput at 64 connections as a % of nginx's.
#
# Usage: benches/load/run.sh            (about 2 minutes)
# Environment:
#   DURATION=10        seconds measured per run
#   WARMUP=2           seconds of warm-up before each run (not measured)
#   CONNECTIONS="1 16 64"
#   PROFILE=1          also record mamori with perf during its 64-connection run
#   KEEP_TMP=1         keep the temporary directory (configs, logs, perf data)
#   SKIP_BUILD=1       use an existing release binary (MAMORI_BIN or target/release/mamori)
#   NICE=-10           run everything at this nice level (negative needs root): on a
#                      machine busy with other work (compiles) this keeps the
#                      measurement closer to what a quiet machine gives
#   TOKIO_WORKER_THREADS=N  passed through to mamori (tokio's default: one per CPU)
#   AUDIT_DURABILITY=batched  run mamori with `[audit] durability = "batched"`
#                      (default: the config's default, strict)
#   TARGETS="direct mamori nginx floor"  which targets to measure (a quick
#                      mamori-only run for iterating; the summary needs the
#                      first three). floor: benches/relay_floor.rs, a bare relay
#                      on mamori's stack (tokio, hyper, hyper-util client,
#                      mimalloc) that does nothing else: the most a gateway on
#                      this stack reaches on this machine
#   FLOOR_BIN=...      with SKIP_BUILD=1: the relay_floor binary to use
#   CALLGRIND=1        run mamori under valgrind's callgrind and report the
#                      instructions it executes per request (user space, all
#                      threads; k instr/req): repeatable on a busy machine,
#                      unlike time. Throughput and latencies are then meaningless.
#   PERF_ARGS="-g"     arguments for `perf record` with PROFILE=1 (e.g.
#                      "--call-graph dwarf,16384")
#   WAIT_QUIET=600     before measuring, wait up to this many seconds for the
#                      1-minute load average to fall below QUIET_LOAD (default 1.0)
#
# It installs what it lacks: wrk and nginx from Debian's packages (apt-get).
set -euo pipefail
# The whole script is one block: bash parses it completely before running it,
# so editing this file while a run is in progress cannot derail that run.
{
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
CONNECTIONS="${CONNECTIONS:-1 16 64}"
TARGETS="${TARGETS:-direct mamori nginx floor}"
wants() { case " $TARGETS " in *" $1 "*) return 0 ;; esac; return 1; }
BENCH_KEY="mk-bench-load-7f3c9a2e51d04b68" # its hash is in bench.toml
export MAMORI_BENCH_UPSTREAM_KEY="sk-bench-upstream-not-a-real-key"
if [ -n "${NICE:-}" ]; then
    # Everything started from here on (nginx, mamori, wrk) inherits it.
    renice -n "$NICE" -p $$ >/dev/null || { echo "run.sh: renice $NICE failed" >&2; exit 1; }
fi

log() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'run.sh: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------- tools

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
    log "installing $* from Debian's packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

command -v curl >/dev/null || apt_install curl
command -v wrk >/dev/null || apt_install wrk
NGINX="$(find_nginx)"
if [ -z "$NGINX" ]; then
    # nginx-light where it exists (smaller), nginx otherwise.
    apt_install nginx-light 2>/dev/null || apt_install nginx
    NGINX="$(find_nginx)"
fi
[ -n "$NGINX" ] || die "nginx not found after installing it"
WRK="$(command -v wrk)"

# ---------------------------------------------------------------- scratch + cleanup

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mamori-load.XXXXXX")"
PIDS=()
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port (the kernel may still hand it to someone else; unlikely).
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

wait_http() { # url what
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "$1"; then return 0; fi
        sleep 0.1
    done
    die "$2 did not come up at $1"
}

# ---------------------------------------------------------------- build mamori

if [ "${SKIP_BUILD:-0}" = 1 ]; then
    SRC_BIN="${MAMORI_BIN:-${CARGO_TARGET_DIR:-$REPO/target}/release/mamori}"
else
    log "building mamori (release)"
    (cd "$REPO" && cargo build --release --quiet --bin mamori)
    SRC_BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/mamori"
fi
[ -x "$SRC_BIN" ] || die "no mamori binary at $SRC_BIN"
if wants floor; then
    if [ -n "${FLOOR_BIN:-}" ]; then
        SRC_FLOOR="$FLOOR_BIN"
    else
        log "building the relay floor (release)"
        SRC_FLOOR="$(cd "$REPO" && cargo bench --bench relay_floor --no-run 2>&1 |
            sed -n 's|.*Executable benches/relay_floor.rs (\(.*\))|\1|p' | tail -n1)"
        case "$SRC_FLOOR" in /*) ;; ?*) SRC_FLOOR="$REPO/$SRC_FLOOR" ;; esac
    fi
    [ -x "$SRC_FLOOR" ] || die "no relay_floor binary (FLOOR_BIN=${FLOOR_BIN:-})"
    cp "$SRC_FLOOR" "$TMP/relay_floor"
fi
# Copy it at once: a shared target directory may be rebuilt by someone else meanwhile.
cp "$SRC_BIN" "$TMP/mamori"
MAMORI="$TMP/mamori"

# ---------------------------------------------------------------- upstream nginx

UP_PORT="$(free_port)"
mkdir -p "$TMP/upstream" "$TMP/proxy"
# nginx processes backslash escapes in quoted strings: double them so the JSON's
# "\n" reaches the client as written.
RESPONSE_JSON="$(tr -d '\n' <"$HERE/response.json" | sed 's/\\/\\\\/g')"
cat >"$TMP/upstream/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/upstream/nginx.pid;
error_log $TMP/upstream/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/upstream/body;
    proxy_temp_path $TMP/upstream/proxy;
    fastcgi_temp_path $TMP/upstream/fastcgi;
    uwsgi_temp_path $TMP/upstream/uwsgi;
    scgi_temp_path $TMP/upstream/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$UP_PORT;
        location = /v1/chat/completions {
            if (\$request_method != POST) { return 405; }
            default_type application/json;
            return 200 '$RESPONSE_JSON';
        }
        location / { return 404; }
    }
}
EOF
"$NGINX" -p "$TMP/upstream" -c "$TMP/upstream/nginx.conf" -g 'daemon off;' &
UPSTREAM_PID=$!
PIDS+=("$UPSTREAM_PID")

# ---------------------------------------------------------------- proxy nginx

PX_PORT="$(free_port)"
cat >"$TMP/proxy/nginx.conf" <<EOF
worker_processes auto;
pid $TMP/proxy/nginx.pid;
error_log $TMP/proxy/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/proxy/body;
    proxy_temp_path $TMP/proxy/proxy;
    fastcgi_temp_path $TMP/proxy/fastcgi;
    uwsgi_temp_path $TMP/proxy/uwsgi;
    scgi_temp_path $TMP/proxy/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    upstream llm {
        server 127.0.0.1:$UP_PORT;
        keepalive 128;
        keepalive_requests 10000000;
    }
    server {
        listen 127.0.0.1:$PX_PORT;
        location / {
            proxy_pass http://llm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
"$NGINX" -p "$TMP/proxy" -c "$TMP/proxy/nginx.conf" -g 'daemon off;' &
PROXY_PID=$!
PIDS+=("$PROXY_PID")

# ---------------------------------------------------------------- mamori

sed -e "s|__UPSTREAM_PORT__|$UP_PORT|g" -e "s|__REPO__|$REPO|g" "$HERE/bench.toml" >"$TMP/bench.toml"
if [ -n "${AUDIT_DURABILITY:-}" ]; then
    printf '\n[audit]\ndurability = "%s"\n' "$AUDIT_DURABILITY" >>"$TMP/bench.toml"
fi
mkdir -p "$TMP/data"
CALLGRIND="${CALLGRIND:-0}"
MAMORI_CMD=("$MAMORI")
if [ "$CALLGRIND" = 1 ]; then
    command -v valgrind >/dev/null || apt_install valgrind
    MAMORI_CMD=(valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out.%p" "$MAMORI")
fi
"${MAMORI_CMD[@]}" serve --config "$TMP/bench.toml" --listen 127.0.0.1:0 --data-dir "$TMP/data" \
    >"$TMP/mamori.out" 2>"$TMP/mamori.err" &
MAMORI_PID=$!
PIDS+=("$MAMORI_PID")
MM_PORT=""
for _ in $(seq 1 600); do
    MM_PORT="$(sed -n 's|^mamori listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$TMP/mamori.out" | head -n1)"
    [ -n "$MM_PORT" ] && break
    kill -0 "$MAMORI_PID" 2>/dev/null || die "mamori exited: $(cat "$TMP/mamori.err")"
    sleep 0.1
done
[ -n "$MM_PORT" ] || die "mamori did not print its listening line: $(cat "$TMP/mamori.err")"

# ---------------------------------------------------------------- relay floor

FLOOR_URL=""
if wants floor; then
    FL_PORT="$(free_port)"
    RELAY_LISTEN="127.0.0.1:$FL_PORT" RELAY_UPSTREAM="http://127.0.0.1:$UP_PORT" \
        "$TMP/relay_floor" >"$TMP/floor.out" 2>&1 &
    FLOOR_PID=$!
    PIDS+=("$FLOOR_PID")
    FLOOR_URL="http://127.0.0.1:$FL_PORT/v1/chat/completions"
fi

DIRECT_URL="http://127.0.0.1:$UP_PORT/v1/chat/completions"
MAMORI_URL="http://127.0.0.1:$MM_PORT/v1/chat/completions"
NGINX_URL="http://127.0.0.1:$PX_PORT/v1/chat/completions"
wait_http "$DIRECT_URL" "upstream nginx"
wait_http "$NGINX_URL" "proxy nginx"
[ -n "$FLOOR_URL" ] && wait_http "$FLOOR_URL" "relay floor"

# Every target must answer the request with 200 and the same completion.
want="$(tr -d '\n' <"$HERE/response.json")"
for url in "$DIRECT_URL" "$MAMORI_URL" "$NGINX_URL" $FLOOR_URL; do
    got="$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $BENCH_KEY" --data-binary @"$HERE/request.json" "$url")"
    code="${got##*$'\n'}"
    body="${got%$'\n'*}"
    [ "$code" = 200 ] || die "$url answered $code: $body"
    python3 - "$body" "$want" <<'PY' || die "$url: the body differs from the upstream's completion"
import json, sys
sys.exit(0 if json.loads(sys.argv[1]) == json.loads(sys.argv[2]) else 1)
PY
done
log "upstream :$UP_PORT  mamori :$MM_PORT  nginx-proxy :$PX_PORT  (all 200, bodies equal)"

# ---------------------------------------------------------------- measure

export BENCH_BODY_FILE="$HERE/request.json" BENCH_KEY
RESULTS="$TMP/results.txt"
: >"$RESULTS"

CLK_TCK="$(getconf CLK_TCK)"

# CPU time (user + system, in clock ticks) used so far by the given processes and their children.
cpu_ticks() {
    local total=0 pid
    for pid in "$@" $(for p in "$@"; do pgrep -P "$p" || true; done); do
        [ -r "/proc/$pid/stat" ] || continue
        # Fields 14 and 15 after the ")" that ends the command name.
        total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$total"
}

run_wrk() { # name url conns
    local name="$1" url="$2" c="$3" t=1 out
    [ "$c" -ge 2 ] && t=2
    "$WRK" -t"$t" -c"$c" -d"${WARMUP}s" --timeout 5s -s "$HERE/wrk.lua" "$url" >/dev/null
    if [ "${PROFILE:-0}" = 1 ] && [ "$name" = mamori ] && [ "$c" = 64 ] && command -v perf >/dev/null; then
        # shellcheck disable=SC2086
        perf record -q -F 499 ${PERF_ARGS:--g} -p "$MAMORI_PID" -o "$TMP/perf.data" -- sleep "$((DURATION - 1))" \
            >/dev/null 2>&1 &
        PERF_PID=$!
    fi
    local procs
    case "$name" in
    direct) procs="$UPSTREAM_PID" ;;
    mamori) procs="$MAMORI_PID" ;;
    nginx) procs="$PROXY_PID" ;;
    floor) procs="$FLOOR_PID" ;;
    esac
    local cpu0 cpu1
    if [ "$CALLGRIND" = 1 ] && [ "$name" = mamori ]; then
        callgrind_control -z "$MAMORI_PID" >/dev/null
    fi
    # shellcheck disable=SC2086
    cpu0="$(cpu_ticks $procs)"
    out="$("$WRK" -t"$t" -c"$c" -d"${DURATION}s" --timeout 5s -s "$HERE/wrk.lua" "$url")"
    # shellcheck disable=SC2086
    cpu1="$(cpu_ticks $procs)"
    local instr=0
    if [ "$CALLGRIND" = 1 ] && [ "$name" = mamori ]; then
        # Instructions (user space, all threads) while wrk ran: repeatable on a busy machine.
        callgrind_control -d "$MAMORI_PID" >/dev/null
        local dump
        # shellcheck disable=SC2012
        dump="$(ls -t "$TMP"/callgrind.out."$MAMORI_PID"* 2>/dev/null | head -n1)"
        [ -n "$dump" ] && instr="$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$dump" | head -n1)"
        case "$instr" in '' | *[!0-9]*) instr=0 ;; esac
    fi
    [ -n "${PERF_PID:-}" ] && { wait "$PERF_PID" || true; PERF_PID=""; }
    local line
    line="$(grep '^RESULT ' <<<"$out")" || die "no RESULT line from wrk:\n$out"
    local nreq cpu_us
    nreq="${line##* requests=}"
    nreq="${nreq%% *}"
    # CPU µs per request of the process under test (for direct: the upstream itself).
    cpu_us=$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$nreq" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
    local kinstr
    kinstr=$(awk -v i="$instr" -v n="$nreq" 'BEGIN { printf "%.0f", n ? i / n / 1000 : 0 }')
    line="$line cpu_us_per_req=$cpu_us kinstr_per_req=$kinstr"
    echo "$name $c $line" >>"$RESULTS"
    log "$(printf '%-7s c=%-3s %s' "$name" "$c" "${line#RESULT }")"
}

if [ -n "${WAIT_QUIET:-}" ]; then
    waited=0
    while awk -v q="${QUIET_LOAD:-1.0}" '{ exit !($1 >= q) }' /proc/loadavg && [ "$waited" -lt "$WAIT_QUIET" ]; do
        [ $((waited % 60)) = 0 ] && log "waiting for a quiet machine: load $(cut -d' ' -f1-3 /proc/loadavg)"
        sleep 5
        waited=$((waited + 5))
    done
fi
LOAD_BEFORE="$(uptime)"
log "load before: $LOAD_BEFORE"
for c in $CONNECTIONS; do
    for n in $TARGETS; do
        case "$n" in
        direct) run_wrk direct "$DIRECT_URL" "$c" ;;
        mamori) run_wrk mamori "$MAMORI_URL" "$c" ;;
        nginx) run_wrk nginx "$NGINX_URL" "$c" ;;
        floor) run_wrk floor "$FLOOR_URL" "$c" ;;
        *) die "unknown target $n" ;;
        esac
    done
done
LOAD_AFTER="$(uptime)"
log "load after: $LOAD_AFTER"

# ---------------------------------------------------------------- report

field() { # name conns key
    awk -v n="$1" -v c="$2" -v k="$3" '$1 == n && $2 == c {
        for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$RESULTS"
}

echo
echo "mamori load benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "mamori $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet 2>/dev/null || echo '+dirty'), $(rustc --version 2>/dev/null || true)"
echo "$("$WRK" -v 2>&1 | head -n1 | cut -d' ' -f1-2), $("$NGINX" -v 2>&1), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "duration ${DURATION}s per run after ${WARMUP}s warm-up; request $(wc -c <"$HERE/request.json") bytes, response $(wc -c <"$HERE/response.json") bytes"
echo "load before: ${LOAD_BEFORE#*load average: }; after: ${LOAD_AFTER#*load average: }; nice ${NICE:-0}; TOKIO_WORKER_THREADS=${TOKIO_WORKER_THREADS:-default}; audit durability ${AUDIT_DURABILITY:-strict (default)}"
if ! wants direct || ! wants mamori || ! wants nginx; then
    echo
    cat "$RESULTS"
    exit 0
fi
echo
# cpu µs/req: CPU time of the process under test per request — the upstream for
# direct, mamori, the proxy nginx's workers — much less sensitive to other load.
if [ "$CALLGRIND" = 1 ]; then
    printf '| conns | target | req/s | p50 µs | p99 µs | cpu µs/req | k instr/req | errors |\n'
    printf '|------:|--------|------:|-------:|-------:|-----------:|------------:|-------:|\n'
else
    printf '| conns | target | req/s | p50 µs | p99 µs | cpu µs/req | errors |\n'
    printf '|------:|--------|------:|-------:|-------:|-----------:|-------:|\n'
fi
for c in $CONNECTIONS; do
    for n in $TARGETS; do
        errs=$(($(field "$n" "$c" sock_errors) + $(field "$n" "$c" non2xx)))
        instr_col=""
        [ "$CALLGRIND" = 1 ] && instr_col=" $(field "$n" "$c" kinstr_per_req) |"
        printf '| %s | %s | %s | %s | %s | %s |%s %s |\n' "$c" "$n" "$(field "$n" "$c" rps)" \
            "$(field "$n" "$c" p50_us)" "$(field "$n" "$c" p99_us)" "$(field "$n" "$c" cpu_us_per_req)" \
            "$instr_col" "$errs"
    done
done
echo
printf '| conns | mamori adds p50 µs | mamori adds p99 µs | nginx adds p50 µs | nginx adds p99 µs | mamori req/s as %% of nginx | floor req/s as %% of nginx |\n'
printf '|------:|-------------------:|-------------------:|------------------:|------------------:|---------------------------:|--------------------------:|\n'
for c in $CONNECTIONS; do
    d50=$(field direct "$c" p50_us) d99=$(field direct "$c" p99_us)
    m50=$(field mamori "$c" p50_us) m99=$(field mamori "$c" p99_us)
    n50=$(field nginx "$c" p50_us) n99=$(field nginx "$c" p99_us)
    pct=$(awk -v m="$(field mamori "$c" rps)" -v n="$(field nginx "$c" rps)" 'BEGIN { printf "%.0f%%", 100 * m / n }')
    fpct="—"
    wants floor && fpct=$(awk -v f="$(field floor "$c" rps)" -v n="$(field nginx "$c" rps)" 'BEGIN { printf "%.0f%%", 100 * f / n }')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$((m50 - d50))" "$((m99 - d99))" \
        "$((n50 - d50))" "$((n99 - d99))" "$pct" "$fpct"
done
echo
# Targets from issue 3: added p50 ≤ 100 µs, added p99 ≤ 1 ms (every connection count),
# throughput at 64 connections ≥ 60% of nginx-as-proxy.
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
worst50=0 worst99=0
for c in $CONNECTIONS; do
    a50=$(($(field mamori "$c" p50_us) - $(field direct "$c" p50_us)))
    a99=$(($(field mamori "$c" p99_us) - $(field direct "$c" p99_us)))
    [ "$a50" -gt "$worst50" ] && worst50=$a50
    [ "$a99" -gt "$worst99" ] && worst99=$a99
done
echo "target added p50 <= 100 µs:   worst ${worst50} µs — $(verdict $((worst50 <= 100)))"
echo "target added p99 <= 1000 µs:  worst ${worst99} µs — $(verdict $((worst99 <= 1000)))"
if grep -q '^mamori 64 ' "$RESULTS" && grep -q '^nginx 64 ' "$RESULTS"; then
    ok64=$(awk -v m="$(field mamori 64 rps)" -v n="$(field nginx 64 rps)" 'BEGIN { print (m >= 0.6 * n) ? 1 : 0 }')
    pct64=$(awk -v m="$(field mamori 64 rps)" -v n="$(field nginx 64 rps)" 'BEGIN { printf "%.0f%%", 100 * m / n }')
    echo "target req/s at 64 >= 60% of nginx: ${pct64} — $(verdict "$ok64")"
fi
if [ -f "$TMP/perf.data" ]; then
    echo
    echo "perf (mamori, 64 connections), top symbols by self time:"
    perf report -i "$TMP/perf.data" --no-children --stdio --sort dso,symbol -g none 2>/dev/null |
        grep '%' | grep -v '^#' | cut -c1-150 | head -n 30 || true
fi
exit 0
}
