#!/usr/bin/env python3
"""Writes mamori-dashboard.json (Grafana) from the panel list below.

The JSON is committed so operators can import it directly; edit this file and run
    python3 deploy/grafana/build_dashboard.py
to change it (deploy/check.sh fails when the two disagree). Standard library only.
"""

import json
import pathlib
import sys

SEL = 'instance=~"$instance"'
RI = "$__rate_interval"


def q(expr, legend="", ref="A", instant=False):
    t = {
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "expr": expr,
        "legendFormat": legend or "__auto",
        "refId": ref,
    }
    if instant:
        t["instant"] = True
        t["range"] = False
    return t


def targets(*qs):
    out = []
    for i, item in enumerate(qs):
        expr, legend = item
        out.append(q(expr, legend, ref=chr(ord("A") + i)))
    return out


class Layout:
    def __init__(self):
        self.y = 0
        self.x = 0
        self.row_h = 0
        self.next_id = 1
        self.panels = []

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def row(self, title):
        if self.x:
            self.y += self.row_h
        self.x = 0
        self.row_h = 0
        self.panels.append({
            "type": "row", "id": self._id(), "title": title, "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": [],
        })
        self.y += 1

    def add(self, panel, w, h):
        if self.x + w > 24:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0
        panel["id"] = self._id()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        panel["datasource"] = {"type": "prometheus", "uid": "${datasource}"}
        self.panels.append(panel)
        self.x += w
        self.row_h = max(self.row_h, h)


def timeseries(title, desc, tg, unit="short", stack=False, w=12, h=8):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
        custom["fillOpacity"] = 40
    return ({
        "type": "timeseries", "title": title, "description": desc, "targets": tg,
        "fieldConfig": {"defaults": {"unit": unit, "custom": custom}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "right",
                               "calcs": ["mean", "max", "lastNotNull"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    }, w, h)


def stat(title, desc, tg, unit="short", w=4, h=4, thresholds=None, decimals=None):
    steps = thresholds or [{"color": "green", "value": None}]
    defaults = {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}}
    if decimals is not None:
        defaults["decimals"] = decimals
    return ({
        "type": "stat", "title": title, "description": desc, "targets": tg,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "area", "textMode": "auto"},
    }, w, h)


def bargauge(title, desc, tg, unit="short", w=8, h=8):
    for t in tg:
        t["instant"] = True
        t["range"] = False
    return ({
        "type": "bargauge", "title": title, "description": desc, "targets": tg,
        "fieldConfig": {"defaults": {"unit": unit, "min": 0}, "overrides": []},
        "options": {"orientation": "horizontal", "displayMode": "gradient",
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "showUnfilled": True},
    }, w, h)


def quantiles(metric, by, qs=(0.5, 0.9, 0.99)):
    out = []
    by_clause = f"le, {by}" if by else "le"
    for qq in qs:
        legend = f"p{int(qq * 1000) / 10:g}" + (f" {{{{{by}}}}}" if by else "")
        out.append((f"histogram_quantile({qq}, sum by ({by_clause}) "
                    f"(rate({metric}_bucket{{{SEL}}}[{RI}])))", legend))
    return targets(*out)


def build():
    L = Layout()

    L.row("Traffic")
    L.add(*stat("Requests / s", "All requests through mamori.",
                targets((f"sum(rate(mamori_requests_total{{{SEL}}}[{RI}]))", "req/s")), "reqps"))
    L.add(*stat("Blocked share", "Blocked requests as a share of all requests.",
                targets((f"sum(rate(mamori_blocked_total{{{SEL}}}[{RI}])) / "
                         f"clamp_min(sum(rate(mamori_requests_total{{{SEL}}}[{RI}])), 1e-9)", "blocked")),
                "percentunit", thresholds=[{"color": "green", "value": None},
                                           {"color": "orange", "value": 0.05},
                                           {"color": "red", "value": 0.2}]))
    L.add(*stat("Active streams", "Streaming responses open now.",
                targets((f"sum(mamori_active_streams{{{SEL}}})", "streams"))))
    L.add(*stat("5xx share", "Responses with a 5xx status.",
                targets((f"sum(rate(mamori_requests_total{{{SEL},status=~\"5..\"}}[{RI}])) / "
                         f"clamp_min(sum(rate(mamori_requests_total{{{SEL}}}[{RI}])), 1e-9)", "5xx")),
                "percentunit", thresholds=[{"color": "green", "value": None},
                                           {"color": "red", "value": 0.01}]))
    L.add(*stat("p99 overhead", "What mamori itself adds (upstream excluded). Target: well under 1 ms.",
                targets((f"histogram_quantile(0.99, sum by (le) (rate(mamori_overhead_seconds_bucket{{{SEL}}}[{RI}])))",
                         "p99")),
                "s", thresholds=[{"color": "green", "value": None},
                                 {"color": "orange", "value": 0.0005},
                                 {"color": "red", "value": 0.001}]))
    L.add(*stat("Version", "mamori_build_info.",
                [q(f"max by (version) (mamori_build_info{{{SEL}}})", "{{version}}", instant=True)],
                "none"))
    L.add(*timeseries("Requests by route", "Requests per second by route.",
                      targets((f"sum by (route) (rate(mamori_requests_total{{{SEL}}}[{RI}]))", "{{route}}")),
                      "reqps", stack=True))
    L.add(*timeseries("Requests by status", "Requests per second by HTTP status sent to the client.",
                      targets((f"sum by (status) (rate(mamori_requests_total{{{SEL}}}[{RI}]))", "{{status}}")),
                      "reqps", stack=True))
    L.add(*timeseries("Requests by model", "Requests per second by model (unconfigured names show as other).",
                      targets((f"sum by (model) (rate(mamori_requests_total{{{SEL}}}[{RI}]))", "{{model}}")),
                      "reqps", stack=True))
    L.add(*timeseries("Verdicts", "Scan verdicts: allow, warn, mask, block.",
                      targets((f"sum by (verdict) (rate(mamori_requests_total{{{SEL}}}[{RI}]))", "{{verdict}}")),
                      "reqps", stack=True))

    L.row("Findings and security")
    L.add(*timeseries("Findings by type", "Detections per second by detector type and direction.",
                      targets((f"sum by (type, direction) (rate(mamori_findings_total{{{SEL}}}[{RI}]))",
                               "{{type}} ({{direction}})")),
                      "ops", stack=True))
    L.add(*bargauge("Findings by type (range)", "Detections over the selected range, by type.",
                    targets((f"sort_desc(sum by (type) (increase(mamori_findings_total{{{SEL}}}[$__range])))",
                             "{{type}}"))))
    L.add(*bargauge("Findings by action (range)", "What the policies did over the selected range.",
                    targets((f"sum by (action, direction) (increase(mamori_findings_total{{{SEL}}}[$__range]))",
                             "{{action}} ({{direction}})")), w=4))
    L.add(*timeseries("Blocked by reason", "Refusals by policy or plan.",
                      targets((f"sum by (reason) (rate(mamori_blocked_total{{{SEL}}}[{RI}]))", "{{reason}}")),
                      "reqps", stack=True))
    L.add(*timeseries("Prompt-injection attempts", "Requests matching the prompt_injection detector (METI: monitor attacks).",
                      targets((f"sum(increase(mamori_findings_total{{{SEL},type=\"prompt_injection\",direction=\"request\"}}[{RI}]))",
                               "attempts")),
                      "short", w=6))
    L.add(*timeseries("Authentication failures", "Refused keys by reason.",
                      targets((f"sum by (reason) (rate(mamori_auth_failures_total{{{SEL}}}[{RI}]))", "{{reason}}")),
                      "reqps", w=6))

    L.row("Latency")
    L.add(*timeseries("Request duration", "Whole request, by route (p50, p90, p99).",
                      quantiles("mamori_request_duration_seconds", "route"), "s"))
    L.add(*timeseries("mamori overhead", "Time mamori added, upstream excluded (p50, p99, p99.9). Target p99 < 1 ms.",
                      quantiles("mamori_overhead_seconds", "", (0.5, 0.99, 0.999)), "s"))
    L.add(*timeseries("Upstream duration", "Time waiting on each provider (p50, p90, p99).",
                      quantiles("mamori_upstream_duration_seconds", "provider"), "s"))
    L.add(*timeseries("Time to first byte", "Until the first byte reached the client, by route (p50, p90, p99).",
                      quantiles("mamori_time_to_first_byte_seconds", "route"), "s"))
    L.add(*timeseries("Upstream errors", "Upstream failures per second by provider and kind.",
                      targets((f"sum by (provider, kind) (rate(mamori_upstream_errors_total{{{SEL}}}[{RI}]))",
                               "{{provider}} {{kind}}")),
                      "reqps", stack=True))
    L.add(*timeseries("Upstream error ratio", "Failed share of forwarded requests, by provider.",
                      targets((f"sum by (provider) (rate(mamori_upstream_errors_total{{{SEL}}}[{RI}])) / "
                               f"clamp_min(sum by (provider) (rate(mamori_upstream_duration_seconds_count{{{SEL}}}[{RI}])), 1e-9)",
                               "{{provider}}")),
                      "percentunit"))

    L.row("Usage and feedback")
    L.add(*timeseries("Tokens by department", "Tokens per minute by department (prompt + completion).",
                      targets((f"sum by (department) (rate(mamori_tokens_total{{{SEL}}}[{RI}])) * 60",
                               "{{department}}")),
                      "short", stack=True))
    L.add(*bargauge("Tokens by department and kind (range)", "Over the selected range.",
                    targets((f"sort_desc(sum by (department, kind) (increase(mamori_tokens_total{{{SEL}}}[$__range])))",
                             "{{department}} {{kind}}")), w=6))
    L.add(*bargauge("Tokens by model (range)", "Over the selected range.",
                    targets((f"sort_desc(sum by (model) (increase(mamori_tokens_total{{{SEL}}}[$__range])))",
                             "{{model}}")), w=6))
    L.add(*bargauge("Feedback by rating (range)", "Ratings staff gave (good/bad or 1-5).",
                    targets((f"sum by (rating) (increase(mamori_feedback_total{{{SEL}}}[$__range]))",
                             "{{rating}}"))))
    L.add(*stat("Bad-rating share (range)", "bad and 1-2 ratings as a share of all feedback.",
                targets((f"sum(increase(mamori_feedback_total{{{SEL},rating=~\"bad|1|2\"}}[$__range])) / "
                         f"clamp_min(sum(increase(mamori_feedback_total{{{SEL}}}[$__range])), 1e-9)", "bad")),
                "percentunit", w=4, h=8))
    L.add(*timeseries("Feedback over time", "Ratings per hour.",
                      targets((f"sum by (rating) (rate(mamori_feedback_total{{{SEL}}}[{RI}])) * 3600", "{{rating}}")),
                      "short", stack=True))

    L.row("Audit and operations")
    L.add(*timeseries("Audit queue", "Records waiting for the writer, and the queue's capacity.",
                      targets((f"sum(mamori_audit_queue_depth{{{SEL}}})", "depth"),
                              (f"sum(mamori_audit_queue_capacity{{{SEL}}})", "capacity")),
                      "short", w=8))
    L.add(*timeseries("Audit write errors", "Failed audit writes (requests fail closed with 503).",
                      targets((f"sum(increase(mamori_audit_write_errors_total{{{SEL}}}[{RI}]))", "errors")),
                      "short", w=8))
    L.add(*timeseries("Policy reloads", "SIGHUP or file-change reloads, by result.",
                      targets((f"sum by (result) (increase(mamori_policy_reloads_total{{{SEL}}}[{RI}]))", "{{result}}")),
                      "short", w=4))
    L.add(*stat("TLS certificate", "Time left before the served certificate expires.",
                targets((f"min(mamori_tls_cert_expiry_timestamp_seconds{{{SEL}}}) - time()", "left")),
                "s", w=4, h=8, thresholds=[{"color": "red", "value": None},
                                           {"color": "orange", "value": 3 * 86400},
                                           {"color": "green", "value": 21 * 86400}]))

    return {
        "__inputs": [],
        "annotations": {"list": []},
        "description": "mamori secure logging gateway: traffic, verdicts, findings, latency, tokens, feedback and audit health.",
        "editable": True,
        "graphTooltip": 1,
        "links": [],
        "panels": L.panels,
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["mamori", "generative-ai", "gateway"],
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource",
             "query": "prometheus", "current": {}, "hide": 0, "refresh": 1},
            {"name": "instance", "label": "Instance", "type": "query",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": "label_values(mamori_build_info, instance)", "refId": "instance"},
             "definition": "label_values(mamori_build_info, instance)",
             "includeAll": True, "multi": True, "allValue": ".*",
             "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
             "refresh": 2, "sort": 1, "hide": 0},
        ]},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": "mamori",
        "uid": "mamori-gateway",
        "version": 1,
    }


def main():
    out = pathlib.Path(__file__).with_name("mamori-dashboard.json")
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        if out.read_text(encoding="utf-8") != text:
            print(f"{out} is out of date: run python3 {__file__}", file=sys.stderr)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
