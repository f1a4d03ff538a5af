//! Reading: lookup, search, export and stats.
//!
//! Every read walks an iterator and never collects the whole store. A search
//! drives iteration from the most selective equality filter's index (posting
//! lists under `x` + tag + value + first seq, so a value's lists are already in
//! seq order) or, without one, from the records themselves; the remaining filters (time range, free
//! text, other fields) are checked on each candidate. Newest first means
//! highest sequence number first; the cursor is the last returned seq.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::layout::{self, Entry};
use super::record::{AuditRecord, StoredRecord, Verdict};
use super::{AuditStore, Shared, StoreError};

/// Most records one search page returns.
pub const MAX_PAGE: usize = 1000;

/// Search / export / stats filter. All given fields must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// Exact user.
    pub user: Option<String>,
    /// Exact department.
    pub department: Option<String>,
    /// Exact use plan.
    pub plan: Option<String>,
    /// Exact model.
    pub model: Option<String>,
    /// Verdict.
    pub verdict: Option<Verdict>,
    /// A finding of this detector type is present.
    pub detector: Option<String>,
    /// Record time >= from (inclusive).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub from: Option<OffsetDateTime>,
    /// Record time < to (exclusive).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub to: Option<OffsetDateTime>,
    /// Case-insensitive substring of the prompt or the output.
    pub text: Option<String>,
}

impl Filter {
    /// Whether a record matches (with the text needle already lowercased).
    fn matches(&self, r: &AuditRecord, needle: Option<&str>) -> bool {
        fn eq(want: &Option<String>, have: &str) -> bool {
            want.as_deref().is_none_or(|w| w == have)
        }
        eq(&self.user, &r.user)
            && eq(&self.department, &r.department)
            && eq(&self.model, &r.model)
            && self
                .plan
                .as_deref()
                .is_none_or(|p| r.plan.as_deref() == Some(p))
            && self.verdict.is_none_or(|v| v == r.verdict)
            && self
                .detector
                .as_deref()
                .is_none_or(|d| r.findings.iter().any(|f| f.kind == d))
            && self.from.is_none_or(|f| r.time >= f)
            && self.to.is_none_or(|t| r.time < t)
            && needle.is_none_or(|n| {
                let hit =
                    |s: &Option<String>| s.as_deref().is_some_and(|s| s.to_lowercase().contains(n));
                hit(&r.prompt) || hit(&r.output)
            })
    }

    /// The index that drives iteration, most selective first.
    fn driver(&self) -> Option<(u8, String)> {
        let v = self.verdict.map(|v| v.as_str().to_string());
        let order = [
            (layout::T_USER, &self.user),
            (layout::T_PLAN, &self.plan),
            (layout::T_TYPE, &self.detector),
            (layout::T_DEPT, &self.department),
            (layout::T_MODEL, &self.model),
            (layout::T_VERDICT, &v),
        ];
        let found = order
            .into_iter()
            .find_map(|(t, v)| v.as_ref().map(|v| (t, v.clone())));
        found
    }
}

/// One page of search results, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The records.
    pub records: Vec<StoredRecord>,
    /// Pass to the next call to continue; `None` when this page was not full.
    pub next_cursor: Option<String>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON object per line (a [`StoredRecord`]).
    Jsonl,
    /// CSV with a header row; cells starting with = + - @ are prefixed with ' (formula injection).
    Csv,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jsonl" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            o => Err(format!("unknown export format {o:?} (jsonl, csv)")),
        }
    }
}

/// Token totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenTotals {
    /// Sum of prompt tokens.
    pub prompt: u64,
    /// Sum of completion tokens.
    pub completion: u64,
    /// Sum of total tokens.
    pub total: u64,
}

/// Feedback summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackSummary {
    /// Records with feedback.
    pub total: u64,
    /// Counts by rating label ("good", "bad", "1".."5").
    pub by_rating: BTreeMap<String, u64>,
    /// Negative ratings ("bad", 1 or 2).
    pub bad: u64,
    /// bad / total (0 when no feedback).
    pub bad_share: f64,
}

/// Aggregates over the records matching a filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Matching records.
    pub total: u64,
    /// Records by verdict.
    pub by_verdict: BTreeMap<String, u64>,
    /// Records with at least one finding of each detector type.
    pub by_detector: BTreeMap<String, u64>,
    /// Sum of finding counts per detector type.
    pub findings_by_detector: BTreeMap<String, u64>,
    /// Records by department.
    pub by_department: BTreeMap<String, u64>,
    /// Records by model.
    pub by_model: BTreeMap<String, u64>,
    /// Records by day (YYYY-MM-DD at the store's stats offset).
    pub by_day: BTreeMap<String, u64>,
    /// Records by day, split by verdict.
    #[serde(default)]
    pub by_day_verdict: BTreeMap<String, BTreeMap<String, u64>>,
    /// Total tokens by department.
    #[serde(default)]
    pub tokens_by_department: BTreeMap<String, u64>,
    /// Token usage totals.
    pub tokens: TokenTotals,
    /// Feedback summary.
    pub feedback: FeedbackSummary,
}

/// Decodes a stored entry into a [`StoredRecord`] (feedback not filled).
pub(crate) fn decode_stored(v: &[u8]) -> Result<StoredRecord, StoreError> {
    let e = layout::decode_entry(v)?;
    stored_from_entry(&e)
}

fn stored_from_entry(e: &Entry<'_>) -> Result<StoredRecord, StoreError> {
    let record: AuditRecord = serde_json::from_slice(e.canonical)
        .map_err(|err| StoreError::Corrupt(format!("record {}: {err}", e.seq)))?;
    Ok(StoredRecord {
        seq: e.seq,
        prev_hash: hex::encode(e.prev),
        hash: hex::encode(e.hash),
        record,
        feedback: None,
    })
}

/// Where candidates come from.
enum Source {
    /// Walk seqs with point lookups (records are dense between anchor and head).
    /// Point lookups keep sled's page cache bounded; a sled range scan over
    /// record values keeps every page it touched resident (sled 0.34).
    Seq { next: u64, end: u64, done: bool },
    /// Walk an index's posting lists (small values) and look each record up.
    Index(Box<IndexWalk>),
}

/// Seqs of one (tag, value) in [lo, hi), from its posting lists, in the walk's order.
struct IndexWalk {
    iter: sled::Iter,
    /// The current list, arranged so that `pop` yields the next seq in walk order.
    pending: Vec<u64>,
    lo: u64,
    hi: u64,
}

impl IndexWalk {
    fn next_seq(&mut self, desc: bool) -> Option<Result<u64, StoreError>> {
        loop {
            if let Some(seq) = self.pending.pop() {
                if (self.lo..self.hi).contains(&seq) {
                    return Some(Ok(seq));
                }
                continue;
            }
            let kv = if desc {
                self.iter.next_back()
            } else {
                self.iter.next()
            }?;
            let list = match kv {
                Ok((_, v)) => layout::decode_postings(&v),
                Err(e) => Err(e.into()),
            };
            match list {
                Ok(mut seqs) => {
                    if !desc {
                        seqs.reverse();
                    }
                    self.pending = seqs;
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Iterates matching records in seq order (ascending or descending) within [lo, hi).
struct Matches<'a> {
    shared: &'a Shared,
    source: Source,
    desc: bool,
    filter: &'a Filter,
    needle: Option<String>,
    /// Record reader (a block holds up to [`layout::MAX_BLOCK`] records).
    cursor: layout::Cursor,
}

impl<'a> Matches<'a> {
    fn new(
        shared: &'a Shared,
        filter: &'a Filter,
        lo: u64,
        hi: u64,
        desc: bool,
    ) -> Result<Self, StoreError> {
        let needle = filter.text.as_ref().map(|t| t.to_lowercase());
        let driver = filter
            .driver()
            .and_then(|(tag, v)| layout::index_prefix(tag, &v));
        let source = match driver {
            Some(prefix) => {
                // A list that starts before `lo` may still hold later seqs, so the key range
                // starts at the value's first list; it ends at the lists starting before `hi`.
                let a = layout::posting_key(&prefix, 0);
                let b = layout::posting_key(&prefix, hi);
                Source::Index(Box::new(IndexWalk {
                    iter: shared.tree.range(a..b),
                    pending: Vec::new(),
                    lo,
                    hi,
                }))
            }
            None => {
                let (first, last) = shared.chain_bounds()?;
                let lo = lo.max(first);
                let hi = hi.saturating_sub(1).min(last);
                if lo > hi {
                    Source::Seq {
                        next: 0,
                        end: 0,
                        done: true,
                    }
                } else if desc {
                    Source::Seq {
                        next: hi,
                        end: lo,
                        done: false,
                    }
                } else {
                    Source::Seq {
                        next: lo,
                        end: hi,
                        done: false,
                    }
                }
            }
        };
        Ok(Matches {
            shared,
            source,
            desc,
            filter,
            needle,
            cursor: layout::Cursor::default(),
        })
    }

    /// Next candidate record, or None at the end.
    fn next_entry(&mut self) -> Option<Result<StoredRecord, StoreError>> {
        loop {
            let seq = match &mut self.source {
                Source::Seq { next, end, done } => {
                    if *done {
                        return None;
                    }
                    let seq = *next;
                    if seq == *end {
                        *done = true;
                    } else if self.desc {
                        *next -= 1;
                    } else {
                        *next += 1;
                    }
                    seq
                }
                Source::Index(walk) => match walk.next_seq(self.desc)? {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e)),
                },
            };
            match self.cursor.entry(&self.shared.tree, seq) {
                Ok(Some(entry)) => return Some(decode_stored(entry)),
                Ok(None) => continue, // purged meanwhile (verify reports real gaps)
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl Iterator for Matches<'_> {
    type Item = Result<StoredRecord, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let stored = match self.next_entry()? {
                Ok(s) => s,
                Err(e) => return Some(Err(e)),
            };
            if self.filter.matches(&stored.record, self.needle.as_deref()) {
                return Some(Ok(stored));
            }
        }
    }
}

fn with_feedback(store: &AuditStore, mut s: StoredRecord) -> Result<StoredRecord, StoreError> {
    s.feedback = store.get_feedback(&s.record.id)?;
    Ok(s)
}

const CSV_HEADER: [&str; 28] = [
    "seq",
    "id",
    "time",
    "user",
    "department",
    "plan",
    "route",
    "model",
    "provider",
    "upstream_status",
    "status",
    "latency_ms",
    "upstream_ms",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "verdict",
    "findings",
    "notice_applied",
    "stream",
    "client_ip",
    "user_agent",
    "prompt",
    "output",
    "feedback_rating",
    "feedback_comment",
    "feedback_categories",
    "hash",
];

/// UTF-8 byte order mark. Excel opens a CSV as UTF-8 only when the file starts with it
/// (otherwise it assumes the local code page, Shift_JIS in Japan, and garbles the text).
pub const UTF8_BOM: &str = "\u{FEFF}";

/// A CSV cell made safe for spreadsheets: a leading = + - @ tab or CR is prefixed with '.
pub fn csv_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn csv_row(s: &StoredRecord) -> Result<Vec<String>, StoreError> {
    let r = &s.record;
    let opt = |o: &Option<String>| o.as_deref().map(csv_cell).unwrap_or_default();
    let num = |o: Option<u64>| o.map(|n| n.to_string()).unwrap_or_default();
    let time = r
        .time
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Export(e.to_string()))?;
    let findings = r
        .findings
        .iter()
        .map(|f| format!("{}:{}:{}:{}", f.kind, f.count, f.action, f.direction))
        .collect::<Vec<_>>()
        .join(";");
    let fb = s.feedback.as_ref();
    Ok(vec![
        s.seq.to_string(),
        csv_cell(&r.id),
        time,
        csv_cell(&r.user),
        csv_cell(&r.department),
        opt(&r.plan),
        csv_cell(&r.route),
        csv_cell(&r.model),
        csv_cell(&r.provider),
        num(r.upstream_status.map(u64::from)),
        num(r.status.map(u64::from)),
        r.latency_ms.to_string(),
        r.upstream_ms.map(|m| m.to_string()).unwrap_or_default(),
        num(r.usage.map(|u| u.prompt_tokens)),
        num(r.usage.map(|u| u.completion_tokens)),
        num(r.usage.map(|u| u.total_tokens)),
        r.verdict.as_str().to_string(),
        csv_cell(&findings),
        r.notice_applied.to_string(),
        r.stream.to_string(),
        opt(&r.client_ip),
        opt(&r.user_agent),
        opt(&r.prompt),
        opt(&r.output),
        fb.map(|f| f.rating.label()).unwrap_or_default(),
        fb.and_then(|f| f.comment.as_deref())
            .map(csv_cell)
            .unwrap_or_default(),
        fb.map(|f| csv_cell(&f.categories.join(";")))
            .unwrap_or_default(),
        s.hash.clone(),
    ])
}

impl AuditStore {
    /// One page of matching records, newest first; `cursor` is a previous page's `next_cursor`.
    pub fn search(
        &self,
        filter: &Filter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let hi = match cursor {
            None => u64::MAX,
            Some(c) => c
                .parse::<u64>()
                .map_err(|_| StoreError::Invalid(format!("bad cursor {c:?}")))?,
        };
        let mut records = Vec::with_capacity(limit.min(64));
        for s in Matches::new(&self.shared, filter, 0, hi, true)?.take(limit) {
            records.push(with_feedback(self, s?)?);
        }
        let next_cursor = if records.len() == limit {
            records.last().map(|r| r.seq.to_string())
        } else {
            None
        };
        Ok(Page {
            records,
            next_cursor,
        })
    }

    /// Streams every matching record, oldest first, to `out`; returns how many were written.
    pub fn export(
        &self,
        filter: &Filter,
        format: ExportFormat,
        out: &mut impl Write,
    ) -> Result<u64, StoreError> {
        let mut n = 0u64;
        let io = |e: std::io::Error| StoreError::Export(e.to_string());
        match format {
            ExportFormat::Jsonl => {
                for s in Matches::new(&self.shared, filter, 0, u64::MAX, false)? {
                    let s = with_feedback(self, s?)?;
                    serde_json::to_writer(&mut *out, &s)
                        .map_err(|e| StoreError::Export(e.to_string()))?;
                    out.write_all(b"\n").map_err(io)?;
                    n += 1;
                }
                out.flush().map_err(io)?;
            }
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(&mut *out);
                let cerr = |e: csv::Error| StoreError::Export(e.to_string());
                w.write_record(CSV_HEADER).map_err(cerr)?;
                for s in Matches::new(&self.shared, filter, 0, u64::MAX, false)? {
                    let s = with_feedback(self, s?)?;
                    w.write_record(csv_row(&s)?).map_err(cerr)?;
                    n += 1;
                }
                w.flush().map_err(io)?;
            }
        }
        Ok(n)
    }

    /// Calls `f` on every matching record (with its feedback), oldest first;
    /// returns how many matched. Memory stays bounded: one record at a time.
    pub fn for_each(
        &self,
        filter: &Filter,
        mut f: impl FnMut(&StoredRecord) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut n = 0u64;
        for s in Matches::new(&self.shared, filter, 0, u64::MAX, false)? {
            f(&with_feedback(self, s?)?)?;
            n += 1;
        }
        Ok(n)
    }

    /// Aggregates over matching records (one pass, memory bounded by the number of distinct keys).
    pub fn stats(&self, filter: &Filter) -> Result<Stats, StoreError> {
        let mut st = Stats::default();
        let off = self.shared.cfg.stats_utc_offset;
        let day_fmt = time::macros::format_description!("[year]-[month]-[day]");
        for s in Matches::new(&self.shared, filter, 0, u64::MAX, false)? {
            let s = s?;
            let r = &s.record;
            st.total += 1;
            *st.by_verdict.entry(r.verdict.as_str().into()).or_default() += 1;
            *st.by_department.entry(r.department.clone()).or_default() += 1;
            *st.by_model.entry(r.model.clone()).or_default() += 1;
            let day = r
                .time
                .to_offset(off)
                .format(&day_fmt)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            *st.by_day_verdict
                .entry(day.clone())
                .or_default()
                .entry(r.verdict.as_str().into())
                .or_default() += 1;
            *st.by_day.entry(day).or_default() += 1;
            let mut seen: Vec<&str> = Vec::new();
            for f in &r.findings {
                *st.findings_by_detector.entry(f.kind.clone()).or_default() += u64::from(f.count);
                if !seen.contains(&f.kind.as_str()) {
                    seen.push(&f.kind);
                    *st.by_detector.entry(f.kind.clone()).or_default() += 1;
                }
            }
            if let Some(u) = r.usage {
                *st.tokens_by_department
                    .entry(r.department.clone())
                    .or_default() += u.total_tokens;
                st.tokens.prompt += u.prompt_tokens;
                st.tokens.completion += u.completion_tokens;
                st.tokens.total += u.total_tokens;
            }
            if let Some(fb) = self.get_feedback(&r.id)? {
                st.feedback.total += 1;
                *st.feedback.by_rating.entry(fb.rating.label()).or_default() += 1;
                if fb.rating.is_bad() {
                    st.feedback.bad += 1;
                }
            }
        }
        if st.feedback.total > 0 {
            st.feedback.bad_share = st.feedback.bad as f64 / st.feedback.total as f64;
        }
        Ok(st)
    }
}
