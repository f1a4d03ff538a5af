//! NFKC-style normalisation with a map back to the original byte offsets.
//!
//! Normalisation is per character (not across combining sequences): that keeps the offset map
//! trivial — each original character becomes one normalised segment — and covers what matters
//! for detection: full-width ASCII, ideographic spaces and the dash variants Japanese text
//! uses between digits. Text that needs no change is borrowed, with no allocation, and the
//! common scripts (ASCII, kana, CJK ideographs) are recognised without calling into the
//! Unicode tables, which keeps normalisation far below the cost of scanning.

use std::borrow::Cow;
use std::cell::Cell;

use unicode_normalization::UnicodeNormalization;

/// A run of original characters whose normalised forms differ, all of the same widths: each
/// `orig_w` bytes became `norm_w` bytes. Runs keep the map small where Japanese text writes
/// several full-width characters in a row (１２３４, ＡＢＣ), instead of one entry per character.
#[derive(Debug, Clone, Copy)]
struct Mark {
    norm_start: usize,
    norm_end: usize,
    orig_start: usize,
    orig_end: usize,
    norm_w: usize,
    orig_w: usize,
}

/// Records that `orig_start..orig_end` became `norm_start..norm_end`, extending the last run
/// when this character continues it.
#[inline]
fn push_mark(
    marks: &mut Vec<Mark>,
    norm_start: usize,
    norm_end: usize,
    orig_start: usize,
    orig_end: usize,
) {
    let (norm_w, orig_w) = (norm_end - norm_start, orig_end - orig_start);
    if let Some(m) = marks.last_mut() {
        if m.norm_end == norm_start
            && m.orig_end == orig_start
            && m.norm_w == norm_w
            && m.orig_w == orig_w
            && norm_w > 0
        {
            m.norm_end = norm_end;
            m.orig_end = orig_end;
            return;
        }
    }
    marks.push(Mark {
        norm_start,
        norm_end,
        orig_start,
        orig_end,
        norm_w,
        orig_w,
    });
}

/// Normalised text plus the offset map back to the original.
#[derive(Debug)]
pub(crate) struct Normalized<'a> {
    /// The normalised text detectors run on.
    pub text: Cow<'a, str>,
    marks: Vec<Mark>,
}

/// Characters NFKC leaves alone, recognised cheaply (most of any Japanese text).
#[inline]
fn is_stable(c: char) -> bool {
    matches!(c as u32,
        0x3041..=0x3096 // hiragana
        | 0x30A1..=0x30FA // katakana
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0x3001..=0x3035 // CJK punctuation and brackets (、。「」【】〒〔〕…)
        | 0x30FB // ・
    )
}

/// Which of U+3000..=U+30FF (CJK punctuation, kana) [`is_stable`] accepts, one bit each, so the
/// hot loop tests kana from their last two bytes without decoding.
const KANA_STABLE: [u64; 4] = kana_table();

const fn kana_table() -> [u64; 4] {
    let mut t = [0u64; 4];
    let mut cp = 0x3000u32;
    while cp < 0x3100 {
        if matches!(cp, 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x3001..=0x3035 | 0x30FB) {
            let k = (cp - 0x3000) as usize;
            t[k >> 6] |= 1 << (k & 63);
        }
        cp += 1;
    }
    t
}

/// Dashes that mean "hyphen" when they sit between digits.
#[inline]
fn is_dash_variant(c: char) -> bool {
    matches!(
        c,
        'ー' | '－' | '―' | '‐' | '‑' | '−' | '–' | '—' | 'ｰ' | '─' | '━'
    )
}

#[inline]
fn is_digitish(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Writes what `c` becomes into `out` and returns true, or returns false when `c` is unchanged.
fn map_char(c: char, prev_norm: Option<u8>, next: Option<char>, out: &mut String) -> bool {
    // ㊙ stays as is: it is a confidentiality marker in its own right.
    if c.is_ascii() || is_stable(c) || c == '㊙' {
        return false;
    }
    if is_dash_variant(c)
        && prev_norm.is_some_and(|b| b.is_ascii_digit())
        && next.is_some_and(is_digitish)
    {
        out.push('-');
        return true;
    }
    let cp = c as u32;
    if (0xFF01..=0xFF5E).contains(&cp) {
        // Full-width ASCII: a fixed offset, no table needed.
        if let Some(a) = char::from_u32(cp - 0xFEE0) {
            out.push(a);
            return true;
        }
    }
    if c == '\u{3000}' {
        out.push(' ');
        return true;
    }
    if unicode_normalization::is_nfkc_quick(std::iter::once(c))
        == unicode_normalization::IsNormalized::Yes
    {
        return false;
    }
    let mut buf = String::new();
    buf.extend(std::iter::once(c).nfkc());
    let mut it = buf.chars();
    if it.next() == Some(c) && it.next().is_none() {
        return false;
    }
    out.push_str(&buf);
    true
}

/// Largest normalised-text buffer a thread keeps for its next scan.
const SPARE_MAX: usize = 4 << 20;

thread_local! {
    /// The previous scan's normalised-text buffer. A fresh allocation of a megabyte or more
    /// comes as new pages from the kernel on every scan (page faults were ~13% of a 1 MiB
    /// scan); reusing it also keeps it warm in cache.
    static SPARE: Cell<String> = const { Cell::new(String::new()) };
}

/// An empty buffer of at least `cap` bytes, the spare one when this thread has it.
fn buffer(cap: usize) -> String {
    let mut s = SPARE.try_with(Cell::take).unwrap_or_default();
    s.clear();
    s.reserve(cap);
    s
}

/// Normalises `text`, borrowing it when nothing changes.
pub(crate) fn normalize(text: &str) -> Normalized<'_> {
    if text.is_ascii() {
        return Normalized {
            text: Cow::Borrowed(text),
            marks: Vec::new(),
        };
    }
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut marks = Vec::new();
    // Start of the run of unchanged input not yet copied to `out`.
    let mut run = 0usize;
    let mut i = 0usize;
    let mut scratch = String::new();
    while i < b.len() {
        if b[i] < 0x80 {
            i += 1;
            continue;
        }
        // CJK unified ideographs U+4E00..=U+9FFF, most of Japanese text, are told by their
        // first two bytes without decoding: E5..E9 lead bytes, or E4 with B8..BF after it.
        if matches!(b[i], 0xE5..=0xE9) || (b[i] == 0xE4 && b.get(i + 1).is_some_and(|&x| x >= 0xB8))
        {
            i += 3;
            continue;
        }
        // Kana and CJK punctuation: E3 80..83 xx is U+3000..=U+30FF.
        if b[i] == 0xE3 {
            if let (Some(&x), Some(&y)) = (b.get(i + 1), b.get(i + 2)) {
                if x <= 0x83 {
                    let k = (usize::from(x & 3) << 6) | usize::from(y & 0x3F);
                    if KANA_STABLE[k >> 6] >> (k & 63) & 1 != 0 {
                        i += 3;
                        continue;
                    }
                }
            }
        }
        // The other 3-byte sequences: decode inline, skip if stable.
        if (0xE0..0xF0).contains(&b[i]) && i + 2 < b.len() {
            let cp = (u32::from(b[i] & 0x0F) << 12)
                | (u32::from(b[i + 1] & 0x3F) << 6)
                | u32::from(b[i + 2] & 0x3F);
            if matches!(cp, 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x4E00..=0x9FFF | 0x3001..=0x3035 | 0x30FB)
            {
                i += 3;
                continue;
            }
            // Full-width ASCII (digits, letters, （），：％…) is one fixed offset away from ASCII;
            // this is also what `map_char` gives '－' between digits. The ideographic space is a
            // space. Both are written straight into `out`, without the general path's scratch.
            let one = match cp {
                0xFF01..=0xFF5E => Some((cp - 0xFEE0) as u8),
                0x3000 => Some(b' '),
                _ => None,
            };
            if let Some(a) = one {
                let o = out.get_or_insert_with(|| buffer(text.len()));
                o.push_str(&text[run..i]);
                let ns = o.len();
                o.push(char::from(a));
                push_mark(&mut marks, ns, ns + 1, i, i + 3);
                i += 3;
                run = i;
                continue;
            }
            // The katakana long vowel mark ー only changes between digits (a dash there).
            if cp == 0x30FC {
                let prev_norm = if i == run {
                    out.as_ref().and_then(|o| o.as_bytes().last().copied())
                } else {
                    Some(b[i - 1])
                };
                if !prev_norm.is_some_and(|p| p.is_ascii_digit()) {
                    i += 3;
                    continue;
                }
            }
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        if is_stable(c) {
            i += len;
            continue;
        }
        let prev_norm = if i == run {
            out.as_ref().and_then(|o| o.as_bytes().last().copied())
        } else {
            Some(b[i - 1])
        };
        let next = text[i + len..].chars().next();
        scratch.clear();
        if map_char(c, prev_norm, next, &mut scratch) {
            let o = out.get_or_insert_with(|| buffer(text.len()));
            o.push_str(&text[run..i]);
            let ns = o.len();
            o.push_str(&scratch);
            push_mark(&mut marks, ns, o.len(), i, i + len);
            run = i + len;
        }
        i += len;
    }
    match out {
        None => Normalized {
            text: Cow::Borrowed(text),
            marks: Vec::new(),
        },
        Some(mut s) => {
            s.push_str(&text[run..]);
            Normalized {
                text: Cow::Owned(s),
                marks,
            }
        }
    }
}

impl Normalized<'_> {
    /// Gives the normalised text's buffer back for the next scan on this thread.
    pub fn recycle(self) {
        if let Cow::Owned(s) = self.text {
            if s.capacity() <= SPARE_MAX {
                let _ = SPARE.try_with(|c| c.set(s));
            }
        }
    }

    /// Maps a normalised start offset to the original text.
    pub fn orig_start(&self, n: usize) -> usize {
        let idx = self.marks.partition_point(|m| m.norm_start <= n);
        if idx == 0 {
            return n;
        }
        let m = self.marks[idx - 1];
        if n < m.norm_end {
            // Inside the run: the start of the character that produced byte `n`.
            let k = (n - m.norm_start).checked_div(m.norm_w).unwrap_or(0);
            m.orig_start + k * m.orig_w
        } else {
            m.orig_end + (n - m.norm_end)
        }
    }

    /// Maps a normalised end offset (exclusive) to the original text.
    pub fn orig_end(&self, n: usize) -> usize {
        let idx = self.marks.partition_point(|m| m.norm_start < n);
        if idx == 0 {
            return n;
        }
        let m = self.marks[idx - 1];
        if n <= m.norm_end {
            // Inside the run: the end of the character that produced byte `n - 1`.
            let k = (n - m.norm_start).div_ceil(m.norm_w.max(1));
            m.orig_start + k * m.orig_w
        } else {
            m.orig_end + (n - m.norm_end)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ascii_is_borrowed() {
        let n = normalize("abc 123");
        assert!(matches!(n.text, Cow::Borrowed(_)));
    }

    #[test]
    fn fullwidth_maps_back() {
        let src = "電話は０９０－１２３４ー５６７８です";
        let n = normalize(src);
        assert_eq!(n.text, "電話は090-1234-5678です");
        let s = n.text.find("090").unwrap();
        let e = s + "090-1234-5678".len();
        assert_eq!(
            &src[n.orig_start(s)..n.orig_end(e)],
            "０９０－１２３４ー５６７８"
        );
    }

    #[test]
    fn katakana_long_vowel_kept_outside_digits() {
        assert_eq!(normalize("コーヒー").text, "コーヒー");
    }

    #[test]
    fn fast_paths_match_the_general_path() {
        // Full-width ASCII, ideographic space and ー are taken by the inline fast path; the
        // result must be what `map_char` gives for each character.
        let src = "ｔｅｌ：０３ー１２３４－５６７８　（コーヒー）ＡＢＣ％，ー１ｰ２";
        let n = normalize(src);
        let mut want = String::new();
        let chars: Vec<char> = src.chars().collect();
        for (k, &c) in chars.iter().enumerate() {
            let prev = want.as_bytes().last().copied();
            let mut tmp = String::new();
            if map_char(c, prev, chars.get(k + 1).copied(), &mut tmp) {
                want.push_str(&tmp);
            } else {
                want.push(c);
            }
        }
        assert_eq!(n.text, want);
        assert_eq!(n.text, "tel:03-1234-5678 (コーヒー)ABC%,ー1-2");
        let s = n.text.find("03").unwrap();
        let e = s + "03-1234-5678".len();
        assert_eq!(
            &src[n.orig_start(s)..n.orig_end(e)],
            "０３ー１２３４－５６７８"
        );
    }

    #[test]
    fn run_length_map_matches_per_character_map() {
        // Runs of full-width characters, general-path characters (㈱ → (株), ﾊﾟ → パ), dashes
        // between digits and a 2-byte character, checked at every normalised char boundary
        // against a map built one character at a time.
        let src = "ＡＢＣ１２３４－５６７８ー９㈱㈱ﾊﾟｿｺﾝ　　×漢字①②ｘ\u{3000}０\n１";
        let n = normalize(src);
        let chars: Vec<(usize, char)> = src.char_indices().collect();
        let mut want = String::new();
        let mut segs = Vec::new();
        for (k, &(os, c)) in chars.iter().enumerate() {
            let prev = want.as_bytes().last().copied();
            let ns = want.len();
            let mut tmp = String::new();
            if map_char(c, prev, chars.get(k + 1).map(|p| p.1), &mut tmp) {
                want.push_str(&tmp);
            } else {
                want.push(c);
            }
            segs.push((ns, want.len(), os, os + c.len_utf8()));
        }
        assert_eq!(n.text, want);
        assert!(
            n.marks.len() < segs.len() / 2,
            "runs merge: {}",
            n.marks.len()
        );
        for &(ns, ne, os, oe) in &segs {
            for p in ns..ne {
                if want.is_char_boundary(p) {
                    assert_eq!(n.orig_start(p), os, "start {p}");
                }
            }
            for p in ns + 1..=ne {
                if want.is_char_boundary(p) {
                    assert_eq!(n.orig_end(p), oe, "end {p}");
                }
            }
        }
    }

    #[test]
    fn kana_table_agrees_with_is_stable() {
        for cp in 0x3000u32..0x3100 {
            let k = (cp - 0x3000) as usize;
            let c = char::from_u32(cp).unwrap();
            assert_eq!(
                KANA_STABLE[k >> 6] >> (k & 63) & 1 != 0,
                is_stable(c),
                "{cp:x}"
            );
        }
    }

    #[test]
    fn ideographic_space() {
        assert_eq!(normalize("山田\u{3000}太郎").text, "山田 太郎");
    }
}
