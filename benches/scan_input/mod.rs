//! Deterministic scanner inputs shared by the `scan` and `scan_instr` benches.

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.next() % xs.len()]
    }
}

pub const JA: &[&str] = &[
    "令和６年度の予算編成方針について、各部局は１０月３１日までに要求書を提出してください。",
    "本件は総務課が所管し、関係部署と調整のうえ、来月の庁議に諮る予定です。",
    "会議資料（第３版）を共有フォルダに格納しました。ご確認をお願いいたします。",
    "市民からの問い合わせ件数は前年比１２％増の４，５６７件となりました。",
    "新しい業務システムの導入により、処理時間を約３割短縮できる見込みです。",
    "議事録の作成にあたっては、発言者名を省略し、要点のみを記載すること。",
    "山田太郎様からのご意見を踏まえ、手続きの案内文を分かりやすく改めました。",
    "担当：佐藤（情報政策課）　内線２３４５",
    "申請書は〒１００－８９１４ 東京都千代田区永田町１－６－１まで郵送してください。",
    "お問い合わせは０３－１２３４－５６７８（平日９時〜１７時）までご連絡ください。",
    "研修の参加者は合計１５０名で、満足度は平均４．２点でした。",
    "ご不明な点は、info@city.example.lg.jp までメールでお問い合わせください。",
    "次回の打合せは２０２４年１２月１０日（火）１４時から第２会議室で行います。",
    "補助金の交付額は１，２３４，０００円とし、年度内に精算を行うものとします。",
    "生成AIの業務利用にあたっては、ガイドラインに従い、個人情報を入力しないこと。",
];

pub const EN: &[&str] = &[
    "The quarterly report shows a steady increase in service requests across all regions. ",
    "Please review the attached draft and send your comments by Friday afternoon. ",
    "Our team migrated the billing service to the new cluster without downtime. ",
    "The committee approved the budget of $1,250,000 for the next fiscal year. ",
    "Contact the help desk at support@example.com if the issue persists. ",
    "Version 2.4.1 fixes a crash when exporting large spreadsheets to PDF. ",
    "Mr. Tanaka will present the findings at the meeting on 2024-11-05. ",
    "Summarise the following minutes in three bullet points for the director. ",
    "Latency dropped from 420 ms to 180 ms after enabling the cache layer. ",
    "The server at 10.0.12.7 was restarted during the maintenance window. ",
    "Translate this paragraph into plain Japanese suitable for citizens. ",
    "Order 5521 was shipped yesterday and should arrive within two days. ",
];

pub fn gen(parts: &[&str], bytes: usize, seed: u64) -> String {
    let mut r = Lcg(seed);
    let mut s = String::with_capacity(bytes + 256);
    while s.len() < bytes {
        s.push_str(r.pick(parts));
        if r.next() % 5 == 0 {
            s.push('\n');
        }
    }
    s
}

/// A prompt of at most `max` bytes (cut on a char boundary), as the 1 KB benches use.
pub fn prompt(parts: &[&str], max: usize, seed: u64) -> String {
    let mut text = gen(parts, max, seed);
    while text.len() > max {
        text.pop();
    }
    text
}
