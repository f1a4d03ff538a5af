//! What the stream stamper and output filter add to a 200-chunk chat stream,
//! in process: each upstream event goes through `StreamStamper::on_event`
//! (parse, scan with the default policy, mask/restore, re-serialise), against
//! a pass-through baseline that only hands the same events on.
//! See benches/README-stream.md for measured figures.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use mamori::config::NoticePosition;
use mamori::pipeline::stamp::{Notice, OutputFilter, SseEvent, StreamStamper};
use mamori::providers::Operation;
use mamori::scan::Policy;
use serde_json::json;

const CHUNKS: usize = 200;

fn events() -> Vec<SseEvent> {
    // Token-sized pieces of a Japanese answer, with a phone number and an
    // e-mail address split across chunks now and then.
    let pieces = [
        "本日",
        "の会議",
        "では、",
        "予算",
        "案に",
        "ついて",
        "議論",
        "しました。",
        "担当",
        "者の",
        "連絡先は",
        "090-",
        "1234-",
        "5678",
        "、",
        "taro@",
        "example",
        ".jp",
        "です。",
        "\n",
    ];
    let mut out: Vec<SseEvent> = (0..CHUNKS)
        .map(|i| {
            SseEvent::data(
                json!({"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "delta": {"content": pieces[i % pieces.len()]}, "logprobs": null, "finish_reason": null}]})
                .to_string(),
            )
        })
        .collect();
    out.push(SseEvent::data(
        json!({"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]})
        .to_string(),
    ));
    out.push(SseEvent::data("[DONE]".into()));
    out
}

fn policy() -> Arc<Policy> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/default.toml");
    Arc::new(Policy::from_file(&path).expect("default policy"))
}

fn stamper(policy: &Arc<Policy>) -> StreamStamper {
    let notice = Notice {
        text: "※この回答は生成AIによって作成されました。".into(),
        position: NoticePosition::Suffix,
    };
    StreamStamper::new(
        Operation::ChatCompletions,
        Some(notice),
        false,
        OutputFilter::new(policy.clone(), None),
    )
}

fn bench(c: &mut Criterion) {
    let policy = policy();
    let evs = events();
    // How far into the stream the first text reaches the client (hold-back).
    let mut st = stamper(&policy);
    let (mut chars_in, mut first) = (0usize, None);
    for (i, ev) in evs.iter().cloned().enumerate() {
        let v: serde_json::Value = serde_json::from_str(&ev.data).unwrap_or_default();
        chars_in += v["choices"][0]["delta"]["content"]
            .as_str()
            .map_or(0, |s| s.chars().count());
        let out = st.on_event(ev);
        let text = out
            .iter()
            .any(|e| e.data.contains("\"content\":\"") && !e.data.contains("\"content\":\"\""));
        if text && first.is_none() {
            first = Some((i + 1, chars_in));
        }
    }
    println!(
        "first text released after upstream chunk/char: {first:?}; peak held chars: {}",
        st.peak_held_chars()
    );
    let mut g = c.benchmark_group("stream_200_chunks");
    g.bench_function("pass_through", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for ev in evs.iter().cloned() {
                n += black_box(vec![ev]).len();
            }
            n
        })
    });
    g.bench_function("stamper_filter", |b| {
        b.iter(|| {
            let mut st = stamper(&policy);
            let mut n = 0usize;
            for ev in evs.iter().cloned() {
                n += black_box(st.on_event(ev)).len();
            }
            n
        })
    });
    g.finish();
    let mut g = c.benchmark_group("first_event");
    g.bench_function("pass_through", |b| {
        b.iter(|| black_box(vec![evs[0].clone()]))
    });
    g.bench_function("stamper_filter", |b| {
        b.iter(|| {
            let mut st = stamper(&policy);
            black_box(st.on_event(evs[0].clone()))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
