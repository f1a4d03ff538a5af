//! One scan of one bench input, for instruction counts under valgrind (repeatable on a busy
//! machine, unlike wall-clock time).
//!
//! `scan_instr INPUT SIZE [REPS]` with INPUT `japanese`, `english`, `japanese_1kb` or
//! `english_1kb`; run it as
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*scan_instr::measure*' target/release/deps/scan_instr-*`
//! so that policy loading, engine construction and input generation are not counted.
//! `scan_instr digest` prints a hash of the findings for every bench input instead, to check
//! that a speed change leaves the results identical.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;

use mamori::scan::{Finding, Policy};

mod scan_input;
use scan_input::{gen, prompt, EN, JA};

fn input(name: &str, size: usize) -> String {
    match name {
        "japanese" => gen(JA, size, 7),
        "english" => gen(EN, size, 7),
        "japanese_1kb" => prompt(JA, 1024, 11),
        "english_1kb" => prompt(EN, 1024, 11),
        _ => panic!("unknown input {name}"),
    }
}

#[inline(never)]
fn measure(policy: &Policy, text: &str, reps: usize) -> usize {
    let mut n = 0;
    for _ in 0..reps {
        n += black_box(policy.scan(black_box(text))).len();
    }
    n
}

fn digest(fs: &[Finding]) -> u64 {
    // FNV-1a over (type, start, end): any change in what is found shows.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in fs {
        for b in f
            .type_name()
            .bytes()
            .chain(f.start.to_le_bytes())
            .chain(f.end.to_le_bytes())
        {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn main() {
    // `cargo bench` passes `--bench`; only the positional arguments matter here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let policy = Policy::from_file(Path::new("policies/default.toml")).unwrap();
    if args.first().map(String::as_str) == Some("digest") {
        for name in ["japanese", "english"] {
            for size in [64 * 1024, 256 * 1024, 1024 * 1024] {
                let t = input(name, size);
                let f = policy.scan(&t);
                println!("{name:<13} {size:>8} {:>6} {:016x}", f.len(), digest(&f));
            }
        }
        for name in ["japanese_1kb", "english_1kb"] {
            let t = input(name, 1024);
            let f = policy.scan(&t);
            println!(
                "{name:<13} {:>8} {:>6} {:016x}",
                t.len(),
                f.len(),
                digest(&f)
            );
        }
        return;
    }
    let name = args.first().map_or("japanese", String::as_str);
    let size = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(65536);
    let reps = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let text = input(name, size);
    // Warm up: builds the engine and any lazily compiled regex state outside the measurement.
    let _ = policy.scan(&text);
    let t0 = std::time::Instant::now();
    let n = measure(&policy, &text, reps);
    let per = t0.elapsed().as_secs_f64() / reps.max(1) as f64;
    println!(
        "{name} {} bytes, {reps} reps, {n} findings, {:.1} µs/scan, {:.0} MiB/s (wall clock)",
        text.len(),
        per * 1e6,
        text.len() as f64 / per / 1048576.0
    );
}
