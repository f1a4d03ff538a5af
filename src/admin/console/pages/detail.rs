//! ログ詳細: one record as stored — prompt and output as inert text with the
//! masking placeholders highlighted, the verdict and why, timings, tokens,
//! chain position and feedback. Raw detected values are never stored, so they
//! cannot appear here.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{html, Markup};

use super::logs::feedback_mark;
use crate::admin::console::layout::{badge, bi, highlight, num, page, when, Nav};
use crate::admin::console::{blocking, ConsoleError, Signed};
use crate::state::AppState;
use crate::store::{AuditRecord, Verdict};

/// `GET /admin/ui/logs/{id}`.
pub async fn show(
    Signed(viewer): Signed,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    tracing::info!(token = %viewer.name, action = "console.logs.show", "admin console");
    let store = state.store.clone();
    let s = blocking("logs.show", move || store.get(&id))
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let r = &s.record;
    let offset = state.settings.utc_offset;
    let opt_ms = |m: Option<f64>| m.map(|m| format!("{m:.1} ms")).unwrap_or("—".into());
    let opt_u16 = |v: Option<u16>| v.map(|v| v.to_string()).unwrap_or("—".into());
    let body = html! {
        p { a href="/admin/ui/logs" { (bi("« ログ一覧", "Back to logs")) } }
        section.card {
            h2 { (bi("判定", "Verdict")) " " (badge(r.verdict)) }
            p.why { (why(r)) }
            @if r.findings.is_empty() {
                p.muted { "検出なし / No findings" }
            } @else {
                table.findings {
                    thead { tr {
                        th { (bi("検出種別", "Type")) }
                        th.n { (bi("件数", "Count")) }
                        th { (bi("処置", "Action")) }
                        th { (bi("方向", "Direction")) }
                    } }
                    tbody {
                        @for f in &r.findings {
                            tr {
                                td { span.chip.finding { (f.kind) } }
                                td.n { (f.count) }
                                td { span class=(format!("act act-{}", f.action)) { (action_ja(&f.action)) " " span.en { (f.action) } } }
                                td { (if f.direction == "response" { "出力 response" } else { "入力 request" }) }
                            }
                        }
                    }
                }
            }
            @if let Some(e) = &r.error {
                p.error { (bi("エラー", "Error")) ": " (e) }
            }
        }
        div.cols {
            section.card {
                h2 { (bi("入力（プロンプト）", "Prompt, as stored")) }
                (text_block(r.prompt.as_deref()))
            }
            section.card {
                h2 { (bi("出力", "Output, as stored")) }
                (text_block(r.output.as_deref()))
            }
        }
        div.cols {
            section.card {
                h2 { (bi("記録", "Record")) }
                table.kv { tbody {
                    tr { th { "ID" } td.mono { (r.id) } }
                    tr { th { (bi("日時", "Time")) } td { (when(r.time, offset)) } }
                    tr { th { (bi("利用者", "User")) } td { (r.user) } }
                    tr { th { (bi("所属", "Department")) } td { (r.department) } }
                    tr { th { (bi("利用計画", "Plan")) } td { (r.plan.as_deref().unwrap_or("—")) } }
                    tr { th { (bi("経路", "Route")) } td { (r.route) } }
                    tr { th { (bi("モデル", "Model")) } td { (r.model) } }
                    tr { th { (bi("提供元", "Provider")) } td { (r.provider) } }
                    tr { th { (bi("ストリーム", "Stream")) } td { (r.stream) } }
                    tr { th { (bi("AI生成表示", "AI notice")) } td { (r.notice_applied) } }
                    tr { th { (bi("クライアント", "Client")) } td { (r.client_ip.as_deref().unwrap_or("—")) } }
                    tr { th { "User-Agent" } td { (r.user_agent.as_deref().unwrap_or("—")) } }
                } }
            }
            section.card {
                h2 { (bi("時間・トークン", "Timings and tokens")) }
                table.kv { tbody {
                    tr { th { (bi("応答時間", "Latency")) } td { (format!("{:.1} ms", r.latency_ms)) } }
                    tr { th { (bi("上流待ち", "Upstream")) } td { (opt_ms(r.upstream_ms)) } }
                    tr { th { (bi("応答ステータス", "Status")) } td { (opt_u16(r.status)) } }
                    tr { th { (bi("上流ステータス", "Upstream status")) } td { (opt_u16(r.upstream_status)) } }
                    @match r.usage {
                        Some(u) => {
                            tr { th { (bi("入力トークン", "Prompt tokens")) } td { (num(u.prompt_tokens)) } }
                            tr { th { (bi("出力トークン", "Completion tokens")) } td { (num(u.completion_tokens)) } }
                            tr { th { (bi("合計トークン", "Total tokens")) } td { (num(u.total_tokens)) } }
                        }
                        None => { tr { th { (bi("トークン", "Tokens")) } td { "—" } } }
                    }
                } }
                h2 { (bi("改ざん検知チェーン", "Hash chain")) }
                table.kv { tbody {
                    tr { th { (bi("連番", "Seq")) } td { (s.seq) } }
                    tr { th { (bi("ハッシュ", "Hash")) } td.mono.small { (s.hash) } }
                    tr { th { (bi("前のハッシュ", "Previous")) } td.mono.small { (s.prev_hash) } }
                } }
            }
        }
        section.card {
            h2 { (bi("利用者の評価", "Feedback")) }
            @match &s.feedback {
                None => { p.muted { "評価はまだありません。 / No feedback yet." } }
                Some(f) => {
                    table.kv { tbody {
                        tr { th { (bi("評価", "Rating")) } td { (feedback_mark(&s)) } }
                        tr { th { (bi("コメント", "Comment")) } td { (f.comment.as_deref().unwrap_or("—")) } }
                        tr { th { (bi("分類", "Categories")) } td { @for c in &f.categories { span.chip { (c) } " " } } }
                        tr { th { (bi("日時", "Time")) } td { (when(f.time, offset)) } }
                        tr { th { (bi("評価者", "By")) } td { (f.user) } }
                    } }
                }
            }
        }
    };
    Ok(page(&viewer, Nav::Logs, ("ログ詳細", "Log record"), body))
}

/// Stored text in a `<pre>` with placeholders marked, or a note when not stored.
fn text_block(t: Option<&str>) -> Markup {
    match t {
        None => {
            html! { p.muted { "保存されていません（設定により記録対象外）。 / Not stored (audit.store_* or not applicable)." } }
        }
        Some(t) => html! { pre.text { (highlight(t)) } },
    }
}

/// Japanese name of a policy action.
fn action_ja(a: &str) -> &'static str {
    match a {
        "block" => "ブロック",
        "mask" => "マスク",
        "warn" => "警告",
        "allow" => "許可",
        _ => "その他",
    }
}

/// Why the verdict is what it is, in words.
fn why(r: &AuditRecord) -> Markup {
    let kinds = |action: &str| {
        let mut k: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.action == action)
            .map(|f| f.kind.as_str())
            .collect();
        k.dedup();
        k.join(", ")
    };
    match r.verdict {
        Verdict::Allowed => html! {
            "ポリシー上の問題は検出されず、そのまま送信されました。" br;
            span.en { "Nothing the policy acts on was found; forwarded unchanged." }
        },
        Verdict::Masked => html! {
            "検出された値をプレースホルダに置き換えてから送信しました（" (kinds("mask")) "）。" br;
            span.en { "Detected values were replaced by placeholders before forwarding (" (kinds("mask")) ")." }
        },
        Verdict::Warned => html! {
            "送信されましたが、利用者に警告しました（" (kinds("warn")) "）。" br;
            span.en { "Forwarded; the user was warned (" (kinds("warn")) ")." }
        },
        Verdict::Blocked => html! {
            "ポリシーによりブロックされ、提供元には何も送信されていません（" (kinds("block")) "）。" br;
            span.en { "Blocked by policy; nothing was sent to the provider (" (kinds("block")) ")." }
        },
        Verdict::UpstreamError => html! {
            "送信されましたが、提供元がエラーを返しました。" br;
            span.en { "Forwarded, but the provider failed." }
        },
        Verdict::Error => html! {
            "mamori 内部でエラーが発生しました。" br;
            span.en { "mamori itself failed." }
        },
    }
}
