//! Manual probe of per-phase scan cost: `cargo test --release --test scan_perf_probe -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
#[ignore]
fn phases() {
    let ja = "令和６年度の予算編成方針について、各部局は１０月３１日までに要求書を提出してください。山田太郎様からのご意見を踏まえ、手続きの案内文を分かりやすく改めました。担当：佐藤（情報政策課）　内線２３４５\n申請書は〒１００－８９１４ 東京都千代田区永田町１－６－１まで郵送してください。市民からの問い合わせ件数は前年比１２％増の４，５６７件となりました。".repeat(2500);
    let en = "The quarterly report shows a steady increase in service requests across all regions. Contact the help desk at support@example.com if the issue persists. Version 2.4.1 fixes a crash. Mr. Tanaka will present on 2024-11-05. The server at 10.0.12.7 was restarted.\n".repeat(4000);
    for (name, t) in [("ja", &ja), ("en", &en)] {
        let _ = mamori::scan::profile_phases(t);
        let p = mamori::scan::profile_phases(t);
        let mb = t.len() as f64 / 1e6;
        for (ph, d) in p {
            println!(
                "{name} {ph:<10} {:>8.2} ms  {:>8.1} MB/s",
                d.as_secs_f64() * 1e3,
                mb / d.as_secs_f64()
            );
        }
    }
}
