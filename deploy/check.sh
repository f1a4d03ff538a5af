#!/usr/bin/env bash
# Validates everything under deploy/ with the real tools, installing what it needs
# from Debian's packages when it runs as root with apt-get.
#
#   deploy/check.sh                          # metric names from Metrics::new() (via cargo test)
#   deploy/check.sh --metrics-file scrape.txt
#   deploy/check.sh --metrics-url http://127.0.0.1:8080/metrics
#   deploy/check.sh --no-install             # never call apt-get; missing tools are SKIPPED
#
# Prints one line per check (PASS / FAIL / SKIP with the reason) and a summary.
# Exits 1 if any check failed, 0 otherwise (skips do not fail the run).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
METRICS_FILE=""
METRICS_URL=""
INSTALL=1

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --metrics-file) METRICS_FILE="${2:-}"; shift 2 ;;
    --metrics-file=*) METRICS_FILE="${1#*=}"; shift ;;
    --metrics-url) METRICS_URL="${2:-}"; shift 2 ;;
    --metrics-url=*) METRICS_URL="${1#*=}"; shift ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mamori-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PASSED=(); FAILED=(); SKIPPED=()
pass() { PASSED+=("$1"); printf 'PASS  %-28s %s\n' "$1" "${2:-}"; }
fail() { FAILED+=("$1"); printf 'FAIL  %-28s %s\n' "$1" "${2:-}"; }
skip() { SKIPPED+=("$1"); printf 'SKIP  %-28s %s\n' "$1" "${2:-}"; }
# Runs a command quietly; on failure shows its output indented.
run_check() {
  local name="$1" detail="$2"; shift 2
  if "$@" >"$WORK/out" 2>&1; then
    pass "$name" "$detail"
  else
    fail "$name" "$detail"
    sed 's/^/      /' "$WORK/out" | head -60
  fi
}

APT_UPDATED=0
# apt_install PKG...: installs Debian packages if allowed; returns non-zero with a reason in $WHY.
WHY=""
apt_install() {
  if [ "$INSTALL" = 0 ]; then WHY="--no-install given"; return 1; fi
  if ! command -v apt-get >/dev/null 2>&1; then WHY="no apt-get on this machine"; return 1; fi
  if [ "$(id -u)" != 0 ]; then WHY="not root, cannot apt-get install $*"; return 1; fi
  if [ "$APT_UPDATED" = 0 ]; then
    echo "....  apt-get update"
    if ! apt-get update -qq >"$WORK/apt.log" 2>&1; then
      WHY="apt-get update failed: $(tail -n1 "$WORK/apt.log")"; return 1
    fi
    APT_UPDATED=1
  fi
  echo "....  apt-get install $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
      >"$WORK/apt.log" 2>&1; then
    WHY="apt-get install $* failed: $(tail -n1 "$WORK/apt.log")"; return 1
  fi
}

echo "mamori deploy checks in $DEPLOY"

# ---------------------------------------------------------------- tools
HAVE_PROMTOOL=0
if command -v promtool >/dev/null 2>&1; then
  HAVE_PROMTOOL=1
elif apt_install prometheus && command -v promtool >/dev/null 2>&1; then
  HAVE_PROMTOOL=1
else
  PROMTOOL_WHY="promtool not found (${WHY:-Debian package prometheus installed no promtool})"
fi

# A Python 3 with PyYAML, for the Kubernetes manifests (pyenv shims may lack it).
PY=""; PY_YAML=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import json' >/dev/null 2>&1; then
    [ -z "$PY" ] && PY="$p"
    if [ -z "$PY_YAML" ] && "$p" -c 'import yaml' >/dev/null 2>&1; then PY_YAML="$p"; fi
  fi
done
if [ -z "$PY_YAML" ] && apt_install python3 python3-yaml && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
  PY_YAML=/usr/bin/python3; [ -z "$PY" ] && PY=/usr/bin/python3
fi
YAML_WHY="${WHY:-}"

# ---------------------------------------------------------------- prometheus
if [ "$HAVE_PROMTOOL" = 1 ]; then
  run_check "promtool check config" "deploy/prometheus/prometheus.yml (with its rule files)" \
    promtool check config "$DEPLOY/prometheus/prometheus.yml"
  run_check "promtool check rules" "deploy/prometheus/alerts.yml" \
    promtool check rules "$DEPLOY/prometheus/alerts.yml"
  run_check "promtool test rules" "deploy/prometheus/alerts_test.yml (each alert fires when it should)" \
    bash -c "cd '$DEPLOY/prometheus' && promtool test rules alerts_test.yml"
else
  skip "promtool check config" "$PROMTOOL_WHY"
  skip "promtool check rules" "$PROMTOOL_WHY"
  skip "promtool test rules" "$PROMTOOL_WHY"
fi

# ---------------------------------------------------------------- grafana
DASH="$DEPLOY/grafana/mamori-dashboard.json"
DASH_OK=0
if [ -n "$PY" ]; then
  run_check "dashboard json" "python3 -m json.tool parses mamori-dashboard.json" \
    "$PY" -m json.tool "$DASH"
  if "$PY" -m json.tool "$DASH" >/dev/null 2>&1; then DASH_OK=1; fi
  run_check "dashboard generated" "mamori-dashboard.json matches build_dashboard.py" \
    "$PY" "$DEPLOY/grafana/build_dashboard.py" --check
elif command -v jq >/dev/null 2>&1; then
  run_check "dashboard json" "jq parses mamori-dashboard.json" jq empty "$DASH"
  if jq empty "$DASH" >/dev/null 2>&1; then DASH_OK=1; fi
  skip "dashboard generated" "no python3 to run build_dashboard.py --check"
else
  skip "dashboard json" "neither python3 nor jq available"
  skip "dashboard generated" "no python3"
fi

# Every dashboard query parsed by Prometheus' own PromQL parser: written as recording
# rules (Grafana variables replaced by sample values) and given to promtool.
extract_exprs() {
  if [ -n "$PY" ]; then
    "$PY" - "$DASH" <<'PYEOF'
import json, sys
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "expr" and isinstance(v, str):
                print(json.dumps(v))
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(open(sys.argv[1], encoding="utf-8")))
PYEOF
  else
    jq -c '.. | .expr? // empty' "$DASH"
  fi
}
if [ "$HAVE_PROMTOOL" = 1 ] && [ "$DASH_OK" = 1 ]; then
  {
    echo "groups:"
    echo "  - name: dashboard"
    echo "    rules:"
    n=0
    while IFS= read -r e; do
      n=$((n + 1))
      e="${e//\$__rate_interval/5m}"; e="${e//\$__range/1h}"; e="${e//\$__interval/1m}"
      e="${e//\$instance/.*}"
      echo "      - record: dashboard:expr_$n"
      echo "        expr: $e"
    done < <(extract_exprs)
  } >"$WORK/dashboard-rules.yml"
  count="$(grep -c 'record:' "$WORK/dashboard-rules.yml")"
  run_check "dashboard promql" "$count panel queries parse (promtool)" \
    promtool check rules "$WORK/dashboard-rules.yml"
else
  skip "dashboard promql" "needs promtool and a parsed dashboard"
fi

# ---------------------------------------------------------------- metric names
# The scrape to check against: a file, a URL, or the families Metrics::new() registers.
SCRAPE="$WORK/scrape.txt"; SCRAPE_FROM=""
fetch_url() {
  if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 10 "$1" -o "$SCRAPE"
  elif command -v wget >/dev/null 2>&1; then wget -q -T 10 -O "$SCRAPE" "$1"
  elif [ -n "$PY" ]; then
    "$PY" -c 'import sys,urllib.request; open(sys.argv[2],"wb").write(urllib.request.urlopen(sys.argv[1],timeout=10).read())' "$1" "$SCRAPE"
  else echo "no curl, wget or python3 to fetch $1"; return 1
  fi
}
if [ -n "$METRICS_FILE" ]; then
  if cp "$METRICS_FILE" "$SCRAPE" 2>"$WORK/out"; then SCRAPE_FROM="file $METRICS_FILE"
  else fail "metrics scrape" "cannot read $METRICS_FILE"; fi
elif [ -n "$METRICS_URL" ]; then
  if fetch_url "$METRICS_URL" >"$WORK/out" 2>&1; then SCRAPE_FROM="live scrape of $METRICS_URL"
  else fail "metrics scrape" "cannot fetch $METRICS_URL: $(head -n1 "$WORK/out")"; fi
elif command -v cargo >/dev/null 2>&1; then
  echo "....  cargo test --test metrics_unit -- --ignored dump_metrics_sample"
  if (cd "$ROOT" && MAMORI_METRICS_SAMPLE="$SCRAPE" cargo test --quiet --test metrics_unit \
        -- --ignored --exact dump_metrics_sample) >"$WORK/out" 2>&1 && [ -s "$SCRAPE" ]; then
    SCRAPE_FROM="Metrics::new() rendered by the dump_metrics_sample test"
  else
    fail "metrics scrape" "cargo test dump_metrics_sample failed"
    tail -n 30 "$WORK/out" | sed 's/^/      /'
  fi
else
  skip "metrics scrape" "no --metrics-file/--metrics-url and no cargo to render Metrics::new()"
fi

if [ -n "$SCRAPE_FROM" ]; then
  # Names the exporter offers: every announced family (histograms with their
  # _bucket/_sum/_count series) and every sample name.
  awk '
    /^# TYPE / { print $3; if ($4 == "histogram" || $4 == "summary") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" } next }
    /^#/ || NF == 0 { next }
    { n = $1; sub(/\{.*/, "", n); print n }
  ' "$SCRAPE" | sort -u >"$WORK/exported.txt"
  grep -ohE 'mamori_[a-zA-Z0-9_]+' "$DASH" "$DEPLOY/prometheus/alerts.yml" | sort -u >"$WORK/used.txt"
  missing="$(comm -23 "$WORK/used.txt" "$WORK/exported.txt" | tr '\n' ' ')"
  used_n="$(wc -l <"$WORK/used.txt" | tr -d ' ')"
  if [ -z "$missing" ]; then
    pass "metric names" "all $used_n names in dashboard and alerts exist in the $SCRAPE_FROM"
  else
    fail "metric names" "queried but not exported ($SCRAPE_FROM): $missing"
  fi
  if [ "$HAVE_PROMTOOL" = 1 ]; then
    run_check "promtool check metrics" "exposition format and naming lint of the scrape" \
      bash -c "promtool check metrics < '$SCRAPE'"
  else
    skip "promtool check metrics" "$PROMTOOL_WHY"
  fi
fi

# ---------------------------------------------------------------- systemd
UNIT="$DEPLOY/systemd/mamori.service"
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify insists that ExecStart's binary exists; point it at a stub with the same
  # name so the check is about the unit, not about mamori being installed here.
  mkdir -p "$WORK/systemd/bin"
  printf '#!/bin/sh\nexit 0\n' >"$WORK/systemd/bin/mamori"; chmod +x "$WORK/systemd/bin/mamori"
  sed "s#/usr/local/bin/mamori#$WORK/systemd/bin/mamori#g" "$UNIT" >"$WORK/systemd/mamori.service"
  run_check "systemd-analyze verify" "mamori.service (ExecStart pointed at a stub binary)" \
    bash -c "systemd-analyze verify --man=no '$WORK/systemd/mamori.service' && ! grep -q . <(systemd-analyze verify --man=no '$WORK/systemd/mamori.service' 2>&1)"
  if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    score="$(systemd-analyze security --offline=yes "$WORK/systemd/mamori.service" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
    run_check "systemd-analyze security" "exposure ${score:-?} (must be <= 2.0, 'OK')" \
      systemd-analyze security --offline=yes --threshold=20 "$WORK/systemd/mamori.service"
  else
    skip "systemd-analyze security" "this systemd-analyze has no --offline (systemd < 250)"
  fi
else
  skip "systemd-analyze verify" "systemd-analyze not installed (no systemd on this machine)"
  skip "systemd-analyze security" "systemd-analyze not installed"
fi

# ---------------------------------------------------------------- kubernetes
if [ -n "$PY_YAML" ]; then
  run_check "kubernetes manifests" "YAML parses; kustomization, probes, limits, securityContext" \
    "$PY_YAML" - "$DEPLOY/kubernetes" <<'PYEOF'
import pathlib, sys, yaml
root = pathlib.Path(sys.argv[1])
errors = []
kust = yaml.safe_load((root / "kustomization.yaml").read_text(encoding="utf-8"))
docs = {}
for res in kust.get("resources", []):
    path = root / res
    if not path.exists():
        errors.append(f"kustomization lists missing file {res}")
        continue
    for d in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if d is None:
            continue
        for key in ("apiVersion", "kind"):
            if key not in d:
                errors.append(f"{res}: document without {key}")
        name = (d.get("metadata") or {}).get("name")
        if not name:
            errors.append(f"{res}: {d.get('kind')} without metadata.name")
        docs[(d.get("kind"), name)] = d
listed = set(kust.get("resources", []))
for f in root.glob("*.yaml"):
    if f.name != "kustomization.yaml" and f.name not in listed:
        errors.append(f"{f.name} is not listed in kustomization.yaml")
for kind in ("Deployment", "Service", "ConfigMap", "Secret", "PersistentVolumeClaim", "ServiceMonitor"):
    if not any(k == kind for k, _ in docs):
        errors.append(f"no {kind}")
dep = docs.get(("Deployment", "mamori"))
if dep:
    spec = dep["spec"]
    if spec.get("replicas") != 1:
        errors.append("Deployment must have replicas: 1 (sled is single-writer)")
    if (spec.get("strategy") or {}).get("type") != "Recreate":
        errors.append("Deployment strategy must be Recreate (two pods must not open the store)")
    pod = spec["template"]["spec"]
    if not (pod.get("securityContext") or {}).get("runAsNonRoot"):
        errors.append("pod securityContext.runAsNonRoot is not true")
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for c in pod["containers"]:
        sc = c.get("securityContext") or {}
        if not sc.get("readOnlyRootFilesystem"):
            errors.append(f"{c['name']}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            errors.append(f"{c['name']}: allowPrivilegeEscalation is not false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            errors.append(f"{c['name']}: capabilities do not drop ALL")
        if (c.get("livenessProbe") or {}).get("httpGet", {}).get("path") != "/healthz":
            errors.append(f"{c['name']}: liveness probe is not /healthz")
        if (c.get("readinessProbe") or {}).get("httpGet", {}).get("path") != "/readyz":
            errors.append(f"{c['name']}: readiness probe is not /readyz")
        res = c.get("resources") or {}
        if not res.get("requests") or not res.get("limits"):
            errors.append(f"{c['name']}: resources need requests and limits")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        for path in ("/etc/mamori/mamori.toml", "/etc/mamori/policies", "/var/lib/mamori"):
            if path not in mounts:
                errors.append(f"{c['name']}: nothing mounted at {path}")
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                errors.append(f"{c['name']}: mount {m['name']} has no volume")
    for v in vols.values():
        ref = (v.get("configMap") or {}).get("name")
        if ref and ("ConfigMap", ref) not in docs:
            errors.append(f"volume {v['name']} refers to missing ConfigMap {ref}")
        claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
        if claim and ("PersistentVolumeClaim", claim) not in docs:
            errors.append(f"volume {v['name']} refers to missing PVC {claim}")
    for c in pod["containers"]:
        for ef in c.get("envFrom", []):
            ref = (ef.get("secretRef") or {}).get("name")
            if ref and ("Secret", ref) not in docs:
                errors.append(f"envFrom refers to missing Secret {ref}")
sec = next((d for (k, _), d in docs.items() if k == "Secret"), None)
if sec:
    keys = set((sec.get("stringData") or {}) | (sec.get("data") or {}))
    for want in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"):
        if want not in keys:
            errors.append(f"Secret lacks {want}")
sm = next((d for (k, _), d in docs.items() if k == "ServiceMonitor"), None)
if sm and sm.get("apiVersion") != "monitoring.coreos.com/v1":
    errors.append("ServiceMonitor apiVersion is not monitoring.coreos.com/v1")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PYEOF
else
  skip "kubernetes manifests" "no python3 with PyYAML (${YAML_WHY:-none found})"
fi
if command -v kubectl >/dev/null 2>&1; then
  run_check "kubectl kustomize" "deploy/kubernetes builds" kubectl kustomize "$DEPLOY/kubernetes"
elif command -v kustomize >/dev/null 2>&1; then
  run_check "kustomize build" "deploy/kubernetes builds" kustomize build "$DEPLOY/kubernetes"
else
  skip "kustomize build" "neither kubectl nor kustomize installed (not in Debian's packages)"
fi

# ---------------------------------------------------------------- docker
DF="$DEPLOY/docker/Dockerfile"
if command -v hadolint >/dev/null 2>&1; then
  run_check "hadolint" "deploy/docker/Dockerfile" hadolint "$DF"
elif command -v docker >/dev/null 2>&1 && docker build --help 2>/dev/null | grep -q -- '--check'; then
  run_check "docker build --check" "deploy/docker/Dockerfile" \
    docker build --check -f "$DF" "$ROOT"
else
  skip "dockerfile lint" "no hadolint or docker (buildx --check) on this machine"
fi
# What the brief requires of the image, read from the Dockerfile itself.
docker_static() {
  local errs=0
  grep -qE '^FROM rust:1-bookworm AS builder' "$DF" || { echo "builder stage is not rust:1-bookworm"; errs=1; }
  grep -qE 'cargo build --release --locked' "$DF" || { echo "no cargo build --release --locked"; errs=1; }
  grep -qE '^FROM debian:bookworm-slim' "$DF" || { echo "runtime is not debian:bookworm-slim"; errs=1; }
  grep -q 'ca-certificates' "$DF" || { echo "runtime lacks ca-certificates"; errs=1; }
  local user; user="$(grep -E '^USER ' "$DF" | tail -n1 | awk '{print $2}')"
  case "$user" in ""|root|0|0:*) echo "last USER is '${user:-none}', not a non-root user"; errs=1 ;; esac
  grep -qE '^EXPOSE 8080' "$DF" || { echo "no EXPOSE 8080"; errs=1; }
  grep -qE '^VOLUME .*/var/lib/mamori' "$DF" || { echo "no VOLUME /var/lib/mamori"; errs=1; }
  grep -qE '^HEALTHCHECK ' "$DF" || { echo "no HEALTHCHECK"; errs=1; }
  grep -qE '^ENTRYPOINT .*"serve", "--config", "/etc/mamori/mamori.toml"' "$DF" || { echo "entrypoint is not mamori serve --config /etc/mamori/mamori.toml"; errs=1; }
  return $errs
}
run_check "dockerfile structure" "multi-stage, non-root, EXPOSE, VOLUME, HEALTHCHECK, ENTRYPOINT" docker_static

# ---------------------------------------------------------------- summary
echo
echo "deploy: ${#PASSED[@]} passed, ${#FAILED[@]} failed, ${#SKIPPED[@]} skipped"
[ ${#SKIPPED[@]} -gt 0 ] && printf 'skipped: %s\n' "$(IFS=,; echo "${SKIPPED[*]}" | sed 's/,/, /g')"
if [ ${#FAILED[@]} -gt 0 ]; then
  printf 'failed: %s\n' "$(IFS=,; echo "${FAILED[*]}" | sed 's/,/, /g')"
  exit 1
fi
exit 0
