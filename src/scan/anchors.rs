//! Finds every occurrence of every trigger anchor, as an overlapping Aho-Corasick search would,
//! in one pass that costs little per Japanese character.
//!
//! One byte-level DFA over all anchors was large (ASCII words, kanji words and 47 prefectures:
//! about 1,700 states of 138 byte classes, ~0.9 MB), and Japanese text walked it three steps
//! per character, mostly missing the cache. The anchors are split instead:
//! - anchors made of ASCII only go into a small DFA, stepped over ASCII bytes. Such an anchor
//!   cannot contain a non-ASCII byte, so the DFA restarts after one;
//! - every other anchor is found from its end: two 8 KiB bitmaps (they stay in L1) say whether a
//!   character is a one-character anchor or, hashed with the character before it, may end a
//!   longer one, and only then are the few anchors ending in it compared backwards, ASCII
//!   case-insensitively as the DFA does.
//!
//! Together they report exactly the (anchor, start, end) triples of an overlapping search, in
//! order of end offset. Anchors that end at the same offset may come in another order than the
//! single automaton gave; the dispatch does not depend on it.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};

/// Why the anchor finder could not be built (a bug, never user input).
#[derive(Debug, thiserror::Error)]
pub(crate) enum AnchorsError {
    #[error("anchor automaton: {0}")]
    Build(#[from] aho_corasick::BuildError),
    #[error("anchor automaton has no unanchored start: {0}")]
    Start(#[from] aho_corasick::MatchError),
    #[error("anchor {0:?} is empty or ends in ASCII after non-ASCII text")]
    Unsupported(&'static str),
}

/// The anchors, in one id space, split by how they are found.
pub(crate) struct Anchors {
    ascii: DFA,
    start: StateID,
    /// Id (index in the caller's list) of each pattern of `ascii`.
    ascii_ids: Vec<usize>,
    /// Bit `cp` is set when the BMP character `cp` ends some non-ASCII anchor.
    last: Box<[u64; 1024]>,
    /// Bit `cp` is set when the BMP character `cp` is a whole anchor (様, 市, ㊙ …).
    single: Box<[u64; 1024]>,
    /// Bit `pair_hash(a, b)` is set when some longer non-ASCII anchor ends in the characters
    /// `a b`. Testing the last two characters, not just the last one, keeps the candidates away
    /// from common endings such as ん, す or な.
    pair: Box<[u64; 1024]>,
    /// True when some non-ASCII anchor ends outside the BMP (none today); such characters are
    /// then always checked.
    astral: bool,
    /// Non-ASCII anchors as (last character, bytes, id), sorted by last character.
    tails: Vec<(u32, &'static [u8], usize)>,
    /// Open-addressing table from a last character to its range `lo..hi` of `tails`, so a
    /// candidate costs one or two probes instead of a binary search over all tails.
    slots: Box<[Slot]>,
}

/// One entry of [`Anchors::slots`]; `cp == EMPTY` marks a free slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    cp: u32,
    lo: u32,
    hi: u32,
}

/// Not a scalar value: a free slot.
const EMPTY: u32 = u32::MAX;

/// Slot of `cp` in a table of `mask + 1` slots (a power of two).
#[inline]
fn slot_hash(cp: u32, mask: usize) -> usize {
    (cp.wrapping_mul(0x9E37_79B1) >> 16) as usize & mask
}

impl Anchors {
    /// Builds the finder; a hit names the pattern by its index in `patterns`.
    pub(crate) fn new(patterns: &[&'static str]) -> Result<Anchors, AnchorsError> {
        let mut ascii_pats = Vec::new();
        let mut ascii_ids = Vec::new();
        let mut last = Box::new([0u64; 1024]);
        let mut single = Box::new([0u64; 1024]);
        let mut pair = Box::new([0u64; 1024]);
        let mut astral = false;
        let mut tails = Vec::new();
        for (id, &p) in patterns.iter().enumerate() {
            if p.is_empty() {
                return Err(AnchorsError::Unsupported(p));
            }
            if p.is_ascii() {
                ascii_pats.push(p);
                ascii_ids.push(id);
                continue;
            }
            // Found from its last character, which must then be non-ASCII.
            let mut rev = p.chars().rev().map(u32::from);
            let cp = rev.next().unwrap_or(0);
            if cp < 0x80 {
                return Err(AnchorsError::Unsupported(p));
            }
            if cp < 0x10000 {
                set(&mut last, cp);
            } else {
                astral = true;
            }
            match rev.next() {
                Some(before) => set(&mut pair, pair_hash(fold(before), cp)),
                None => set(&mut single, cp),
            }
            tails.push((cp, p.as_bytes(), id));
        }
        tails.sort_by_key(|&(cp, _, id)| (cp, id));
        // At most half full, so every probe sequence meets a free slot soon.
        let size = (tails.len() * 2).next_power_of_two().max(16);
        let mask = size - 1;
        let mut slots = vec![
            Slot {
                cp: EMPTY,
                lo: 0,
                hi: 0
            };
            size
        ]
        .into_boxed_slice();
        let mut lo = 0;
        while lo < tails.len() {
            let cp = tails[lo].0;
            let hi = lo + tails[lo..].partition_point(|&(l, _, _)| l == cp);
            let mut h = slot_hash(cp, mask);
            while slots[h].cp != EMPTY {
                h = (h + 1) & mask;
            }
            slots[h] = Slot {
                cp,
                lo: lo as u32,
                hi: hi as u32,
            };
            lo = hi;
        }
        let ascii = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&ascii_pats)?;
        let start = ascii.start_state(Anchored::No)?;
        Ok(Anchors {
            ascii,
            start,
            ascii_ids,
            last,
            single,
            pair,
            astral,
            tails,
            slots,
        })
    }

    /// The range of `tails` whose anchors end in `cp` (empty when none do).
    #[inline]
    fn tail_range(&self, cp: u32) -> (usize, usize) {
        let mask = self.slots.len() - 1;
        let mut h = slot_hash(cp, mask);
        // Bounded by the table size; the table always has free slots, which end the search.
        for _ in 0..self.slots.len() {
            let Some(s) = self.slots.get(h) else { break };
            if s.cp == cp {
                return (s.lo as usize, s.hi as usize);
            }
            if s.cp == EMPTY {
                break;
            }
            h = (h + 1) & mask;
        }
        (0, 0)
    }

    /// Every anchor occurrence in `t` as (id, start, end), by end offset.
    pub(crate) fn hits<'a>(&'a self, t: &'a str) -> Hits<'a> {
        Hits {
            a: self,
            b: t.as_bytes(),
            i: 0,
            sid: self.start,
            prev: NONE,
            ascii_k: 0,
            ascii_n: 0,
            tail: 0,
            tail_end: 0,
        }
    }
}

/// Iterator over anchor hits; see [`Anchors::hits`].
pub(crate) struct Hits<'a> {
    a: &'a Anchors,
    b: &'a [u8],
    /// Offset just past the last byte consumed; pending hits end here.
    i: usize,
    sid: StateID,
    /// The last non-ASCII character consumed (`NONE` before the first); the character
    /// before a non-ASCII one is this or, when ASCII, read from the text.
    prev: u32,
    /// Pending matches of the ASCII DFA state `sid`: indexes `ascii_k..ascii_n`.
    ascii_k: usize,
    ascii_n: usize,
    /// Pending non-ASCII candidates ending at `i`: `tails[tail..tail_end]`.
    tail: usize,
    tail_end: usize,
}

impl Iterator for Hits<'_> {
    type Item = (usize, usize, usize);

    fn next(&mut self) -> Option<(usize, usize, usize)> {
        let a = self.a;
        loop {
            if self.ascii_k < self.ascii_n {
                let p = a.ascii.match_pattern(self.sid, self.ascii_k);
                self.ascii_k += 1;
                let len = a.ascii.pattern_len(p);
                let id = a.ascii_ids.get(p.as_usize()).copied()?;
                return Some((id, self.i - len, self.i));
            }
            while self.tail < self.tail_end {
                let (_, pat, id) = a.tails[self.tail];
                self.tail += 1;
                if let Some(s) = self.i.checked_sub(pat.len()) {
                    if self.b[s..self.i].eq_ignore_ascii_case(pat) {
                        return Some((id, s, self.i));
                    }
                }
            }
            self.advance()?;
        }
    }
}

impl Hits<'_> {
    /// Consumes input up to the next offset where some anchor may end and sets the pending
    /// candidates there; `None` at the end of the text.
    #[inline]
    fn advance(&mut self) -> Option<()> {
        let a = self.a;
        let b = self.b;
        let mut i = self.i;
        let mut sid = self.sid;
        let mut prev = self.prev;
        loop {
            let &c = b.get(i)?;
            if c < 0x80 {
                // `prev` is not kept up to date over ASCII: the non-ASCII paths below read the
                // byte before them instead, once per run.
                sid = a.ascii.next_state(Anchored::No, sid, c);
                i += 1;
                if a.ascii.is_match(sid) {
                    self.ascii_k = 0;
                    self.ascii_n = a.ascii.match_len(sid);
                    break;
                }
                continue;
            }
            // An ASCII anchor cannot run across a non-ASCII character.
            sid = a.start;
            // The character before, when it is ASCII (else `prev` already holds it).
            if let Some(&p) = i.checked_sub(1).and_then(|k| b.get(k)) {
                if p < 0x80 {
                    prev = fold(u32::from(p));
                }
            }
            if c & 0xF0 == 0xE0 {
                // A run of three-byte characters (kana, kanji, full-width forms: most of
                // Japanese text), taken three bytes at a time: `cp >> 6` comes from the first
                // two bytes, `cp & 63` from the third. Only a character that ends some anchor
                // leaves the fast loop.
                let mut found = None;
                for ch in b.get(i..).unwrap_or_default().chunks_exact(3) {
                    let &[c, x, y] = ch else { break };
                    if c & 0xF0 != 0xE0 {
                        break;
                    }
                    let k = (usize::from(c & 0x0F) << 6) | usize::from(x & 0x3F);
                    let cp = ((k as u32) << 6) | u32::from(y & 0x3F);
                    let before = prev;
                    prev = cp;
                    i += 3;
                    if a.last[k] >> (y & 0x3F) & 1 != 0 {
                        found = a.candidate(before, cp);
                        if found.is_some() {
                            break;
                        }
                    }
                }
                match found {
                    Some((lo, hi)) => {
                        self.tail = lo;
                        self.tail_end = hi;
                        break;
                    }
                    None => continue,
                }
            }
            // Two- and four-byte characters. `t` is a `str`, so the lead byte says how long
            // the character is and the continuation bytes are there.
            let (cp, w) = match c {
                0xC0..=0xDF => match b.get(i + 1) {
                    Some(&x) => ((u32::from(c & 0x1F) << 6) | u32::from(x & 0x3F), 2),
                    None => return None,
                },
                _ => match b.get(i + 1..i + 4) {
                    Some(&[x, y, z]) => (
                        (u32::from(c & 0x07) << 18)
                            | (u32::from(x & 0x3F) << 12)
                            | (u32::from(y & 0x3F) << 6)
                            | u32::from(z & 0x3F),
                        4,
                    ),
                    _ => return None,
                },
            };
            i += w;
            let before = prev;
            prev = cp;
            // Most characters end no anchor: one bit says so, before any hashing.
            let ends = if cp < 0x10000 {
                get(&a.last, cp)
            } else {
                a.astral
            };
            if ends {
                if let Some((lo, hi)) = a.candidate(before, cp) {
                    self.tail = lo;
                    self.tail_end = hi;
                    break;
                }
            }
        }
        self.i = i;
        self.sid = sid;
        self.prev = prev;
        Some(())
    }
}

impl Anchors {
    /// The anchors to compare for a character `cp` (after `before`, folded) that ends some
    /// anchor, or `None` when the one- and two-character filters rule them all out.
    #[inline]
    fn candidate(&self, before: u32, cp: u32) -> Option<(usize, usize)> {
        if cp < 0x10000 && !get(&self.single, cp) && !get(&self.pair, pair_hash(before, cp)) {
            return None;
        }
        let (lo, hi) = self.tail_range(cp);
        (lo < hi).then_some((lo, hi))
    }
}

/// Offset of the first ASCII digit in `hay`, eight bytes at a time (the digit walk's search
/// for the next number, which byte-by-byte cost ~8% of a Japanese scan).
pub(crate) fn find_ascii_digit(hay: &[u8]) -> Option<usize> {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = hay.chunks_exact(8);
    let mut off = 0;
    for c in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let w = u64::from_le_bytes(bytes);
        // Per byte x < 0x80 (no carry between bytes): x + 0x50 has the top bit iff x >= '0',
        // x + 0x46 iff x > '9'; bytes >= 0x80 are masked out by `!w`.
        let lo = w & LOW7;
        let m = lo.wrapping_add(0x5050_5050_5050_5050)
            & !lo.wrapping_add(0x4646_4646_4646_4646)
            & !w
            & HIGH;
        if m != 0 {
            return Some(off + (m.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| off + p)
}

/// No character yet (not a scalar value, so it pairs with nothing).
const NONE: u32 = 0x11_0000;

/// Maps ASCII characters that are equal ignoring case to one value (other ASCII characters may
/// share it too: this only feeds a filter); other characters unchanged.
#[inline]
fn fold(c: u32) -> u32 {
    if c < 0x80 {
        c | 0x20
    } else {
        c
    }
}

/// 16-bit hash of two consecutive characters.
#[inline]
fn pair_hash(a: u32, b: u32) -> u32 {
    ((a.wrapping_mul(0x9E37_79B1) ^ b).wrapping_mul(0x85EB_CA77)) >> 16
}

#[inline]
fn set(bits: &mut [u64; 1024], k: u32) {
    bits[(k >> 6) as usize & 1023] |= 1 << (k & 63);
}

#[inline]
fn get(bits: &[u64; 1024], k: u32) -> bool {
    bits[(k >> 6) as usize & 1023] >> (k & 63) & 1 != 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind};

    fn reference(pats: &[&str], t: &str) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(pats)
            .unwrap();
        let mut v: Vec<_> = ac
            .find_overlapping_iter(t)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        v.sort_by_key(|&(id, s, e)| (e, s, id));
        v
    }

    fn ours(pats: &[&'static str], t: &str) -> Vec<(usize, usize, usize)> {
        let a = Anchors::new(pats).unwrap();
        let hits: Vec<_> = a.hits(t).collect();
        assert!(hits.windows(2).all(|w| w[0].2 <= w[1].2), "by end offset");
        let mut v = hits;
        v.sort_by_key(|&(id, s, e)| (e, s, id));
        v
    }

    const PATS: &[&str] = &[
        "sk-",
        "key",
        "api-key",
        "@",
        ":",
        "様",
        "お疲れ様です。",
        "氏",
        "氏名",
        "APIキー",
        "東京都",
        "京都府",
        "都",
        "ñ",
        "aé",
        "𠮷",
        "a𠮷",
        "DANモード",
        "ド",
    ];

    #[test]
    fn same_hits_as_one_overlapping_automaton() {
        for t in [
            "",
            "plain ascii with api-KEY: sk-abc and a@b",
            "お疲れ様です。山田様、氏名：東京都京都府 apiキー DANモード",
            "マニャーナ ñ aé AÉ Aé 𠮷野家 a𠮷 A𠮷 ×÷ 𝟘𝟙 danモード",
            "様様様氏氏名名",
            "東京都京都府京都都",
        ] {
            assert_eq!(ours(PATS, t), reference(PATS, t), "{t}");
        }
    }

    #[test]
    fn finds_digits_as_position_does() {
        let mut hay: Vec<u8> = (0u8..=255).collect();
        hay.extend("漢字０１２abc/:9".bytes());
        for s in 0..hay.len() {
            for e in s..hay.len().min(s + 40) {
                let h = &hay[s..e];
                assert_eq!(
                    find_ascii_digit(h),
                    h.iter().position(u8::is_ascii_digit),
                    "{s}..{e}"
                );
            }
        }
    }

    #[test]
    fn rejects_what_it_cannot_find() {
        assert!(Anchors::new(&["ok", "é:"]).is_err());
        assert!(Anchors::new(&[""]).is_err());
    }

    #[test]
    fn same_hits_on_every_prefix_and_suffix() {
        let t = "担当:山田APIキー様 key@x 京都府お疲れ様です。𠮷a𠮷";
        for (i, _) in t.char_indices() {
            assert_eq!(ours(PATS, &t[i..]), reference(PATS, &t[i..]));
            assert_eq!(ours(PATS, &t[..i]), reference(PATS, &t[..i]));
        }
    }
}
