//! The writer task: drains the bounded queue, chains and writes batches.
//! It is the only code that assigns sequence numbers, so the chain needs no lock.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::layout::{self, Hash, GENESIS};
use super::{AppendReceipt, Durability, Job, Shared, StoreError};

/// Back-off bounds while the store is unhealthy.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Attempts to write what is left on shutdown before giving up (and logging the loss).
const SHUTDOWN_ATTEMPTS: u32 = 5;

/// Reads where the chain continues: (next seq, hash of the last record).
pub(crate) fn load_chain_tail(tree: &sled::Tree) -> Result<(u64, Hash), StoreError> {
    let head = tree
        .get(layout::K_HEAD)?
        .map(|v| layout::decode_point(&v))
        .transpose()?;
    let anchor = tree
        .get(layout::K_ANCHOR)?
        .map(|v| layout::decode_point(&v))
        .transpose()?;
    let last_key = match tree
        .scan_prefix([layout::P_RECORD])
        .next_back()
        .transpose()?
    {
        Some((k, v)) => {
            let held = layout::entry_ranges(&v)?.len() as u64;
            layout::seq_from_record_key(&k).map(|first| first + held.saturating_sub(1))
        }
        None => None,
    };
    let (seq, hash) = match (head, anchor) {
        (Some(h), _) => h,
        (None, Some(a)) => a,
        (None, None) => (0, GENESIS),
    };
    if let Some(last) = last_key {
        if last > seq {
            return Err(StoreError::Corrupt(format!(
                "record {last} lies beyond the chain head {seq}; run `mamori logs verify`"
            )));
        }
    }
    Ok((seq + 1, hash))
}

/// The writer half returned by [`super::AuditStore::open`]; spawn [`AuditWriter::run`].
pub struct AuditWriter {
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Job>,
    next_seq: u64,
    last_hash: Hash,
}

/// Outcome of one batch write.
struct Written {
    /// (seq, hash) per job, in order.
    points: Vec<(u64, Hash)>,
}

impl AuditWriter {
    pub(crate) fn new(
        shared: Arc<Shared>,
        rx: mpsc::Receiver<Job>,
        next_seq: u64,
        last_hash: Hash,
    ) -> Self {
        AuditWriter {
            shared,
            rx,
            next_seq,
            last_hash,
        }
    }

    /// Runs until `shutdown` resolves (or every store handle is dropped), then drains
    /// everything already queued, writes it and returns.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut stopping = false;
        let mut pending: Vec<Job> = Vec::new();
        let mut backoff = BACKOFF_MIN;
        let max_batch = self.shared.cfg.max_batch.max(1);
        while !stopping {
            if pending.is_empty() {
                let unhealthy = !self.shared.is_healthy();
                tokio::select! {
                    biased;
                    _ = &mut shutdown => { stopping = true; }
                    job = self.rx.recv() => match job {
                        Some(j) => pending.push(j),
                        None => stopping = true,
                    },
                    _ = tokio::time::sleep(backoff), if unhealthy => {
                        self.probe().await;
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                        continue;
                    }
                }
                if stopping {
                    break;
                }
            }
            match self.shared.cfg.durability {
                Durability::Strict => {
                    while pending.len() < max_batch {
                        match self.rx.try_recv() {
                            Ok(j) => pending.push(j),
                            Err(_) => break,
                        }
                    }
                }
                Durability::Batched { max_delay_ms } => {
                    let deadline = Instant::now() + Duration::from_millis(max_delay_ms);
                    while pending.len() < max_batch {
                        tokio::select! {
                            biased;
                            _ = &mut shutdown, if !stopping => { stopping = true; break; }
                            r = tokio::time::timeout_at(deadline, self.rx.recv()) => match r {
                                Ok(Some(j)) => pending.push(j),
                                Ok(None) | Err(_) => break,
                            }
                        }
                    }
                }
            }
            let batch = std::mem::take(&mut pending);
            if let Some(back) = self.write(batch).await {
                // Batched mode: the records were accepted; keep them and retry.
                pending = back;
                if !stopping {
                    tokio::select! {
                        biased;
                        _ = &mut shutdown => { stopping = true; }
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            } else {
                backoff = BACKOFF_MIN;
            }
        }
        self.drain(pending).await;
    }

    /// Shutdown: stop accepting, write everything queued.
    async fn drain(&mut self, mut pending: Vec<Job>) {
        self.rx.close();
        let max_batch = self.shared.cfg.max_batch.max(1);
        let mut attempts = 0u32;
        loop {
            while pending.len() < max_batch {
                match self.rx.try_recv() {
                    Ok(j) => pending.push(j),
                    Err(_) => break,
                }
            }
            if pending.is_empty() {
                break;
            }
            match self.write(std::mem::take(&mut pending)).await {
                None => attempts = 0,
                Some(back) => {
                    attempts += 1;
                    if attempts >= SHUTDOWN_ATTEMPTS {
                        let mut lost = back.len();
                        while self.rx.try_recv().is_ok() {
                            lost += 1;
                        }
                        tracing::error!(
                            lost,
                            "audit store still failing at shutdown: {lost} accepted (batched) records were NOT written"
                        );
                        break;
                    }
                    pending = back;
                    tokio::time::sleep(BACKOFF_MIN * attempts).await;
                }
            }
        }
        if let Err(e) = self.shared.db.flush_async().await {
            tracing::error!(error = %e, "final audit store flush failed");
        }
    }

    /// Writes a batch. Strict-mode callers are answered here. Returns the jobs back when the
    /// batch failed before being applied and nobody was answered (batched mode), for retry.
    async fn write(&mut self, jobs: Vec<Job>) -> Option<Vec<Job>> {
        let shared = self.shared.clone();
        let (next_seq, last_hash) = (self.next_seq, self.last_hash);
        let joined = tokio::task::spawn_blocking(move || {
            let r = write_batch(&shared, &jobs, next_seq, last_hash);
            (jobs, r)
        })
        .await;
        let (jobs, result) = match joined {
            Ok(x) => x,
            Err(e) => {
                // The blocking task panicked or was cancelled; its jobs (and reply channels) are
                // gone, so strict callers see `Closed`. Re-read the tail to stay consistent.
                let err = StoreError::Db(format!("writer task failed: {e}"));
                self.shared.note_failure(&err);
                if let Ok((s, h)) = load_chain_tail(&self.shared.tree) {
                    self.next_seq = s;
                    self.last_hash = h;
                }
                return None;
            }
        };
        match result {
            BatchResult::Flushed(w) => {
                self.advance(&w);
                self.shared.note_success();
                for (job, (seq, hash)) in jobs.into_iter().zip(w.points) {
                    if let Some(reply) = job.reply {
                        let _ = reply.send(Ok(AppendReceipt {
                            id: job.rec.id,
                            seq: Some(seq),
                            hash: Some(hex::encode(hash)),
                            durable: true,
                        }));
                    }
                }
                None
            }
            BatchResult::AppliedNotFlushed(w, e) => {
                // In sled's memory (and the chain) but not known durable: strict callers fail
                // closed; batched records stay applied and the next flush or probe persists them.
                self.advance(&w);
                self.shared.note_failure(&e);
                answer_all(jobs, &e);
                None
            }
            BatchResult::NotApplied(e) => {
                self.shared.note_failure(&e);
                // Waiting callers learn of the failure (strict ones fail closed); records
                // of batched appends and released answers are kept and retried.
                let mut kept = Vec::new();
                for mut job in jobs {
                    if let Some(reply) = job.reply.take() {
                        let _ = reply.send(Err(StoreError::Db(e.to_string())));
                    }
                    if job.retry {
                        kept.push(job);
                    }
                }
                (!kept.is_empty()).then_some(kept)
            }
        }
    }

    fn advance(&mut self, w: &Written) {
        if let Some(&(seq, hash)) = w.points.last() {
            self.next_seq = seq + 1;
            self.last_hash = hash;
        }
    }

    /// While unhealthy: try a flush so health can recover without traffic.
    async fn probe(&self) {
        let shared = self.shared.clone();
        let r = tokio::task::spawn_blocking(move || {
            shared.check_fault()?;
            shared.db.flush()?;
            Ok::<(), StoreError>(())
        })
        .await
        .unwrap_or_else(|e| Err(StoreError::Db(format!("probe task failed: {e}"))));
        match r {
            Ok(()) => self.shared.note_success(),
            Err(e) => self.shared.note_failure(&e),
        }
    }
}

fn answer_all(jobs: Vec<Job>, e: &StoreError) {
    for job in jobs {
        if let Some(reply) = job.reply {
            let _ = reply.send(Err(StoreError::Db(e.to_string())));
        }
    }
}

enum BatchResult {
    Flushed(Written),
    AppliedNotFlushed(Written, StoreError),
    NotApplied(StoreError),
}

/// Chains and applies one batch atomically, then flushes. Blocking.
fn write_batch(shared: &Shared, jobs: &[Job], next_seq: u64, last_hash: Hash) -> BatchResult {
    if let Err(e) = shared.check_fault() {
        return BatchResult::NotApplied(e);
    }
    let mut batch = sled::Batch::default();
    let mut points = Vec::with_capacity(jobs.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(jobs.len());
    let mut prev = last_hash;
    let mut postings = layout::Postings::default();
    for (first, block) in (next_seq..)
        .step_by(layout::MAX_BLOCK)
        .zip(jobs.chunks(layout::MAX_BLOCK))
    {
        let mut entries = Vec::with_capacity(block.len());
        for (seq, job) in (first..).zip(block) {
            let hash = layout::chain_hash(&prev, seq, &job.canonical);
            entries.push(layout::encode_entry(seq, &prev, &hash, &job.canonical));
            points.push((seq, hash));
            prev = hash;
        }
        match layout::encode_records(entries) {
            Ok(v) => batch.insert(&layout::record_key(first)[..], v),
            Err(e) => return BatchResult::NotApplied(e),
        }
    }
    for (seq, job) in (next_seq..).zip(jobs) {
        let idk = layout::id_key(&job.rec.id);
        let exists = match shared.tree.contains_key(&idk) {
            Ok(b) => b,
            Err(e) => return BatchResult::NotApplied(e.into()),
        };
        if seen.insert(job.rec.id.as_str()) && !exists {
            batch.insert(idk, &seq.to_be_bytes()[..]);
        } else {
            tracing::warn!(id = %job.rec.id, seq, "duplicate audit record id: stored in the chain, id lookup keeps the first");
        }
        postings.add(&job.rec, seq);
    }
    for (k, v) in postings.into_entries() {
        batch.insert(k, v);
    }
    if let Some(&(s, h)) = points.last() {
        batch.insert(layout::K_HEAD, &layout::encode_point(s, &h)[..]);
    }
    if let Err(e) = shared.tree.apply_batch(batch) {
        return BatchResult::NotApplied(e.into());
    }
    let w = Written { points };
    match shared.db.flush() {
        Ok(_) => BatchResult::Flushed(w),
        Err(e) => BatchResult::AppliedNotFlushed(w, e.into()),
    }
}

/// Test hook: writes one batch synchronously and returns its chain points.
#[cfg(test)]
pub(crate) fn write_batch_for_test(
    shared: &Shared,
    jobs: &[Job],
    next_seq: u64,
    last_hash: Hash,
) -> Vec<(u64, Hash)> {
    match write_batch(shared, jobs, next_seq, last_hash) {
        BatchResult::Flushed(w) => w.points,
        _ => Vec::new(),
    }
}
