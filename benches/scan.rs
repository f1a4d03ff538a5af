//! Scanner throughput with the default policy, normalisation included.
//!
//! Inputs are generated deterministically: Japanese business prose (full-width punctuation
//! and digits, dates, amounts, names with honorifics, addresses, the odd phone number and
//! e-mail) and English prose with a similar density of identifiers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mamori::scan::Policy;

mod scan_input;
use scan_input::{gen, prompt, EN, JA};

fn bench(c: &mut Criterion) {
    let policy = Policy::from_file(Path::new("policies/default.toml")).unwrap();
    let mut g = c.benchmark_group("scan");
    g.measurement_time(Duration::from_secs(4))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1));
    for (name, parts) in [("japanese", JA), ("english", EN)] {
        for size in [64 * 1024, 256 * 1024, 1024 * 1024] {
            let text = gen(parts, size, 7);
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_with_input(BenchmarkId::new(name, size), &text, |b, t| {
                b.iter(|| black_box(policy.scan(black_box(t))))
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("prompt");
    g.measurement_time(Duration::from_secs(3)).sample_size(50);
    for (name, parts) in [("japanese_1kb", JA), ("english_1kb", EN)] {
        let text = prompt(parts, 1024, 11);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(policy.scan(black_box(&text))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
