//! Incremental output scanning for streams (issue 6, item 2).
//!
//! A stream's text arrives in pieces, and a value can be split across them
//! (`"090-12"` + `"34-5678"`). Each text stream (one chat choice, one
//! Responses content part) gets a [`TextFilter`] that releases only what can
//! no longer become part of a finding, in two stages:
//!
//! 1. **scan**: the not-yet-released text (`pending`) is scanned together
//!    with a bounded tail of already-released text (`context`, left context
//!    for detectors such as 口座番号 …1234567). The release point is the
//!    start of the hold-back region:
//!    - the trailing run of characters that can belong to identifiers and
//!      secrets (ASCII alphanumerics, `-_.@+/=:~%`, their full-width forms,
//!      dash variants), at most [`MAX_RUN_CHARS`];
//!    - and at least the last [`MIN_TAIL_CHARS`] characters, so a name whose
//!      honorific comes next (山田太郎|様) or a number split by one space or
//!      line break is still seen whole;
//!    - moved back to the start of any finding that straddles it, but never
//!      holding more than [`MAX_SCAN_HOLD_CHARS`] (a finding longer than that,
//!      such as an unterminated private key, is masked in pieces).
//!
//!    Findings that lie in the released region are acted on (masked with the
//!    answer's [`MaskMap`], or flag a block); findings inside the held tail
//!    wait for more text.
//! 2. **restore**: the masked text is what the audit log keeps; then the
//!    request's placeholders are put back (`restore_masked`). This stage only
//!    holds back an unfinished placeholder (from the template's opening
//!    literal, `[` by default, with no closing literal yet), at most
//!    [`MAX_PLACEHOLDER_CHARS`].
//!
//! Memory per text stream is bounded by [`MAX_HELD_CHARS`] plus
//! [`CONTEXT_CHARS`], whatever the length of the stream.

use std::borrow::Cow;

use super::stamp::OutputFilter;
use crate::scan::{Action, Direction, Finding};

/// Smallest tail always held back (characters).
pub const MIN_TAIL_CHARS: usize = 24;
/// Longest trailing identifier run held back (characters).
pub const MAX_RUN_CHARS: usize = 256;
/// Most the scan stage holds, even for a finding still growing (characters).
pub const MAX_SCAN_HOLD_CHARS: usize = 1024;
/// Already-released text kept as left context for the detectors (characters).
pub const CONTEXT_CHARS: usize = 64;
/// Longest unfinished placeholder the restore stage waits for (characters).
pub const MAX_PLACEHOLDER_CHARS: usize = 64;
/// Upper bound of [`TextFilter::held_chars`] after any call.
pub const MAX_HELD_CHARS: usize = MAX_SCAN_HOLD_CHARS + MAX_PLACEHOLDER_CHARS;

/// What one step of a filter produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Released {
    /// The released text as masked, before restoring: what the audit log keeps.
    pub masked: String,
    /// The text to send to the client (masked, then restored).
    pub text: String,
    /// A finding with action `block` was released: stop the stream.
    pub blocked: bool,
}

/// Hold-back state of one text stream; see the module docs.
#[derive(Debug, Default)]
pub struct TextFilter {
    context: String,
    /// Head of a finding released in pieces (longer than the hold bound),
    /// scanned instead of `context` so the detector still sees it continue.
    sticky: Option<String>,
    pending: String,
    unrestored: String,
    peak_held: usize,
}

/// Whether `c` can continue an identifier, number or secret.
fn is_ident(c: char) -> bool {
    if c.is_ascii_alphanumeric()
        || matches!(c, '-' | '_' | '.' | '@' | '+' | '/' | '=' | ':' | '~' | '%')
    {
        return true;
    }
    let cp = c as u32;
    if (0xFF01..=0xFF5E).contains(&cp) {
        // Full-width ASCII: same rule on the half-width form.
        return char::from_u32(cp - 0xFEE0).is_some_and(is_ident);
    }
    matches!(
        c,
        'ー' | '―' | '‐' | '‑' | '−' | '–' | '—' | 'ｰ' | '─' | '━'
    )
}

/// Byte index in `s` where its last `n` characters start (0 if shorter).
fn last_n_chars(s: &str, n: usize) -> usize {
    if n == 0 {
        return s.len();
    }
    s.char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i)
}

impl TextFilter {
    /// A filter for one text stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next piece of upstream text; returns what may be released now.
    pub fn push(&mut self, out: &mut OutputFilter, delta: &str) -> Released {
        self.pending.push_str(delta);
        let r = self.hold_point();
        let step = self.release(out, r, false);
        self.note_held();
        step
    }

    /// The text is over: releases everything still held.
    pub fn finish(&mut self, out: &mut OutputFilter) -> Released {
        let step = self.release(out, self.pending.len(), true);
        self.note_held();
        step
    }

    /// Characters currently held back (scan stage plus restore stage).
    pub fn held_chars(&self) -> usize {
        self.pending.chars().count() + self.unrestored.chars().count()
    }

    /// The most characters ever held back after a call (debug accessor).
    pub fn peak_held_chars(&self) -> usize {
        self.peak_held
    }

    fn note_held(&mut self) {
        self.peak_held = self.peak_held.max(self.held_chars());
    }

    /// Release point in `pending` before findings are considered.
    fn hold_point(&self) -> usize {
        let p = &self.pending;
        let tail = last_n_chars(p, MIN_TAIL_CHARS);
        let mut run = p.len();
        for (n, (i, c)) in p.char_indices().rev().enumerate() {
            if n >= MAX_RUN_CHARS || !is_ident(c) {
                break;
            }
            run = i;
        }
        tail.min(run)
    }

    fn release(&mut self, out: &mut OutputFilter, r: usize, last: bool) -> Released {
        if r == 0 && !last {
            return Released::default();
        }
        let left = self.sticky.as_deref().unwrap_or(&self.context);
        let c = left.len();
        let text = format!("{left}{}", self.pending);
        let findings = out.policy.scan(&text);
        let mut r = c + r;
        if !last {
            // Never hold more than MAX_SCAN_HOLD_CHARS, even for a growing finding.
            let floor = c + last_n_chars(&self.pending, MAX_SCAN_HOLD_CHARS);
            loop {
                let mut moved = false;
                for f in &findings {
                    if f.start < r && f.end > r && f.end > c {
                        let to = f.start.max(floor).max(c);
                        if to < r {
                            r = to;
                            moved = true;
                        }
                    }
                }
                if !moved {
                    break;
                }
            }
        }
        // A finding still open at the (forced) release point: keep its head.
        let open = findings.iter().find(|f| f.start < r && f.end > r);
        self.sticky = match open {
            Some(f) if f.start < c => self.sticky.take(),
            Some(f) => {
                let head_end = text[f.start..r]
                    .char_indices()
                    .nth(CONTEXT_CHARS)
                    .map_or(r, |(i, _)| f.start + i);
                Some(text[f.start..head_end].to_owned())
            }
            None => None,
        };
        let mut blocked = false;
        let mut to_mask: Vec<Finding> = Vec::new();
        for f in &findings {
            if f.end <= c || f.start >= r {
                continue;
            }
            let action = out.policy.finding_action(&text, f, Direction::Response);
            out.tally.add(f.type_name(), action);
            if action == Action::Block {
                blocked = true;
            }
            if matches!(action, Action::Mask | Action::Block) {
                let mut g = f.clone();
                g.start = f.start.max(c) - c;
                g.end = f.end.min(r) - c;
                to_mask.push(g);
            }
        }
        let cut = r - c;
        let masked = if to_mask.is_empty() {
            self.pending[..cut].to_owned()
        } else {
            out.masks.mask(&self.pending[..cut], &to_mask)
        };
        // The raw released text becomes left context.
        self.context.push_str(&self.pending[..cut]);
        let keep = last_n_chars(&self.context, CONTEXT_CHARS);
        self.context.drain(..keep);
        self.pending.drain(..cut);
        let text = self.restore(out, &masked, last);
        Released {
            masked,
            text,
            blocked,
        }
    }

    /// Stage 2: puts the request's placeholders back, holding an unfinished one.
    fn restore(&mut self, out: &OutputFilter, masked: &str, last: bool) -> String {
        let Some(map) = &out.restore else {
            return masked.to_owned();
        };
        self.unrestored.push_str(masked);
        let h = if last {
            self.unrestored.len()
        } else {
            unfinished_placeholder(&self.unrestored, &out.ph_open, &out.ph_close)
        };
        let done = match map.restore(&self.unrestored[..h]) {
            Cow::Borrowed(s) => s.to_owned(),
            Cow::Owned(s) => s,
        };
        self.unrestored.drain(..h);
        done
    }
}

/// Where an unfinished placeholder starts at the end of `s` (else `s.len()`).
fn unfinished_placeholder(s: &str, open: &str, close: &str) -> usize {
    if open.is_empty() {
        // No opening literal to look for: keep a bounded tail.
        return last_n_chars(s, MAX_PLACEHOLDER_CHARS);
    }
    let window = last_n_chars(s, MAX_PLACEHOLDER_CHARS);
    if let Some(i) = s[window..].rfind(open) {
        let at = window + i;
        if close.is_empty() || !s[at + open.len()..].contains(close) {
            return at;
        }
    }
    // The end may be the start of a multi-character opening literal.
    for (i, _) in open.char_indices().skip(1) {
        if s.ends_with(&open[..i]) {
            return s.len() - i;
        }
    }
    s.len()
}

/// A single text stream with its own [`OutputFilter`]: the simple API.
pub struct StreamFilter {
    /// Policy, masks, restore map and tally of the answer.
    pub out: OutputFilter,
    text: TextFilter,
}

impl StreamFilter {
    /// Wraps an answer's output filter.
    pub fn new(out: OutputFilter) -> Self {
        Self {
            out,
            text: TextFilter::new(),
        }
    }

    /// Returns the text safe to release now (masked and restored).
    pub fn push(&mut self, delta: &str) -> String {
        self.text.push(&mut self.out, delta).text
    }

    /// Flushes everything still held.
    pub fn finish(&mut self) -> String {
        self.text.finish(&mut self.out).text
    }

    /// Whether a blocking finding was released.
    pub fn blocked(&self) -> bool {
        self.out.blocked()
    }

    /// The text filter (for its debug accessors).
    pub fn text(&self) -> &TextFilter {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::scan::Policy;

    fn policy(src: &str) -> Arc<Policy> {
        Arc::new(Policy::from_toml_str("t", src, Path::new(".")).unwrap())
    }

    fn mask_all() -> Arc<Policy> {
        policy("default_action = \"allow\"\n[groups]\npii = \"mask\"\nsecrets = \"mask\"\n")
    }

    fn whole(p: &Arc<Policy>, text: &str) -> String {
        let mut f = StreamFilter::new(OutputFilter::new(p.clone(), None));
        let mut s = f.push(text);
        s.push_str(&f.finish());
        s
    }

    fn split_run(p: &Arc<Policy>, pieces: &[&str]) -> (String, Vec<String>) {
        let mut f = StreamFilter::new(OutputFilter::new(p.clone(), None));
        let mut outs = Vec::new();
        for piece in pieces {
            outs.push(f.push(piece));
        }
        outs.push(f.finish());
        (outs.concat(), outs)
    }

    #[test]
    fn identifier_run_is_held_back() {
        let p = mask_all();
        let mut f = StreamFilter::new(OutputFilter::new(p, None));
        let long = "これは長い前置きの文章です。電話番号をお知らせします。番号は ";
        let out = f.push(long);
        assert!(!out.is_empty(), "text far from the end is released");
        assert_eq!(f.text().held_chars(), MIN_TAIL_CHARS);
        let out2 = f.push("090-12");
        assert!(!out2.contains("090"), "{out2}");
        let mut rest = f.push("34-5678");
        rest.push_str(&f.finish());
        assert!(rest.contains("[電話番号_1]"), "{rest}");
        assert!(!format!("{out}{out2}{rest}").contains("5678"));
    }

    #[test]
    fn every_split_point_gives_the_whole_answer_result() {
        let p = mask_all();
        for text in [
            "山田太郎様の電話は090-1234-5678です。よろしくお願いします。",
            "連絡先はtaro.yamada@example.co.jpまで",
            "キーは sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8xYz1AbCdEfGhIjKlMnOp です",
            "電話 ０９０－１２３４－５６７８ へ",
        ] {
            let expect = whole(&p, text);
            assert_ne!(expect, text, "the value is found in the whole text");
            let idx: Vec<usize> = text.char_indices().map(|(i, _)| i).skip(1).collect();
            for i in idx {
                let (got, _) = split_run(&p, &[&text[..i], &text[i..]]);
                assert_eq!(got, expect, "split at {i}");
            }
            // one character per chunk
            let pieces: Vec<String> = text.chars().map(String::from).collect();
            let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
            assert_eq!(split_run(&p, &refs).0, expect);
        }
    }

    #[test]
    fn name_with_following_honorific_is_caught() {
        let p = mask_all();
        let (got, _) = split_run(&p, &["担当は山田太郎", "様です"]);
        assert!(!got.contains("山田太郎"), "{got}");
    }

    #[test]
    fn long_runs_are_bounded() {
        let p = mask_all();
        let mut f = StreamFilter::new(OutputFilter::new(p, None));
        let mut total = 0;
        for _ in 0..2000 {
            total += f.push("abcdefgh").len();
        }
        total += f.finish().len();
        assert_eq!(total, 16000);
        assert!(f.text().peak_held_chars() <= MAX_RUN_CHARS + 8);
    }

    #[test]
    fn held_back_text_stays_bounded_for_a_long_stream() {
        let p = mask_all();
        let mut f = StreamFilter::new(OutputFilter::new(p, None));
        for i in 0..20_000 {
            f.push(if i % 7 == 0 {
                "。\n"
            } else {
                "あいうえお"
            });
            assert!(f.text().held_chars() <= MAX_HELD_CHARS);
        }
        assert!(f.text().peak_held_chars() <= MIN_TAIL_CHARS + 5);
        f.finish();
        assert_eq!(f.text().held_chars(), 0);
    }

    #[test]
    fn unterminated_private_key_is_masked_in_pieces_not_held_forever() {
        let p = mask_all();
        let mut f = StreamFilter::new(OutputFilter::new(p, None));
        let mut out = f.push("-----BEGIN PRIVATE KEY-----\n");
        for _ in 0..400 {
            out.push_str(&f.push("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"));
            assert!(f.text().held_chars() <= MAX_HELD_CHARS);
        }
        out.push_str(&f.finish());
        assert!(!out.contains("MIIEvQIBADANBgkq"), "key body never released");
    }

    #[test]
    fn restore_across_chunk_boundaries() {
        let p = policy("restore_masked = true\n[groups]\npii = \"mask\"\n");
        let mut req = p.mask_map();
        let text = "電話は090-1234-5678です";
        let found = p.scan(text);
        let masked = req.mask(text, &found);
        assert_eq!(masked, "電話は[電話番号_1]です");
        for (i, _) in masked.char_indices().skip(1) {
            let mut f = StreamFilter::new(OutputFilter::new(p.clone(), Some(req.clone())));
            let mut got = f.push(&masked[..i]);
            got.push_str(&f.push(&masked[i..]));
            got.push_str(&f.finish());
            assert_eq!(got, text, "split at {i}");
        }
    }

    #[test]
    fn unfinished_placeholder_rules() {
        assert_eq!(unfinished_placeholder("abc [電話", "[", "]"), 4);
        assert_eq!(unfinished_placeholder("abc [電話]x", "[", "]"), 13);
        assert_eq!(unfinished_placeholder("abc <", "<<", ">>"), 4);
        let far = format!("[{}", "x".repeat(100));
        assert_eq!(unfinished_placeholder(&far, "[", "]"), far.len());
    }

    #[test]
    fn block_is_reported_once_released() {
        let p = policy("default_action = \"allow\"\n[types]\nmy_number = \"block\"\n");
        let mut f = StreamFilter::new(OutputFilter::new(p, None));
        let a = f.push("マイナンバーは1234567");
        assert!(!a.contains("1234567"));
        assert!(!f.blocked());
        let b = f.push("89018です。");
        let c = f.finish();
        assert!(f.blocked());
        assert!(!format!("{a}{b}{c}").contains("123456789018"));
    }

    #[test]
    fn ident_chars() {
        for c in ['a', '9', '-', '@', '０', 'Ａ', '－', '＠', 'ー'] {
            assert!(is_ident(c), "{c}");
        }
        for c in ['あ', ' ', '\n', '。', '「', '['] {
            assert!(!is_ident(c), "{c}");
        }
    }
}
