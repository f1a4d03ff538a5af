//! The page shell (header, navigation, sign-out) and small shared pieces:
//! verdict badges, times, numbers, and placeholder highlighting.
//!
//! Labels are Japanese first with the English in a smaller `.en` span, as the
//! staff guidelines ask. Everything dynamic goes through maud's escaping.

use axum::http::StatusCode;
use axum::response::Html;
use maud::{html, Markup, DOCTYPE};
use time::{OffsetDateTime, UtcOffset};

use super::session::Viewer;
use crate::store::Verdict;

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// ログ一覧.
    Logs,
    /// 統計.
    Stats,
    /// 監査証跡.
    Audit,
    /// 利用計画.
    Plans,
    /// 管理操作.
    Admin,
}

/// A Japanese label with its English secondary text.
pub fn bi(ja: &str, en: &str) -> Markup {
    html! { (ja) " " span.en { (en) } }
}

/// The full page for a signed-in viewer.
pub fn page(viewer: &Viewer, nav: Nav, title: (&str, &str), body: Markup) -> Html<String> {
    let item = |n: Nav, href: &str, ja: &str, en: &str| {
        html! {
            a href=(href) class=(if n == nav { "nav current" } else { "nav" }) { (bi(ja, en)) }
        }
    };
    let role = if viewer.is_admin() {
        "管理者 admin"
    } else {
        "監査担当 auditor"
    };
    Html(
        html! {
            (DOCTYPE)
            html lang="ja" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title.0) " — mamori 監査コンソール" }
                    link rel="icon" href="data:,";
                    link rel="stylesheet" href="/admin/ui/assets/console.css";
                    script src="/admin/ui/assets/console.js" defer {}
                }
                body {
                    header.top {
                        div.brand { "mamori " span.brand-sub { "監査コンソール " span.en { "Audit console" } } }
                        nav {
                            (item(Nav::Logs, "/admin/ui/logs", "ログ一覧", "Logs"))
                            (item(Nav::Stats, "/admin/ui/stats", "統計", "Statistics"))
                            (item(Nav::Audit, "/admin/ui/audit", "監査証跡", "Audit trail"))
                            (item(Nav::Plans, "/admin/ui/plans", "利用計画", "Use plans"))
                            @if viewer.is_admin() {
                                (item(Nav::Admin, "/admin/ui/admin", "管理操作", "Admin actions"))
                            }
                        }
                        div.who {
                            span.user { (viewer.name) } " "
                            span.role { (role) }
                            form.inline method="post" action="/admin/logout" {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                button.link type="submit" { (bi("ログアウト", "Sign out")) }
                            }
                        }
                    }
                    main {
                        h1 { (bi(title.0, title.1)) }
                        (body)
                    }
                }
            }
        }
        .into_string(),
    )
}

/// A page without navigation (sign-in, errors).
pub fn bare(title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="ja" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — mamori 監査コンソール" }
                    link rel="icon" href="data:,";
                    link rel="stylesheet" href="/admin/ui/assets/console.css";
                }
                body.bare {
                    main.narrow { (body) }
                }
            }
        }
        .into_string(),
    )
}

/// An error page: status, Japanese then English message, a way back.
pub fn error_page(status: StatusCode, ja: &str, en: &str) -> Html<String> {
    bare(
        "エラー",
        html! {
            h1 { "エラー " span.en { "Error " (status.as_u16()) } }
            p.error { (ja) br; span.en { (en) } }
            p { a href="/admin/ui/logs" { (bi("ログ一覧へ戻る", "Back to the logs")) } }
        },
    )
}

/// Japanese label of a verdict.
pub fn verdict_ja(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => "許可",
        Verdict::Masked => "マスク",
        Verdict::Warned => "警告",
        Verdict::Blocked => "ブロック",
        Verdict::UpstreamError => "上流エラー",
        Verdict::Error => "エラー",
    }
}

/// A coloured verdict badge.
pub fn badge(v: Verdict) -> Markup {
    html! {
        span class=(format!("badge v-{}", v.as_str())) title=(v.as_str()) {
            (verdict_ja(v)) " " span.en { (v.as_str()) }
        }
    }
}

/// A time at the configured offset, `YYYY-MM-DD HH:MM:SS`.
pub fn when(t: OffsetDateTime, offset: UtcOffset) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.to_offset(offset).format(&fmt).unwrap_or_default()
}

/// An integer with thousands separators.
pub fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text with mamori's masking placeholders (`[個人番号_1]`, `[電話番号_2]`)
/// wrapped in `<mark>`; all of it escaped by maud.
pub fn highlight(text: &str) -> Markup {
    let parts = split_placeholders(text);
    html! {
        @for (is_ph, s) in parts {
            @if is_ph { mark.ph { (s) } } @else { (s) }
        }
    }
}

/// Splits text into (is_placeholder, piece) runs. A placeholder is `[`, a
/// label of 1..=32 characters without spaces or brackets, `_`, digits, `]`.
pub fn split_placeholders(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    while let Some(off) = text[i..].find('[') {
        let open = i + off;
        let rest = &text[open + 1..];
        let close = rest
            .char_indices()
            .take(48)
            .find(|(_, c)| *c == ']' || *c == '[' || c.is_whitespace());
        let Some((j, ']')) = close else {
            i = open + 1;
            continue;
        };
        let inner = &rest[..j];
        let ok = inner.rsplit_once('_').is_some_and(|(label, n)| {
            !label.is_empty()
                && label.chars().count() <= 32
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        });
        if !ok {
            i = open + 1;
            continue;
        }
        let end = open + 1 + j + 1;
        if plain_start < open {
            out.push((false, &text[plain_start..open]));
        }
        out.push((true, &text[open..end]));
        plain_start = end;
        i = end;
    }
    if plain_start < text.len() {
        out.push((false, &text[plain_start..]));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_the_rest_kept() {
        let t = "番号は[個人番号_1]、電話[電話番号_12]です [not a ph] [x_y] [a_1";
        let parts = split_placeholders(t);
        let joined: String = parts.iter().map(|(_, s)| *s).collect();
        assert_eq!(joined, t);
        let phs: Vec<&str> = parts.iter().filter(|(p, _)| *p).map(|(_, s)| *s).collect();
        assert_eq!(phs, ["[個人番号_1]", "[電話番号_12]"]);
    }

    #[test]
    fn highlighted_text_is_escaped() {
        let m = highlight("<script>alert(1)</script>[メール_1]").into_string();
        assert_eq!(
            m,
            "&lt;script&gt;alert(1)&lt;/script&gt;<mark class=\"ph\">[メール_1]</mark>"
        );
    }

    #[test]
    fn numbers_get_separators() {
        assert_eq!(num(0), "0");
        assert_eq!(num(1234), "1,234");
        assert_eq!(num(1234567), "1,234,567");
    }
}
