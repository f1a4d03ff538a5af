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
    stable_cp(c as u32)
}

/// [`is_stable`] on a code point, usable in constants.
const fn stable_cp(cp: u32) -> bool {
    matches!(cp,
        0x3041..=0x3096 // hiragana
        | 0x30A1..=0x30FA // katakana
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0x3001..=0x3035 // CJK punctuation and brackets (、。「」【】〒〔〕…)
        | 0x30FB // ・
    )
}

/// [`is_stable`] for the three-byte characters U+0800..=U+FFFF: bit `cp & 63` of word
/// `cp >> 6`. Both indexes come straight from the UTF-8 bytes (low four bits of the lead
/// byte and low six of the next give the word, the last byte the bit), so the hot loop tests
/// a run of kanji and kana three bytes at a time without decoding.
static STABLE3: [u64; 1024] = stable3_table();

const fn stable3_table() -> [u64; 1024] {
    let mut t = [0u64; 1024];
    // Only the ranges `stable_cp` can accept, so the constant evaluation stays short.
    let mut cp = 0x3000u32;
    while cp < 0xA000 {
        if stable_cp(cp) {
            t[(cp >> 6) as usize] |= 1 << (cp & 63);
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
    /// The previous scan's offset map, reused for the same reason: growing it from empty
    /// reallocated and copied it a dozen times per scan (~3% of a Japanese scan).
    static SPARE_MARKS: Cell<Vec<Mark>> = const { Cell::new(Vec::new()) };
}

/// Largest offset map (entries) a thread keeps for its next scan.
const SPARE_MARKS_MAX: usize = 1 << 16;

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
    let mut marks = SPARE_MARKS.try_with(Cell::take).unwrap_or_default();
    marks.clear();
    // Start of the run of unchanged input not yet copied to `out`.
    let mut run = 0usize;
    let mut i = 0usize;
    let mut scratch = String::new();
    while i < b.len() {
        if b[i] < 0x80 {
            i += 1;
            continue;
        }
        // A run of stable three-byte characters (kanji, kana, CJK punctuation) is skipped
        // three bytes at a time; it is copied later with the rest of the unchanged run.
        if b[i] & 0xF0 == 0xE0 {
            let from = i;
            for ch in b[i..].chunks_exact(3) {
                let &[c, x, y] = ch else { break };
                let k = (usize::from(c & 0x0F) << 6) | usize::from(x & 0x3F);
                if c & 0xF0 != 0xE0 || STABLE3[k] >> (y & 0x3F) & 1 == 0 {
                    break;
                }
                i += 3;
            }
            if i > from {
                continue;
            }
        }
        // The other three-byte characters (the loop above took every stable one): decode
        // inline.
        if (0xE0..0xF0).contains(&b[i]) && i + 2 < b.len() {
            let cp = (u32::from(b[i] & 0x0F) << 12)
                | (u32::from(b[i + 1] & 0x3F) << 6)
                | u32::from(b[i + 2] & 0x3F);
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
                // Full-width characters often come in runs (１２３４): nothing to copy between.
                if run < i {
                    o.push_str(&text[run..i]);
                }
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
            marks,
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
        if (1..=SPARE_MARKS_MAX).contains(&self.marks.capacity()) {
            let mut m = self.marks;
            m.clear();
            let _ = SPARE_MARKS.try_with(|c| c.set(m));
        }
        if let Cow::Owned(s) = self.text {
            if s.capacity() <= SPARE_MAX {
                let _ = SPARE.try_with(|c| c.set(s));
            }
        }
    }

    /// Maps a normalised start offset to the original text.
    pub fn orig_start(&self, n: usize) -> usize {
        map_start(
            &self.marks,
            self.marks.partition_point(|m| m.norm_start <= n),
            n,
        )
    }

    /// Maps a normalised end offset (exclusive) to the original text.
    pub fn orig_end(&self, n: usize) -> usize {
        map_end(
            &self.marks,
            self.marks.partition_point(|m| m.norm_start < n),
            n,
        )
    }

    /// A mapper for offsets that come in increasing order (sorted, non-overlapping findings).
    pub(crate) fn cursor(&self) -> Cursor<'_> {
        Cursor {
            marks: &self.marks,
            s: 0,
            s_last: 0,
            e: 0,
            e_last: 0,
        }
    }
}

/// Maps offsets as [`Normalized::orig_start`] and [`Normalized::orig_end`] do, but goes on
/// from the previous answer instead of searching all the map again; an offset smaller than
/// the previous one starts over. Same results for any order.
pub(crate) struct Cursor<'n> {
    marks: &'n [Mark],
    /// Number of marks with `norm_start <= s_last`.
    s: usize,
    s_last: usize,
    /// Number of marks with `norm_start < e_last`.
    e: usize,
    e_last: usize,
}

impl Cursor<'_> {
    /// [`Normalized::orig_start`].
    pub(crate) fn start(&mut self, n: usize) -> usize {
        if n < self.s_last {
            self.s = 0;
        }
        while self.marks.get(self.s).is_some_and(|m| m.norm_start <= n) {
            self.s += 1;
        }
        self.s_last = n;
        map_start(self.marks, self.s, n)
    }

    /// [`Normalized::orig_end`].
    pub(crate) fn end(&mut self, n: usize) -> usize {
        if n < self.e_last {
            self.e = 0;
        }
        while self.marks.get(self.e).is_some_and(|m| m.norm_start < n) {
            self.e += 1;
        }
        self.e_last = n;
        map_end(self.marks, self.e, n)
    }
}

/// `orig_start` given `idx`, the number of marks that start at or before `n`.
fn map_start(marks: &[Mark], idx: usize, n: usize) -> usize {
    let Some(m) = idx.checked_sub(1).and_then(|k| marks.get(k)) else {
        return n;
    };
    if n < m.norm_end {
        // Inside the run: the start of the character that produced byte `n`.
        let k = (n - m.norm_start).checked_div(m.norm_w).unwrap_or(0);
        m.orig_start + k * m.orig_w
    } else {
        m.orig_end + (n - m.norm_end)
    }
}

/// `orig_end` given `idx`, the number of marks that start before `n`.
fn map_end(marks: &[Mark], idx: usize, n: usize) -> usize {
    let Some(m) = idx.checked_sub(1).and_then(|k| marks.get(k)) else {
        return n;
    };
    if n <= m.norm_end {
        // Inside the run: the end of the character that produced byte `n - 1`.
        let k = (n - m.norm_start).div_ceil(m.norm_w.max(1));
        m.orig_start + k * m.orig_w
    } else {
        m.orig_end + (n - m.norm_end)
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
    fn cursor_maps_as_the_searches_do() {
        let src = "ＡＢ１２３ー４漢字㈱ｘ　ｙ\u{3000}０－１ abc ﾊﾟｿｺﾝ９";
        let n = normalize(src);
        let len = n.text.len();
        let mut cur = n.cursor();
        // Increasing, repeated and decreasing offsets.
        let seq: Vec<usize> = (0..=len)
            .chain((0..=len).rev())
            .chain([3, 3, 0, len])
            .collect();
        for &p in &seq {
            assert_eq!(cur.start(p), n.orig_start(p), "start {p}");
            assert_eq!(cur.end(p), n.orig_end(p), "end {p}");
        }
    }

    #[test]
    fn stable3_table_agrees_with_is_stable() {
        for cp in 0x800u32..0x10000 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let mut buf = [0u8; 4];
            let b = c.encode_utf8(&mut buf).as_bytes();
            let k = (usize::from(b[0] & 0x0F) << 6) | usize::from(b[1] & 0x3F);
            assert_eq!(STABLE3[k] >> (b[2] & 0x3F) & 1 != 0, is_stable(c), "{cp:x}");
        }
    }

    #[test]
    fn ideographic_space() {
        assert_eq!(normalize("山田\u{3000}太郎").text, "山田 太郎");
    }
}
