//! Numeric identifiers: one walk over the digits of the (normalised) text.
//!
//! Digits joined by single separators (hyphen, space, line break, parentheses) form a cluster;
//! each cluster is classified once by length, grouping, check digits and the nearest context
//! keyword before it. Boundaries are digit/letter boundaries rather than `\b` (which fails
//! next to kanji), so an identifier inside a longer run of digits is never reported.
//! Clusters joined only by whitespace may hold several values, so on failure they are split
//! at the whitespace and retried, longest first.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::engine::Raw;
use super::names::PREFECTURES;
use super::Kind;

/// The meaning of the nearest keyword before a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    MyNumber,
    License,
    Pension,
    Bank,
    Card,
    Passport,
    Postal,
    Phone,
    Corporate,
    Version,
    /// 登録番号: the invoice registration number is T + the 法人番号, and the T is often
    /// dropped; any other number after it is a business number.
    Registration,
    /// 被保険者番号 and other insurance numbers: never a phone; a 4-6 one is the pension number
    /// (年金手帳 calls the 基礎年金番号 a 被保険者番号).
    Insured,
    /// 口座名義: the account holder's name follows, not the account number.
    Holder,
    /// Order, invoice, document and other business numbers: not personal data.
    Negative,
}

const CTX_WORDS: &[(&str, Ctx)] = &[
    ("個人番号", Ctx::MyNumber),
    ("個人番号カード", Ctx::MyNumber),
    ("マイナンバー", Ctx::MyNumber),
    ("マイナンバーカード", Ctx::MyNumber),
    ("my number", Ctx::MyNumber),
    ("mynumber", Ctx::MyNumber),
    ("my_number", Ctx::MyNumber),
    ("individual number", Ctx::MyNumber),
    ("免許", Ctx::License),
    ("driver's license", Ctx::License),
    ("drivers license", Ctx::License),
    ("driver license", Ctx::License),
    ("driving licence", Ctx::License),
    ("driver's licence", Ctx::License),
    ("年金", Ctx::Pension),
    ("pension", Ctx::Pension),
    ("口座", Ctx::Bank),
    ("口座名義", Ctx::Holder),
    ("普通", Ctx::Bank),
    ("当座", Ctx::Bank),
    ("支店", Ctx::Bank),
    ("預金", Ctx::Bank),
    ("銀行", Ctx::Bank),
    ("信用金庫", Ctx::Bank),
    ("account number", Ctx::Bank),
    ("account no", Ctx::Bank),
    ("bank account", Ctx::Bank),
    ("カード", Ctx::Card),
    ("クレジット", Ctx::Card),
    ("card", Ctx::Card),
    ("旅券", Ctx::Passport),
    ("パスポート", Ctx::Passport),
    ("passport", Ctx::Passport),
    ("郵便番号", Ctx::Postal),
    ("〒", Ctx::Postal),
    ("postal code", Ctx::Postal),
    ("zip code", Ctx::Postal),
    ("電話", Ctx::Phone),
    ("携帯", Ctx::Phone),
    ("連絡先", Ctx::Phone),
    ("tel", Ctx::Phone),
    ("fax", Ctx::Phone),
    ("phone", Ctx::Phone),
    ("mobile", Ctx::Phone),
    ("法人番号", Ctx::Corporate),
    ("corporate number", Ctx::Corporate),
    ("version", Ctx::Version),
    ("ver.", Ctx::Version),
    ("ver ", Ctx::Version),
    ("バージョン", Ctx::Version),
    ("firmware", Ctx::Version),
    ("ファームウェア", Ctx::Version),
    ("release", Ctx::Version),
    ("リリース", Ctx::Version),
    ("build", Ctx::Version),
    ("ビルド", Ctx::Version),
    ("注文番号", Ctx::Negative),
    ("受付番号", Ctx::Negative),
    ("文書番号", Ctx::Negative),
    ("管理番号", Ctx::Negative),
    ("整理番号", Ctx::Negative),
    ("伝票番号", Ctx::Negative),
    ("請求書番号", Ctx::Negative),
    ("請求番号", Ctx::Negative),
    ("製造番号", Ctx::Negative),
    ("製品番号", Ctx::Negative),
    ("商品番号", Ctx::Negative),
    ("型番", Ctx::Negative),
    ("品番", Ctx::Negative),
    ("シリアル", Ctx::Negative),
    ("serial", Ctx::Negative),
    ("s/n", Ctx::Negative),
    ("order", Ctx::Negative),
    ("invoice", Ctx::Negative),
    ("問い合わせ番号", Ctx::Negative),
    ("問合せ番号", Ctx::Negative),
    ("お問合せ番号", Ctx::Negative),
    ("追跡番号", Ctx::Negative),
    ("伝票", Ctx::Negative),
    ("tracking", Ctx::Negative),
    ("予約番号", Ctx::Negative),
    ("案件番号", Ctx::Negative),
    ("発注番号", Ctx::Negative),
    ("受注番号", Ctx::Negative),
    ("ロット", Ctx::Negative),
    ("lot", Ctx::Negative),
    ("チケット", Ctx::Negative),
    ("ticket", Ctx::Negative),
    ("取引番号", Ctx::Negative),
    ("transaction", Ctx::Negative),
    ("申請番号", Ctx::Negative),
    ("事業者番号", Ctx::Negative),
    ("登録番号", Ctx::Registration),
    ("被保険者番号", Ctx::Insured),
    ("保険者番号", Ctx::Insured),
    ("保険証番号", Ctx::Insured),
    ("記号番号", Ctx::Insured),
    ("会員番号", Ctx::Negative),
    ("文書", Ctx::Negative),
    ("ファイル番号", Ctx::Negative),
    ("reference", Ctx::Negative),
    ("ref", Ctx::Negative),
    ("タイムスタンプ", Ctx::Negative),
    ("timestamp", Ctx::Negative),
];

/// How far back (bytes) a context keyword may be.
const CTX_WINDOW: usize = 48;
/// Digit groups read into one cluster at most; bounds the atom pairs tried per cluster.
const MAX_GROUPS: usize = 12;

/// The digit walker's compiled tables.
pub(crate) struct Numbers {
    ctx: AhoCorasick,
    prefs: AhoCorasick,
}

/// Separator between two digit groups.
#[derive(Debug, Clone, Copy)]
struct Sep {
    hyphen: bool,
    paren: bool,
    newline: bool,
    /// Holds a space or tab.
    spaced: bool,
}

impl Sep {
    /// Separators with whitespace may join unrelated values: spaces alone, or a bracket
    /// with a space (`No.22 (123456789018)` is a number and a parenthesis, while
    /// `(03) 1234-5678` stays one phone because the whole cluster is tried first).
    fn splittable(self) -> bool {
        !self.hyphen && (!self.paren || self.spaced)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A mask placeholder (`…_3]`) ends right before `pos`: it counts as a word, so masking a
/// neighbour never turns a rejected number into a finding (masking stays idempotent).
fn placeholder_before(b: &[u8], pos: usize) -> bool {
    if pos < 3 || b[pos - 1] != b']' {
        return false;
    }
    let mut i = pos - 1;
    while i > 0 && b[i - 1].is_ascii_digit() {
        i -= 1;
    }
    i < pos - 1 && i > 0 && b[i - 1] == b'_'
}

/// A mask placeholder starts at `pos` (`[` then a non-ASCII label).
fn placeholder_at(b: &[u8], pos: usize) -> bool {
    b.get(pos) == Some(&b'[') && b.get(pos + 1).is_some_and(|c| *c >= 0x80)
}

fn prev_char(t: &str, pos: usize) -> Option<char> {
    t.get(..pos).and_then(|s| s.chars().next_back())
}

fn next_char(t: &str, pos: usize) -> Option<char> {
    t.get(pos..).and_then(|s| s.chars().next())
}

fn floor_boundary(t: &str, mut i: usize) -> usize {
    while i > 0 && !t.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(t: &str, mut i: usize) -> usize {
    while i < t.len() && !t.is_char_boundary(i) {
        i += 1;
    }
    i.min(t.len())
}

/// My Number check digit (個人番号 の 検査用数字, official algorithm).
pub(crate) fn my_number_ok(d: &[u8]) -> bool {
    if d.len() != 12 {
        return false;
    }
    let mut sum = 0u32;
    for n in 1..=11usize {
        let p = u32::from(d[11 - n] - b'0');
        let q = if n <= 6 { n as u32 + 1 } else { n as u32 - 5 };
        sum += p * q;
    }
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    u32::from(d[11] - b'0') == check
}

/// Corporate number check digit (leading digit).
pub(crate) fn corporate_ok(d: &[u8]) -> bool {
    if d.len() != 13 {
        return false;
    }
    let mut sum = 0u32;
    for n in 1..=12usize {
        let p = u32::from(d[13 - n] - b'0');
        let q = if n % 2 == 1 { 1 } else { 2 };
        sum += p * q;
    }
    u32::from(d[0] - b'0') == 9 - (sum % 9)
}

/// Luhn checksum.
pub(crate) fn luhn_ok(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &c) in d.iter().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

fn prefix_num(d: &[u8], n: usize) -> u32 {
    d.iter()
        .take(n)
        .fold(0, |a, &c| a * 10 + u32::from(c - b'0'))
}

/// Issuer prefix and length plausibility.
fn card_issuer_ok(d: &[u8]) -> bool {
    let l = d.len();
    let p1 = prefix_num(d, 1);
    let p2 = prefix_num(d, 2);
    let p3 = prefix_num(d, 3);
    let p4 = prefix_num(d, 4);
    match p1 {
        4 => matches!(l, 13 | 16 | 19),
        5 => (51..=55).contains(&p2) && l == 16,
        2 => (2221..=2720).contains(&p4) && l == 16,
        3 => {
            (matches!(p2, 34 | 37) && l == 15)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&l))
                || (((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39))
                    && (14..=19).contains(&l))
        }
        6 => {
            (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) || p2 == 62)
                && (16..=19).contains(&l)
        }
        _ => false,
    }
}

fn looks_like_timestamp(d: &[u8]) -> bool {
    if d.len() < 8 {
        return false;
    }
    let y = prefix_num(d, 4);
    let m = prefix_num(&d[4..], 2);
    let day = prefix_num(&d[6..], 2);
    let date = (1900..=2099).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day);
    if !date {
        return false;
    }
    let mut rest = &d[8..];
    let limits = [23u32, 59, 59];
    let mut k = 0;
    while rest.len() >= 2 && k < 3 {
        if prefix_num(rest, 2) > limits[k] {
            return false;
        }
        rest = &rest[2..];
        k += 1;
    }
    rest.is_empty()
}

/// Japanese phone number shape, given the national digits and the group lengths.
fn phone_ok(nat: &[u8], glens: &[usize], plus: bool) -> bool {
    let l = nat.len();
    if !(l == 10 || l == 11) || nat[0] != b'0' || nat[1] == b'0' {
        return false;
    }
    let p3 = &nat[..3];
    let mobile = matches!(p3, b"070" | b"080" | b"090" | b"050" | b"020");
    let free11 = nat.starts_with(b"0800");
    if l == 11 && !(mobile || free11) {
        return false;
    }
    if l == 10 && mobile {
        return false;
    }
    if plus || glens.len() == 1 {
        return true;
    }
    if l == 11 {
        return (mobile && glens == [3, 4, 4]) || (free11 && glens == [4, 3, 4]);
    }
    if nat.starts_with(b"0120") || nat.starts_with(b"0570") || nat.starts_with(b"0990") {
        return matches!(glens, [4, 3, 3] | [4, 2, 4] | [4, 6]);
    }
    glens.len() == 3 && glens[2] == 4 && glens[0] + glens[1] == 6 && (2..=5).contains(&glens[0])
}

/// Characters after a number that make it a quantity, not an identifier.
fn is_unit_char(c: char) -> bool {
    matches!(
        c,
        '円' | '万'
            | '億'
            | '千'
            | '百'
            | '件'
            | '個'
            | '人'
            | '名'
            | '歳'
            | '年'
            | '月'
            | '日'
            | '時'
            | '分'
            | '秒'
            | '%'
            | '倍'
            | '回'
            | '枚'
            | '台'
            | '株'
            | '点'
            | '行'
            | '位'
            | '兆'
            | '本'
            | '通'
            | '冊'
            | '頁'
            | '部'
            | '社'
            | '者'
            | '㎡'
            | '度'
            | '週'
            | '期'
            | '条'
            | '項'
            | '款'
            | '編'
            | '章'
            | '節'
            | '歩'
    )
}

/// One candidate: groups `a..=b` of a cluster.
struct Cand<'c> {
    groups: &'c [(usize, usize)],
    seps: &'c [Sep],
    plus: bool,
    paren_open: bool,
}

impl Numbers {
    /// Builds the context tables.
    pub(crate) fn new() -> Result<Numbers, aho_corasick::BuildError> {
        let ctx = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(CTX_WORDS.iter().map(|(w, _)| *w))?;
        let prefs = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(PREFECTURES)?;
        Ok(Numbers { ctx, prefs })
    }

    /// The nearest context keyword ending at or before `pos`.
    fn nearest_ctx(&self, t: &str, pos: usize) -> Option<Ctx> {
        let from = floor_boundary(t, pos.saturating_sub(CTX_WINDOW));
        let win = t.get(from..pos)?;
        let b = t.as_bytes();
        self.ctx
            .find_iter(win)
            // A placeholder's label ([郵便番号_1]) is what masking left, not context.
            .filter(|m| {
                !(b.get((from + m.start()).wrapping_sub(1)) == Some(&b'[')
                    && b.get(from + m.end()) == Some(&b'_'))
            })
            // 〒 marks the number right after it only: once that one is masked
            // (〒[郵便番号_1] … 1234567) it must not reach the next number.
            .filter(|m| {
                CTX_WORDS[m.pattern().as_usize()].0 != "〒"
                    || b[from + m.end()..pos].iter().all(|&c| c == b' ')
            })
            // 登録番号 marks the first number after it only: a later one is not governed by
            // it, and masking that number ([法人番号_1]) must not change what the next means.
            .filter(|m| {
                CTX_WORDS[m.pattern().as_usize()].1 != Ctx::Registration
                    || !b[from + m.end()..pos]
                        .iter()
                        .any(|&c| c.is_ascii_digit() || c == b'[')
            })
            // An English keyword starts a word: "ref" in "pref.example.lg.jp", "tel" in
            // "hotel" and "lot" in "pilot" say nothing about the number.
            .filter(|m| {
                !(b[from + m.start()].is_ascii_alphabetic()
                    && (from + m.start())
                        .checked_sub(1)
                        .and_then(|i| b.get(i))
                        .is_some_and(u8::is_ascii_alphabetic))
            })
            .last()
            .map(|m| CTX_WORDS[m.pattern().as_usize()].1)
    }

    fn address_follows(&self, t: &str, pos: usize) -> bool {
        let end = ceil_boundary(t, (pos + 40).min(t.len()));
        let Some(rest) = t.get(pos..end) else {
            return false;
        };
        let rest = rest.trim_start();
        if let Some(m) = self.prefs.find(rest) {
            if m.start() == 0 {
                return true;
            }
        }
        // A municipality right after: up to 6 ideographs then 市/区/郡.
        for (n, c) in rest.chars().enumerate() {
            if n > 0 && matches!(c, '市' | '区' | '郡') {
                return true;
            }
            if n >= 6 || !super::names::is_han(c) {
                return false;
            }
        }
        false
    }

    /// Scans all digit clusters of `t`, appending findings.
    pub(crate) fn scan(&self, t: &str, out: &mut Vec<Raw>) {
        let b = t.as_bytes();
        let n = b.len();
        let mut i = 0;
        let mut groups: Vec<(usize, usize)> = Vec::with_capacity(8);
        let mut seps: Vec<Sep> = Vec::with_capacity(8);
        while i < n {
            match super::anchors::find_ascii_digit(&b[i..]) {
                Some(off) => i += off,
                None => break,
            }
            let s = i;
            // IPv4 first: dotted numbers are never clusters.
            if let Some(e) = self.try_ipv4(t, s, out) {
                i = e;
                continue;
            }
            groups.clear();
            seps.clear();
            let mut j = s;
            loop {
                let gs = j;
                while j < n && b[j].is_ascii_digit() {
                    j += 1;
                }
                groups.push((gs, j));
                if groups.len() >= MAX_GROUPS {
                    break;
                }
                let mut k = j;
                let (mut hy, mut nl, mut sp, mut par) = (0, 0, 0, 0);
                while k < n && k - j < 4 {
                    match b[k] {
                        b'-' => hy += 1,
                        b' ' | b'\t' => sp += 1,
                        b'\n' => nl += 1,
                        b'\r' => {}
                        b'(' | b')' => par += 1,
                        _ => break,
                    }
                    k += 1;
                }
                if k > j
                    && k < n
                    && b[k].is_ascii_digit()
                    && hy <= 1
                    && nl <= 1
                    && sp <= 2
                    && par <= 2
                    && k - j <= 3
                {
                    seps.push(Sep {
                        // A dash with spaces around it (1-6-1 － 1234…) is prose punctuation
                        // between two values, not a joiner inside one.
                        hyphen: hy > 0 && sp == 0,
                        paren: par > 0,
                        newline: nl > 0,
                        spaced: sp > 0,
                    });
                    j = k;
                    continue;
                }
                break;
            }
            i = j;
            if groups.len() >= MAX_GROUPS {
                // A capped cluster ends at its last plain gap, so the value cut by the cap
                // is read again whole as the start of the next cluster.
                if let Some(k) = seps.iter().rposition(|x| x.splittable() && !x.paren) {
                    i = groups[k + 1].0;
                    groups.truncate(k + 1);
                    seps.truncate(k);
                }
            }
            self.classify_cluster(t, &groups, &seps, out);
        }
    }

    fn try_ipv4(&self, t: &str, s: usize, out: &mut Vec<Raw>) -> Option<usize> {
        let b = t.as_bytes();
        let mut j = s;
        let mut octets = 0;
        loop {
            let os = j;
            while j < b.len() && b[j].is_ascii_digit() && j - os < 4 {
                j += 1;
            }
            let len = j - os;
            if len == 0 || len > 3 {
                return None;
            }
            let v = prefix_num(&b[os..j], 3);
            if v > 255 || (len > 1 && b[os] == b'0') {
                return None;
            }
            octets += 1;
            if octets == 4 {
                break;
            }
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                j += 1;
            } else {
                return None;
            }
        }
        // Boundaries: not part of a longer dotted or alphanumeric run.
        if j < b.len()
            && (is_word_byte(b[j])
                || (b[j] == b'.' && b.get(j + 1).is_some_and(u8::is_ascii_digit)))
        {
            return None;
        }
        if s > 0 && (is_word_byte(b[s - 1]) || b[s - 1] == b'.') {
            return None;
        }
        if self.nearest_ctx(t, s) == Some(Ctx::Version) {
            return Some(j);
        }
        // Four single digits (3.1.2.4) are outline or section numbers far more often than
        // hosts, and the hosts that look like that (1.1.1.1, 8.8.8.8) are public resolvers.
        if j - s == 7 {
            return Some(j);
        }
        out.push(Raw {
            kind: Kind::IpAddress,
            start: s,
            end: j,
        });
        Some(j)
    }

    fn classify_cluster(
        &self,
        t: &str,
        groups: &[(usize, usize)],
        seps: &[Sep],
        out: &mut Vec<Raw>,
    ) {
        let b = t.as_bytes();
        let s = groups[0].0;
        // Left boundary of the whole cluster; a bad one disqualifies only the first atom.
        let mut plus = false;
        let mut paren_open = false;
        let mut first_blocked = false;
        if s > 0 {
            let p = b[s - 1];
            let pp = if s > 1 { Some(b[s - 2]) } else { None };
            if placeholder_before(b, s) {
                first_blocked = true;
            } else if p.is_ascii_alphabetic() || p == b'_' {
                self.letters_prefixed(t, groups, out);
                first_blocked = true;
            }
            match p {
                b'.' | b',' | b':' | b'/' if pp.is_some_and(|x| x.is_ascii_digit()) => {
                    first_blocked = true
                }
                b'-' if pp.is_some_and(is_word_byte) => first_blocked = true,
                b'+' => plus = true,
                b'(' => paren_open = true,
                _ => {}
            }
            if matches!(prev_char(t, s), Some('¥' | '$' | '€' | '£' | '#' | '№')) {
                first_blocked = true;
            }
        }
        // Right boundary of the whole cluster.
        let right_ok = |end: usize| -> bool {
            match b.get(end) {
                None => true,
                Some(&c) if is_word_byte(c) => false,
                Some(&b'[') if placeholder_at(b, end) => false,
                Some(&(b'.' | b',' | b'/' | b':')) => {
                    !b.get(end + 1).is_some_and(u8::is_ascii_digit)
                }
                Some(&b'-') => !b.get(end + 1).is_some_and(|x| is_word_byte(*x)),
                Some(_) => !next_char(t, end).is_some_and(is_unit_char),
            }
        };
        let total: usize = groups.iter().map(|(a, b)| b - a).sum();
        if total < 7 {
            return;
        }
        // Atoms: maximal runs of groups joined by hyphens/parentheses.
        let mut atoms: Vec<(usize, usize)> = Vec::new();
        let mut a = 0;
        for (k, sep) in seps.iter().enumerate() {
            if sep.splittable() {
                atoms.push((a, k));
                a = k + 1;
            }
        }
        atoms.push((a, groups.len() - 1));
        let mut ai = usize::from(first_blocked);
        while ai < atoms.len() {
            let mut hit = false;
            for aj in (ai..atoms.len()).rev() {
                let (g0, g1) = (atoms[ai].0, atoms[aj].1);
                let end = groups[g1].1;
                if !(g1 + 1 < groups.len() || right_ok(end)) {
                    continue;
                }
                let cand = Cand {
                    groups: &groups[g0..=g1],
                    seps: &seps[g0..g1],
                    plus: plus && g0 == 0,
                    paren_open: paren_open && g0 == 0,
                };
                if let Some(r) = self.classify(t, &cand) {
                    out.push(r);
                    ai = aj + 1;
                    hit = true;
                    break;
                }
            }
            if !hit {
                ai += 1;
            }
        }
    }

    /// Passport (AA1234567) and residence card (AA12345678AA) numbers start with letters.
    fn letters_prefixed(&self, t: &str, groups: &[(usize, usize)], out: &mut Vec<Raw>) {
        let b = t.as_bytes();
        let (s, e) = groups[0];
        // An invoice registration number (適格請求書発行事業者登録番号) is T + the 法人番号.
        if e - s == 13
            && b[s - 1] == b'T'
            && (s < 2 || !is_word_byte(b[s - 2]))
            && !b.get(e).is_some_and(|&c| is_word_byte(c))
            && corporate_ok(&b[s..e])
        {
            out.push(Raw {
                kind: Kind::CorporateNumber,
                start: s,
                end: e,
            });
            return;
        }
        if s < 2 || !b[s - 1].is_ascii_uppercase() || !b[s - 2].is_ascii_uppercase() {
            return;
        }
        if s >= 3 && is_word_byte(b[s - 3]) {
            return;
        }
        let len = e - s;
        let ctx = self.nearest_ctx(t, s - 2);
        if matches!(ctx, Some(Ctx::Negative | Ctx::Registration)) {
            return;
        }
        if len == 7 && !b.get(e).is_some_and(|&c| is_word_byte(c)) {
            if ctx == Some(Ctx::Passport) || matches!(b[s - 2], b'T' | b'M') {
                out.push(Raw {
                    kind: Kind::Passport,
                    start: s - 2,
                    end: e,
                });
            }
        } else if len == 8
            && b.get(e).is_some_and(u8::is_ascii_uppercase)
            && b.get(e + 1).is_some_and(u8::is_ascii_uppercase)
            && !b.get(e + 2).is_some_and(|&c| is_word_byte(c))
        {
            out.push(Raw {
                kind: Kind::ResidenceCard,
                start: s - 2,
                end: e + 2,
            });
        }
    }

    fn classify(&self, t: &str, c: &Cand<'_>) -> Option<Raw> {
        let b = t.as_bytes();
        let start = c.groups[0].0;
        let end = c.groups[c.groups.len() - 1].1;
        // Cheap length test first: most digit runs (dates, counts) are too short to matter.
        let l: usize = c.groups.iter().map(|(gs, ge)| ge - gs).sum();
        if !((7..=19).contains(&l) || (c.plus && (11..=14).contains(&l))) {
            return None;
        }
        let mut digits: Vec<u8> = Vec::with_capacity(24);
        for &(gs, ge) in c.groups {
            digits.extend_from_slice(&b[gs..ge]);
        }
        let glens: Vec<usize> = c.groups.iter().map(|(gs, ge)| ge - gs).collect();
        let ctx = self.nearest_ctx(
            t,
            if c.plus || c.paren_open {
                start - 1
            } else {
                start
            },
        );
        if ctx == Some(Ctx::Negative) || (ctx == Some(Ctx::Registration) && l != 13) {
            return None;
        }
        let no_paren = c.seps.iter().all(|s| !s.paren);
        let raw = |kind| Some(Raw { kind, start, end });
        let all_same = digits.iter().all(|&d| d == digits[0]);

        // +81 numbers.
        if c.plus && digits.starts_with(b"81") {
            let mut nat = vec![b'0'];
            let skip_zero =
                c.groups.len() > 2 && glens[0] == 2 && glens[1] == 1 && digits[2] == b'0';
            let rest = if glens[0] == 2 {
                &digits[if skip_zero { 3 } else { 2 }..]
            } else {
                &digits[2..]
            };
            nat.extend_from_slice(rest);
            if phone_ok(&nat, &glens, true) {
                return Some(Raw {
                    kind: Kind::Phone,
                    start: start - 1,
                    end,
                });
            }
            return None;
        }
        if c.plus {
            return None;
        }
        match l {
            12 => {
                if ctx == Some(Ctx::License) {
                    return raw(Kind::DriversLicense);
                }
                let shape =
                    glens == [12] || glens == [4, 4, 4] || (glens.len() == 2 && c.seps[0].newline);
                if ctx == Some(Ctx::MyNumber) {
                    return if my_number_ok(&digits) && no_paren {
                        raw(Kind::MyNumber)
                    } else {
                        None
                    };
                }
                if shape
                    && no_paren
                    && my_number_ok(&digits)
                    && !all_same
                    && !looks_like_timestamp(&digits)
                {
                    return raw(Kind::MyNumber);
                }
                None
            }
            13 => {
                let shape = glens == [13] || glens == [1, 4, 4, 4] || glens == [1, 12];
                if ctx == Some(Ctx::Registration) {
                    return (shape && corporate_ok(&digits) && !all_same).then_some(Raw {
                        kind: Kind::CorporateNumber,
                        start,
                        end,
                    });
                }
                if shape && corporate_ok(&digits) && !all_same {
                    return raw(Kind::CorporateNumber);
                }
                if ctx == Some(Ctx::Card) && luhn_ok(&digits) && card_issuer_ok(&digits) {
                    return raw(Kind::CreditCard);
                }
                None
            }
            14..=19 => {
                let shape = glens.len() == 1
                    || (glens.len() <= 5 && glens.iter().all(|g| (3..=6).contains(g)));
                if shape
                    && no_paren
                    && luhn_ok(&digits)
                    && card_issuer_ok(&digits)
                    && !looks_like_timestamp(&digits)
                {
                    return raw(Kind::CreditCard);
                }
                None
            }
            10 | 11 => {
                if l == 10 && ctx == Some(Ctx::Pension) && (glens == [10] || glens == [4, 6]) {
                    return raw(Kind::PensionNumber);
                }
                if ctx == Some(Ctx::Insured) {
                    return (glens == [4, 6]).then_some(Raw {
                        kind: Kind::PensionNumber,
                        start,
                        end,
                    });
                }
                if digits[0] == b'0'
                    && phone_ok(&digits, &glens, false)
                    && (no_paren || glens.len() >= 2)
                {
                    if c.paren_open {
                        return Some(Raw {
                            kind: Kind::Phone,
                            start: start - 1,
                            end,
                        });
                    }
                    return raw(Kind::Phone);
                }
                None
            }
            8 => {
                // ゆうちょ銀行: 記号 (5 digits) and 番号 (8 digits).
                if glens == [8]
                    && ctx == Some(Ctx::Bank)
                    && !all_same
                    && !looks_like_timestamp(&digits)
                {
                    return raw(Kind::BankAccount);
                }
                None
            }
            7 => {
                // An account of one repeated digit (0000000) is a form's blank, not an account.
                if glens == [7] && ctx == Some(Ctx::Bank) && !all_same {
                    return raw(Kind::BankAccount);
                }
                if glens == [3, 4] || glens == [7] {
                    let before = t.get(..start).map(str::trim_end);
                    let marked = before.is_some_and(|s| s.ends_with('〒'));
                    let hyphen = glens == [3, 4] && c.seps.first().is_some_and(|s| s.hyphen);
                    if marked
                        || ctx == Some(Ctx::Postal)
                        || (hyphen && self.address_follows(t, end))
                    {
                        return raw(Kind::PostalCode);
                    }
                }
                None
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn kinds(t: &str) -> Vec<(Kind, String)> {
        let n = Numbers::new().unwrap();
        let mut out = Vec::new();
        n.scan(t, &mut out);
        out.iter()
            .map(|r| (r.kind, t[r.start..r.end].to_string()))
            .collect()
    }

    #[test]
    fn check_digits() {
        assert!(my_number_ok(b"123456789018"));
        assert!(!my_number_ok(b"123456789012"));
        assert!(corporate_ok(b"8700110005901"));
        assert!(luhn_ok(b"4111111111111111"));
    }

    #[test]
    fn my_number_glued_and_spaced() {
        assert_eq!(
            kinds("番号は123456789018です"),
            vec![(Kind::MyNumber, "123456789018".into())]
        );
        assert_eq!(
            kinds("1234 5678 9018"),
            vec![(Kind::MyNumber, "1234 5678 9018".into())]
        );
        assert!(kinds("123456789012").is_empty());
        assert!(kinds("91234567890189").is_empty());
    }

    #[test]
    fn a_value_in_brackets_after_digits_is_its_own_value() {
        // Found by scan_props: "hunter22 ( 123456789018" hid the My Number until the
        // password before it was masked.
        for t in [
            "No.22 (123456789018)",
            "22 ( 123456789018 )",
            "x2 (123456789018)",
        ] {
            assert_eq!(
                kinds(t),
                vec![(Kind::MyNumber, "123456789018".into())],
                "{t}"
            );
        }
        for t in ["(03) 1234-5678", "03 (3581) 1234"] {
            assert_eq!(kinds(t), vec![(Kind::Phone, t.into())], "{t}");
        }
    }

    #[test]
    fn a_placeholder_label_is_not_context() {
        // Found by scan_props: masking 〒100-8914 made the 7 digits after it a postal code.
        assert!(kinds("[郵便番号_1] [住所_1]  。0000000").is_empty());
        assert!(kinds("〒[郵便番号_1] [住所_1]  。0000000").is_empty());
        assert_eq!(
            kinds("郵便番号 1008914"),
            vec![(Kind::PostalCode, "1008914".into())]
        );
    }

    #[test]
    fn phones() {
        assert_eq!(kinds("電話は09012345678です")[0].0, Kind::Phone);
        assert_eq!(kinds("03-1234-5678")[0].0, Kind::Phone);
        assert_eq!(kinds("(03)1234-5678")[0].1, "(03)1234-5678");
        assert_eq!(kinds("+81-90-1234-5678")[0].1, "+81-90-1234-5678");
        assert!(kinds("2024-12-31").is_empty());
        assert!(kinds("注文番号 0312345678").is_empty());
    }

    #[test]
    fn cards_and_amounts() {
        assert_eq!(kinds("4111-1111-1111-1111")[0].0, Kind::CreditCard);
        assert!(kinds("1,234,567円").is_empty());
        assert!(kinds("口座番号 1234567円").is_empty());
        assert_eq!(kinds("普通 1234567")[0].0, Kind::BankAccount);
        assert!(kinds("普通 0000000").is_empty());
    }

    #[test]
    fn ip_and_versions() {
        assert_eq!(kinds("host 192.168.1.10")[0].0, Kind::IpAddress);
        assert!(kinds("version 1.2.3.4").is_empty());
        assert!(kinds("999.1.1.1").is_empty());
        assert!(kinds("図表 3.1.2.4").is_empty());
        assert_eq!(
            kinds("ゆうちょ銀行 記号12345 番号12345678")[0].0,
            Kind::BankAccount
        );
    }
}
