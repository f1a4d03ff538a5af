//! One module per console page. Shared here: the filter form every list-like
//! page carries (the filters of `GET /admin/logs`) and query-string building.

pub mod actions;
pub mod audit;
pub mod detail;
pub mod login;
pub mod logs;
pub mod plans;
pub mod stats;

use std::collections::HashMap;

use maud::{html, Markup};

use super::layout::{bi, verdict_ja};
use crate::store::Verdict;

/// Query parameters as received.
pub type Query = HashMap<String, String>;

/// The filter parameters, in form order (the names `/admin/logs` takes).
pub const FILTER_KEYS: [&str; 9] = [
    "user",
    "department",
    "plan",
    "model",
    "verdict",
    "type",
    "from",
    "to",
    "q",
];

/// Percent-encodes a query component (everything but RFC 3986 unreserved).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&…` of the non-empty filters in `q` (for links that keep the filter).
pub fn filter_qs(q: &Query) -> String {
    keys_qs(q, &FILTER_KEYS)
}

/// `k=v&…` of the non-empty values of `keys` in `q`, in that order.
pub fn keys_qs(q: &Query, keys: &[&str]) -> String {
    keys.iter()
        .filter_map(|k| {
            q.get(*k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", enc(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `base?qs` or `base` when `qs` is empty.
pub fn with_qs(base: &str, qs: &str) -> String {
    if qs.is_empty() {
        base.to_string()
    } else if base.contains('?') {
        format!("{base}&{qs}")
    } else {
        format!("{base}?{qs}")
    }
}

/// The filter form, submitting to `action` with GET.
pub fn filter_form(action: &str, q: &Query) -> Markup {
    let v = |k: &str| q.get(k).cloned().unwrap_or_default();
    let field = |k: &str, ja: &str, en: &str, ty: &str, ph: &str| {
        html! {
            label {
                span.lbl { (bi(ja, en)) }
                input type=(ty) name=(k) value=(v(k)) placeholder=(ph);
            }
        }
    };
    let verdict = v("verdict");
    html! {
        form.filters method="get" action=(action) {
            (field("user", "利用者", "user", "text", "alice"))
            (field("department", "所属", "department", "text", "総務課"))
            (field("plan", "利用計画", "plan", "text", ""))
            (field("model", "モデル", "model", "text", "gpt-4o-mini"))
            label {
                span.lbl { (bi("判定", "verdict")) }
                select name="verdict" {
                    option value="" selected[verdict.is_empty()] { "すべて / all" }
                    @for vd in Verdict::ALL {
                        option value=(vd.as_str()) selected[verdict == vd.as_str()] {
                            (verdict_ja(vd)) " / " (vd.as_str())
                        }
                    }
                }
            }
            (field("type", "検出種別", "detector type", "text", "my_number"))
            (field("from", "期間（開始）", "from", "date", ""))
            (field("to", "期間（終了）", "to", "date", ""))
            (field("q", "本文検索", "free text", "search", ""))
            div.buttons {
                button type="submit" { (bi("絞り込み", "Filter")) }
                a.button.secondary href=(action) { (bi("クリア", "Clear")) }
            }
        }
    }
}

/// The filter as a short description ("all" when empty).
pub fn filter_summary(q: &Query) -> Markup {
    let set: Vec<(&str, &String)> = FILTER_KEYS
        .iter()
        .filter_map(|k| q.get(*k).filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    html! {
        @if set.is_empty() {
            span.muted { "絞り込みなし（すべての記録） / no filter (all records)" }
        } @else {
            @for (k, v) in set { span.chip { (k) "=" (v) } " " }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_keep_filters_encoded() {
        let mut q = Query::new();
        q.insert("department".into(), "総務課".into());
        q.insert("q".into(), "a&b=c".into());
        q.insert("cursor".into(), "9".into());
        q.insert("user".into(), String::new());
        assert_eq!(
            filter_qs(&q),
            "department=%E7%B7%8F%E5%8B%99%E8%AA%B2&q=a%26b%3Dc"
        );
        assert_eq!(with_qs("/x", ""), "/x");
        assert_eq!(with_qs("/x?format=csv", "a=1"), "/x?format=csv&a=1");
    }
}
