//! Person names and postal addresses: context-driven, so they run only around anchors.
//!
//! Names have no shape of their own; they are recognised by what surrounds them — an
//! honorific after (様, さん, 氏, 殿), a label before (氏名:, 担当:, 申請者:), or "Mr./Ms."
//! in English — and then cleaned of department prefixes and job titles. Addresses are a
//! prefecture and/or municipality sequence ending in a block number, matched by one regex
//! around prefecture and municipality anchors.

use std::collections::HashSet;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::engine::{EngineError, Raw};
use super::Kind;

/// The 47 prefectures, written as in addresses.
/// Job titles that follow a bare name (used as anchors).
pub(crate) fn title_anchors() -> &'static [&'static str] {
    TITLE_ONLY
}

pub(crate) const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// CJK ideographs (and the iteration mark) that names and place names are written in.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF) || c == '々'
}

fn is_hira(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x3096)
}

fn is_kata(c: char) -> bool {
    matches!(c as u32, 0x30A1..=0x30F4 | 0x30FC)
}

/// The katakana ノ written between ideographs inside a name (樋ノ口, 木ノ下, 一ノ瀬): part of
/// the kanji run when an ideograph follows it at `after`.
fn no_joins(t: &str, after: usize) -> bool {
    t[after..]
        .chars()
        .next()
        .is_some_and(|c| is_han(c) && c != '〇')
}

const ORG_CHARS: &[char] = &[
    '課', '部', '室', '局', '係', '社', '省', '庁', '県', '府', '店', '院', '校', '館', '署', '班',
    '所',
];

/// Endings of company and organisation names, which take 様 like people do.
const ORG_SUFFIXES: &[&str] = &[
    "商事",
    "商店",
    "商会",
    "工業",
    "産業",
    "興業",
    "建設",
    "製作所",
    "組合",
    "協会",
    "銀行",
    "病院",
    "会社",
    "法人",
    "事務所",
    "工務店",
    "物産",
    "電機",
    "薬局",
];

const TITLES: &[&str] = &[
    "理事長",
    "委員長",
    "副社長",
    "課長",
    "部長",
    "社長",
    "係長",
    "局長",
    "所長",
    "室長",
    "次長",
    "主任",
    "主査",
    "主事",
    "先生",
    "教授",
    "会長",
    "理事",
    "議員",
    "知事",
    "市長",
    "町長",
    "村長",
    "区長",
    "委員",
    "代表",
    "院長",
    "校長",
    "参事",
    "主幹",
    "審議官",
    "補佐",
    "班長",
    "店長",
    "教育長",
    "教諭",
    "教頭",
    "様",
];

const STOP: &[&str] = &[
    "皆",
    "皆々",
    "客",
    "神",
    "王",
    "奥",
    "父",
    "母",
    "兄",
    "姉",
    "弟",
    "妹",
    "娘",
    "息子",
    "旦那",
    "殿",
    "上",
    "各位",
    "先方",
    "相手",
    "同",
    "両",
    "彼",
    "貴殿",
    "貴方",
    "当方",
    "御中",
    "一同",
    "仕",
    "模",
    "多",
    "異",
    "左",
    "有",
    "一",
    "今",
    "何",
    "誰",
    "大家",
    "家主",
    "隣",
    "近所",
    "本人",
    "各",
    "各社",
    "全員",
    "主",
    "坊",
    "若",
    "姫",
    "嫁",
    "孫",
    "子",
    "女",
    "男",
    "人",
    "方",
    "仏",
    "未定",
    "不明",
    "無し",
    "未記入",
    "空欄",
    "記入",
    "変更",
    "必須",
    "任意",
    "欄",
    "部署",
    "氏名",
    "担当",
    "顧客",
    "学生",
    "生徒",
    "新人",
    "外国人",
    "店員",
    "運転手",
    "医者",
    "看護師",
    "業者",
    "農家",
    "施主",
    "社長",
    "部長",
    "課長",
    "先生",
    "議長",
    "委員",
    "代表",
    "同様",
    "多様",
    "仕様",
    "模様",
    "異様",
    "左様",
    "一様",
    "今様",
    "様",
    "殿様",
    "王様",
    "神様",
    "皆様",
    "奥様",
    "お客",
    "貴社",
    "御社",
    "弊社",
    "当社",
    "本社",
    "支社",
    "会社",
    "自分",
    "私",
    "僕",
    "俺",
    "我",
    "彼女",
    "誰か",
    "無",
    "名",
    "前",
    "後",
    "以下",
    "上記",
    "下記",
    "別紙",
    "同上",
    "不在",
    "匿名",
    "匿名希望",
    "非公開",
    "不詳",
    "省略",
    "欠席",
    "出席",
    "代理",
    "兼務",
    "以上",
    "事務局",
    "所管",
    "関係",
    "当該",
    "全",
    "ユーザー",
    "ゲスト",
    "スタッフ",
    "メンバー",
    "オーナー",
    "カスタマー",
    "パパ",
    "ママ",
    "サンタ",
    "チーム",
];

/// SURNAMES as a hash set: the list is long and looked up for every label and title.
fn surname_set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| SURNAMES.iter().copied().collect())
}

fn is_surname(w: &str) -> bool {
    surname_set().contains(w)
}

/// Whether `s` begins with a listed surname (surnames are 1–4 characters).
fn starts_with_surname(s: &str) -> bool {
    let set = surname_set();
    s.char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .take(4)
        .any(|e| set.contains(&s[..e]))
}

/// Common surnames: a name followed only by a job title (田中部長) counts when it starts with one.
const SURNAMES: &[&str] = &[
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "渡邊",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "斉藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "山下",
    "中島",
    "石井",
    "小川",
    "前田",
    "岡田",
    "長谷川",
    "藤田",
    "後藤",
    "近藤",
    "村上",
    "遠藤",
    "青木",
    "坂本",
    "斉藤",
    "福田",
    "太田",
    "西村",
    "藤井",
    "金子",
    "岡本",
    "藤原",
    "中野",
    "三浦",
    "原田",
    "中川",
    "松田",
    "竹内",
    "小野",
    "田村",
    "中山",
    "和田",
    "石田",
    "森田",
    "上田",
    "原",
    "内田",
    "柴田",
    "酒井",
    "宮崎",
    "横山",
    "高木",
    "安藤",
    "宮本",
    "大野",
    "小島",
    "谷口",
    "今井",
    "工藤",
    "高田",
    "増田",
    "丸山",
    "杉山",
    "村田",
    "大塚",
    "新井",
    "小山",
    "平野",
    "藤本",
    "河野",
    "上野",
    "野口",
    "武田",
    "松井",
    "千葉",
    "岩崎",
    "菅原",
    "木下",
    "久保",
    "佐野",
    "野村",
    "松尾",
    "市川",
    "菊地",
    "杉本",
    "古川",
    "大西",
    "島田",
    "水野",
    "桜井",
    "高野",
    "渡部",
    "吉川",
    "山内",
    "西田",
    "飯田",
    "菊池",
    "西川",
    "小松",
    "北村",
    "安田",
    "五十嵐",
    "川口",
    "平田",
    "関",
    "中田",
    "久保田",
    "服部",
    "東",
    "西",
    "南",
    "比嘉",
    "金城",
    "岩田",
    "土屋",
    "川崎",
    "福島",
    "本田",
    "辻",
    "樋口",
    "秋山",
    "田口",
    "永井",
    "山中",
    "中西",
    "吉村",
    "川上",
    "大橋",
    "石原",
    "松岡",
    "浅野",
    "馬場",
    "荒木",
    "大久保",
    "野田",
    "小沢",
    "田辺",
    "川村",
    "星野",
    "黒田",
    "堀",
    "尾崎",
    "望月",
    "永田",
    "熊谷",
    "内藤",
    "松村",
    "西山",
    "大谷",
    "平井",
    "大島",
    "岩本",
    "片山",
    "本間",
    "早川",
    "横田",
    "岡崎",
    "荒井",
    "大石",
    "鎌田",
    "成田",
    "宮田",
    "小田",
    "石橋",
    "篠原",
    "須藤",
    "河合",
    "高山",
    "吉野",
    "大川",
    "松下",
    "小池",
    "桑原",
    "青山",
    "小西",
    "宮下",
    "長田",
    "村井",
    "奥村",
    "北川",
    "中尾",
    "冨田",
    // A second list of common surnames: the national top ranks missing above, the commonest
    // Okinawan ones, surnames that are also prefecture names or single common nouns, and
    // variant characters that NFKC does not fold (齋/髙/﨑).
    "斎藤",
    "齋藤",
    "齊藤",
    "髙橋",
    "山﨑",
    "宮﨑",
    "高﨑",
    "柳田",
    "市川",
    "町田",
    "千葉",
    "秋田",
    "福島",
    "宮城",
    "長野",
    "熊本",
    "岡山",
    "山形",
    "富山",
    "新潟",
    "静岡",
    "滋賀",
    "奈良",
    "和歌山",
    "徳島",
    "香川",
    "愛知",
    "上原",
    "比嘉",
    "金城",
    "大城",
    "新垣",
    "玉城",
    "島袋",
    "平良",
    "山城",
    "知念",
    "仲村",
    "宮里",
    "照屋",
    "仲宗根",
    "安里",
    "屋比久",
    "具志堅",
    "星野",
    "若林",
    "北村",
    "村松",
    "長谷川",
    "五十嵐",
    "佐々木",
    "大久保",
    "小野寺",
    "菅原",
    "久保田",
    "荒木",
    "荒井",
    "桑原",
    "吉村",
    "小池",
    "大島",
    "内藤",
    "土屋",
    "望月",
    "大石",
    "松岡",
    "小西",
    "川村",
    "岩本",
    "片山",
    "本間",
    "早川",
    "横田",
    "関口",
    "矢野",
    "中田",
    "秋元",
    "堤",
    "樋口",
    "水野",
    "石原",
    "永田",
    "小沢",
    "小澤",
    "浜田",
    "濱田",
    "浅井",
    "野田",
    "足立",
    "青山",
    "西山",
    "岡崎",
    "大谷",
    "竹田",
    "松浦",
    "成田",
    "宇野",
    "今村",
    "福井",
    "岩井",
    "塚本",
    "安田",
    "服部",
    "大塚",
    "菊池",
    "菊地",
    "小田",
    "西尾",
    "黒田",
    "吉岡",
    "河合",
    "川上",
    "石橋",
    "福本",
    "谷本",
    "三宅",
    "上村",
    "田代",
    "松村",
    "杉浦",
    "大山",
    "飯島",
    "坂口",
    "武藤",
    "米田",
    "松原",
    "森本",
    "今野",
    "熊谷",
    "稲垣",
    "河村",
    "細川",
    "川島",
    "高山",
    "三上",
    "中谷",
    "上野",
    "水谷",
    "須田",
];

const TITLE_ONLY: &[&str] = &[
    "部長",
    "課長",
    "係長",
    "社長",
    "先生",
    "教授",
    "主任",
    "室長",
    "局長",
    "所長",
    "次長",
    "知事",
    "市長",
    "副知事",
    "副市長",
    "町長",
    "村長",
    "区長",
    "議員",
    "委員",
    "准教授",
    "理事長",
    "会長",
    "副部長",
    "副課長",
    "課長補佐",
    "主査",
    "主事",
    "主幹",
    "参事",
    "弁護士",
    "医師",
    "記者",
    "教諭",
    "教育長",
    // Not a title of its own name (窓口職員), but heads one: 職員の田中, 職員（前田）.
    "職員",
];

/// A surname (optionally with a given name) right before a job title: 田中部長, 鈴木一郎課長.
pub(crate) fn name_before_title(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    name_after_title_line(t, hs, he, out);
    name_after_post(t, he, out);
    let mut end = hs;
    if t[..end].ends_with(' ') {
        end -= 1;
    }
    let Some((run_start, true)) = run_back(t, end, 6) else {
        return;
    };
    let run = &t[run_start..end];
    // The run may begin with a department (営業部田中): start at the first known surname.
    let mut best: Option<usize> = None;
    for (i, _) in run.char_indices() {
        if starts_with_surname(&run[i..]) {
            best = Some(i);
            break;
        }
    }
    let Some(i) = best else {
        name_before_title_bare(t, hs, he, run_start, end, out);
        return;
    };
    let name = &run[i..];
    if i > 0 {
        // Whatever precedes must end a department/organisation word, not be part of the name.
        let prev = run[..i].chars().next_back();
        if !prev.is_some_and(|c| ORG_CHARS.contains(&c)) {
            return;
        }
    }
    if name.chars().count() > 5 {
        return;
    }
    out.push(Raw {
        kind: Kind::PersonName,
        start: run_start + i,
        end,
    });
}

/// A listed surname right after a post and の, followed by a particle: 課長の石井が謝罪,
/// 係長の田中から連絡. Only listed surnames: 課長の判断が is a noun.
fn name_after_post(t: &str, he: usize, out: &mut Vec<Raw>) {
    let Some(r) = t[he..].strip_prefix(['の', '(']) else {
        return;
    };
    let q = t.len() - r.len();
    let Some((e, true)) = run_back_fwd(t, q, 4) else {
        return;
    };
    let follows = t[e..]
        .chars()
        .next()
        .is_none_or(|c| "がはをにとのもへやより、。,.)( \n".contains(c))
        || TITLE_ONLY.iter().any(|x| t[e..].starts_with(x));
    if follows && is_surname(&t[q..e]) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: q,
            end: e,
        });
    }
}

/// Stems that make a post with 部長/課長 (本部長, 事業部長) but are not surnames.
const NOT_DEPT_NAME: &[&str] = &[
    "本", "支", "本部", "支部", "事業", "統括", "総括", "副", "各", "同",
];

/// Titles that are not formed from a department name (財政課長 is a post; 谷委員 is a person).
const PERSON_TITLES: &[&str] = &[
    "委員", "議員", "主任", "主査", "主事", "参事", "主幹", "教諭",
];

/// A surname not in the list before a job title, in a position where only a name fits: after a
/// list separator, a speaker mark or a line start (出席者：谷委員長、漆原副委員長, ○春日委員,
/// 町田議員の…), or after a department and a space (資産税課 百瀬参事). Titles that also follow
/// department names (財政課長) only count in the last position.
fn name_before_title_bare(
    t: &str,
    hs: usize,
    he: usize,
    run_start: usize,
    end: usize,
    out: &mut Vec<Raw>,
) {
    let title = &t[hs..he];
    let mut name_end = end;
    if t[run_start..name_end].ends_with('副') {
        name_end -= '副'.len_utf8();
    }
    let mut s = run_start;
    let w = &t[s..name_end];
    let n = w.chars().count();
    if !(1..=4).contains(&n)
        || STOP.contains(&w)
        || POST_STEMS.contains(&w)
        || w.chars()
            .next_back()
            .is_some_and(|c| ORG_CHARS.contains(&c))
    {
        return;
    }
    let before = &t[..s];
    // 我那覇 正男委員: a surname and a space before the given name.
    let mut lead = before;
    if let Some(b2) = before.strip_suffix(' ') {
        if let Some((s2, true)) = run_back(t, b2.len(), 4) {
            let sur = &t[s2..b2.len()];
            let prev = t[..s2].chars().next_back();
            if !STOP.contains(&sur)
                && !sur
                    .chars()
                    .next_back()
                    .is_some_and(|c| ORG_CHARS.contains(&c))
                && prev.is_none_or(|c| "、,:○◯●\n(「".contains(c))
            {
                s = s2;
                lead = &t[..s2];
            }
        }
    }
    let prev = lead.chars().next_back();
    let after_dept = lead
        .strip_suffix(' ')
        .and_then(|x| x.chars().next_back())
        .is_some_and(|c| ORG_CHARS.contains(&c));
    let dept_line = lead
        .strip_suffix('\n')
        .and_then(|x| x.chars().next_back())
        .is_some_and(|c| ORG_CHARS.contains(&c));
    // 学年主任の坂本教諭, 課長の芦田主査: a name between a colleague's post and its own title.
    let after_post = lead
        .strip_suffix('の')
        .is_some_and(|x| TITLE_ONLY.iter().chain(TITLES).any(|r| x.ends_with(r)));
    // 答弁案を瀬古部長が確認: a name framed by particles, the title followed by one too.
    let framed = prev.is_some_and(|c| "をがにはともへ".contains(c))
        && n <= 3
        && !NOT_DEPT_NAME.contains(&w)
        && t[he..]
            .chars()
            .next()
            .is_some_and(|c| "がはにもとの、".contains(c));
    let ok = if PERSON_TITLES.contains(&title) {
        prev.is_none_or(|c| "、,:○◯●\n(「".contains(c)) || after_dept || after_post || framed
    } else {
        after_dept || dept_line || after_post || framed
    };
    if ok {
        out.push(Raw {
            kind: Kind::PersonName,
            start: s,
            end: name_end,
        });
    }
}

/// A name alone after a job title on a signature line: 主任　春日一 / 部長 齋藤 美穂.
pub(crate) fn name_after_title_line(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    let line_start = t[..hs].trim_end_matches(' ');
    if !(line_start.is_empty() || line_start.ends_with('\n')) || !t[he..].starts_with(' ') {
        return;
    }
    let q = he + 1;
    let Some((mut e, true)) = run_back_fwd(t, q, 6) else {
        return;
    };
    if t[e..].starts_with(' ') {
        match run_back_fwd(t, e + 1, 4)
            .filter(|x| x.1)
            .map(|x| x.0)
            .or_else(|| kana_given_after(t, e + 1))
        {
            Some(e2) => e = e2,
            None => return,
        }
    } else if let Some(e2) = kana_given_after(t, e) {
        e = e2;
    }
    if !t[e..].chars().next().is_none_or(|c| c == '\n' || c == '\r') {
        return;
    }
    let w = &t[q..e];
    if STOP.contains(&w)
        || w.chars()
            .next_back()
            .is_some_and(|c| ORG_CHARS.contains(&c))
    {
        return;
    }
    out.push(Raw {
        kind: Kind::PersonName,
        start: q,
        end: e,
    });
}

/// Department and role stems that take a job title directly (財政課長, 公募委員): before a
/// title they are a post, not a surname.
const POST_STEMS: &[&str] = &[
    "財政",
    "企画",
    "総務",
    "人事",
    "市民",
    "区民",
    "町民",
    "村民",
    "住民",
    "税務",
    "福祉",
    "環境",
    "教育",
    "建設",
    "土木",
    "都市",
    "経済",
    "産業",
    "観光",
    "農政",
    "農林",
    "保健",
    "医療",
    "介護",
    "防災",
    "危機管理",
    "情報",
    "広報",
    "秘書",
    "会計",
    "監査",
    "議会",
    "選挙",
    "契約",
    "管財",
    "法務",
    "文書",
    "政策",
    "交通",
    "水道",
    "下水道",
    "住宅",
    "建築",
    "道路",
    "公園",
    "河川",
    "消防",
    "学校",
    "文化",
    "国際",
    "子育",
    "庶務",
    "経理",
    "営業",
    "技術",
    "公募",
    "学識",
    "専門",
    "外部",
    "臨時",
    "特別",
    "常任",
    "非常勤",
    "地区",
    "各",
    "全",
    "担当",
    "所管",
    "関係",
    "歴代",
    // School posts (学年主任, 教務主任, 生徒指導主事).
    "学年",
    "教務",
    "研究",
    "学級",
    "指導",
    "生徒指導",
    "進路指導",
    "生活指導",
    "事務",
    "校務",
];

/// Cleans a candidate name: drops a leading department, a trailing title and generic words.
fn clean_name(name: &str) -> Option<(usize, usize)> {
    // Title first (田中部長 → 田中), then a leading department (営業部田中 → 田中).
    // Titles can stack (課長補佐 = 課長 + 補佐): strip up to two.
    let mut end = name.len();
    for _ in 0..2 {
        match TITLES.iter().find(|t| ends_with_quick(&name[..end], t)) {
            // A post alone (答弁者：教育長, 出席：市長) is not a name.
            Some(t) if end == t.len() => return None,
            Some(t) => end -= t.len(),
            None => break,
        }
    }
    // 副委員長, 副部長: the 副 belongs to the title.
    if end < name.len() && name[..end].ends_with('副') && end > '副'.len_utf8() {
        end -= '副'.len_utf8();
    }
    if end < name.len() && POST_STEMS.contains(&&name[..end]) {
        return None;
    }
    // Counted first instead of collected into a Vec: this runs on every candidate name.
    let nchars = name[..end].chars().count();
    let mut start = 0usize;
    // Cut after the last organisation character when a real word precedes it (営業部|田中).
    for (i, (off, c)) in name[..end].char_indices().enumerate() {
        if i >= 2 && i + 1 < nchars && ORG_CHARS.contains(&c) {
            start = off + c.len_utf8();
        }
    }
    let s = &name[start..end];
    if s.is_empty() || is_stop(s) {
        return None;
    }
    let n = s.chars().count();
    let last = s.chars().next_back()?;
    if matches!(last, '者' | '員' | '民' | '客' | '様' | '等') {
        return None;
    }
    if n == 2 && last == '人' {
        return None;
    }
    // A section, not a person (住民記録係); surnames do not end in these.
    if n >= 3 && matches!(last, '課' | '係' | '局' | '班' | '署') {
        return None;
    }
    // Companies addressed with 様 (山田商事様) are not people.
    if ORG_SUFFIXES.iter().any(|o| ends_with_quick(s, o)) {
        return None;
    }
    if s.chars().all(is_kata) && !(2..=10).contains(&n) {
        return None;
    }
    Some((start, end))
}

/// A run of name characters of one script ending at `end`; returns its start.
fn run_back(t: &str, end: usize, max: usize) -> Option<(usize, bool)> {
    let mut chars = t[..end].char_indices().rev().peekable();
    let &(_, first) = chars.peek()?;
    let han = is_han(first) && first != '〇';
    let kata = is_kata(first) && first != 'ー';
    if !han && !kata {
        return None;
    }
    let mut start = end;
    // Foreign names are long and dotted: グエン・ヴァン・ナム.
    let max = if han { max } else { max.max(14) };
    for (n, (i, c)) in chars.enumerate() {
        let ok = if han {
            (is_han(c) && c != '〇')
                || (c == 'ノ'
                    && start < end
                    && t[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|p| is_han(p) && p != '〇'))
        } else {
            is_kata(c) || (c == '・' && start < end && t[start..].starts_with(is_kata))
        };
        if !ok || n >= max {
            break;
        }
        start = i;
    }
    if t[start..end].starts_with('・') {
        start += '・'.len_utf8();
    }
    Some((start, han))
}

/// Characters that may follow a name: punctuation, spaces, brackets, an honorific.
fn name_boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| {
        c.is_ascii_whitespace()
            || c.is_ascii_punctuation()
            || "、。，．・（）「」『』【】〔〕様殿氏".contains(c)
    })
}

/// A kanji surname (1–4 characters, not a generic word) ending at `end`, optionally followed
/// by one space, whose left side is not more kanji; returns its start.
fn bare_surname_before(t: &str, end: usize) -> Option<usize> {
    let e = if t[..end].ends_with(' ') {
        end - 1
    } else {
        end
    };
    let (s, true) = run_back(t, e, 5)? else {
        return None;
    };
    let w = &t[s..e];
    let n = w.chars().count();
    let generic = STOP.contains(&w)
        || w.chars()
            .next_back()
            .is_some_and(|c| ORG_CHARS.contains(&c))
        || TITLE_ONLY.iter().any(|x| w.ends_with(x));
    (!generic && (1..=4).contains(&n)).then_some(s)
}

/// End of a kana given name right after `p`: 2–4 hiragana or 2–5 katakana, then a boundary.
fn kana_given_after(t: &str, p: usize) -> Option<usize> {
    let e = match hira_given_after(t, p) {
        Some(e) => e,
        None => {
            let (e, han) = run_back_fwd(t, p, 5)?;
            if han || !(2..=5).contains(&t[p..e].chars().count()) {
                return None;
            }
            e
        }
    };
    let r = &t[e..];
    let ends = name_boundary(r.chars().next())
        || ["さん", "さま", "くん", "ちゃん"]
            .iter()
            .any(|h| r.starts_with(h))
        || TITLE_ONLY.iter().any(|x| r.starts_with(x));
    ends.then_some(e)
}

/// Name before an honorific such as 様, さん, 氏, 殿.
pub(crate) fn name_before_honorific(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    let suffix = &t[hs..he];
    let next = t[he..].chars().next();
    // Compounds, not honorifics: 様式, 様子, 氏名, 殿下 …
    let compound = match suffix {
        "様" => next.is_some_and(|c| matches!(c, '式' | '子' | '相' | '態' | '々' | '変' | '化')),
        "氏" => next.is_some_and(|c| matches!(c, '名' | '族' | '神' | '子')),
        "殿" => next.is_some_and(|c| matches!(c, '下' | '堂' | '様' | '方' | '中' | '内')),
        _ => false,
    };
    if compound {
        return;
    }
    let mut end = hs;
    if t[..end].ends_with(' ') {
        end -= 1;
    }
    if let Some(start) = surname_with_hira_given(t, end) {
        out.push(Raw {
            kind: Kind::PersonName,
            start,
            end,
        });
        return;
    }
    // Any kanji surname before a kana given name (小鳥遊トメさん, 喜屋武 みどりさん): the
    // surname list cannot hold rare surnames, the script change marks the boundary.
    if let Some(gs) = kana_run_start(t, end) {
        let given = &t[gs..end];
        let n = given.chars().count();
        let hira = given.starts_with(is_hira);
        let given_ok = if hira {
            (2..=4).contains(&n)
                && given
                    .chars()
                    .next()
                    .is_some_and(|c| hira_start_ok(c, &t[end..]))
                && !NOT_GIVEN.iter().any(|w| given.starts_with(w))
        } else {
            (2..=5).contains(&n)
        };
        if let Some(ss) = bare_surname_before(t, gs).filter(|_| given_ok) {
            if ss < gs {
                out.push(Raw {
                    kind: Kind::PersonName,
                    start: ss,
                    end,
                });
                return;
            }
        }
    }
    let Some((mut start, han)) = run_back(
        t,
        end,
        if matches!(suffix, "様" | "殿" | "氏") {
            7
        } else {
            6
        },
    ) else {
        return;
    };
    if han && t[..start].ends_with(' ') {
        // A surname separated by one space: 山田 太郎 様.
        if let Some((s2, true)) = run_back(t, start - 1, 4) {
            let first = &t[s2..start - 1];
            // 故/亡 before a deceased person's name is a prefix, not part of the surname.
            let before_ok =
                !t[..s2].chars().next_back().is_some_and(is_han) || t[..s2].ends_with(['故', '亡']);
            let last = first.chars().next_back();
            if before_ok
                && !last.is_some_and(|c| ORG_CHARS.contains(&c) || "当長者人主員".contains(c))
                && !STOP.contains(&first)
            {
                start = s2;
            }
        }
    }
    if start == end {
        return;
    }
    if let Some((a, b)) = clean_name(&t[start..end]) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: start + a,
            end: start + b,
        });
    }
}

/// Start of the run of kana (hiragana or katakana, not mixed) ending at `end`, 2–5 long.
fn kana_run_start(t: &str, end: usize) -> Option<usize> {
    let last = t[..end].chars().next_back()?;
    let hira = is_hira(last);
    if !(hira || (is_kata(last) && last != 'ー')) {
        return None;
    }
    let mut s = end;
    for (n, (i, c)) in t[..end].char_indices().rev().enumerate() {
        if n >= 5 || !(if hira { is_hira(c) } else { is_kata(c) }) {
            break;
        }
        s = i;
    }
    (s < end).then_some(s)
}

/// Name after a label such as 氏名:, 担当:, 申請者:.
pub(crate) fn name_after_label(t: &str, he: usize, out: &mut Vec<Raw>) {
    // Readings (ふりがな) are written in hiragana as often as in katakana.
    let reading = t[..he].ends_with("ふりがな") || t[..he].ends_with("フリガナ");
    // Account holders are often written in hiragana (口座名義 たなか みどり).
    let kana_ok = reading || t[..he].ends_with("名義");
    // A form label run straight into the value: 申請者氏名橋本和子 (the role before 氏名
    // shows it is a field label, not the word 氏名 in prose).
    let direct =
        t[..he].ends_with("氏名") && t[..he - "氏名".len()].ends_with(['者', '人', '童', '徒']);
    let mut p = he;
    let rest = &t[p..];
    for suf in ["者名", "者", "名", "人"] {
        if rest.starts_with(suf) {
            p += suf.len();
            break;
        }
    }
    // Optional short parenthetical: 氏名（漢字）.
    if let Some(r) = t[p..].strip_prefix('(') {
        if let Some(close) = r.find(')') {
            if close <= 24 {
                p += 1 + close + 1;
            }
        }
    }
    // A label written as a heading ends in its closing bracket: 【担当】, （フリガナ）.
    let mut had_sep = false;
    if let Some(r) = t[p..].strip_prefix([')', ']', '】']) {
        p = t.len() - r.len();
        had_sep = true;
    }
    // A form field: 氏名欄に「…」.
    for lead in ["欄には「", "欄に「", "「"] {
        if t[p..].starts_with(lead) {
            p += lead.len();
            had_sep = true;
            break;
        }
    }
    let after = &t[p..];
    let trimmed = after.trim_start_matches([' ', '\t', '\n', '\r']);
    let mut q = p + (after.len() - trimmed.len());
    let had_space = q > p || had_sep;
    let mut copula = false;
    if let Some(r) = trimmed.strip_prefix([':', '=', '|']) {
        let r2 = r.trim_start_matches([' ', '\t', '\n', '\r']);
        q += 1 + (r.len() - r2.len());
    } else if !had_space && trimmed.starts_with('は') {
        q += 'は'.len_utf8();
        copula = true;
    } else if !had_space && !direct {
        return;
    }
    let direct = direct && !had_space && q == p;
    // First token.
    let tok = |from: usize| -> Option<(usize, bool)> {
        let mut it = t[from..].char_indices();
        let (_, c0) = it.next()?;
        let han = is_han(c0) && c0 != '〇';
        let kata = is_kata(c0) && c0 != 'ー';
        let hira = kana_ok && is_hira(c0);
        if !han && !kata && !hira {
            return None;
        }
        let same = |i: usize, c: char| {
            if han {
                (is_han(c) && c != '〇') || (c == 'ノ' && no_joins(t, from + i + c.len_utf8()))
            } else if kata {
                is_kata(c)
            } else {
                is_hira(c)
            }
        };
        let mut end = from + c0.len_utf8();
        let mut n = 1;
        for (i, c) in it {
            if !same(i, c) {
                break;
            }
            end = from + i + c.len_utf8();
            n += 1;
            if n >= 10 {
                break;
            }
        }
        Some((end, han))
    };
    let Some((mut end, mut han)) = tok(q) else {
        return;
    };
    // A hiragana value is a name only if it is word-sized and not a particle (名義を変更).
    if t[q..].starts_with(is_hira)
        && (!(2..=8).contains(&t[q..end].chars().count())
            || !t[q..]
                .chars()
                .next()
                .is_some_and(|c| hira_start_ok(c, &t[end..])))
    {
        return;
    }
    // "参加者は合計150名": after は only a name with its ending fits; leave prose early.
    if copula && !t[end..].starts_with(|c: char| c == ' ' || is_hira(c) || is_kata(c)) {
        return;
    }
    // A department before the name: 【担当】市民協働課 山本.
    if han
        && t[q..end].chars().count() >= 3
        && !is_surname(&t[q..end])
        && t[q..end]
            .chars()
            .next_back()
            .is_some_and(|c| ORG_CHARS.contains(&c))
        && t[end..].starts_with(' ')
    {
        if let Some((e2, h2)) = tok(end + 1) {
            q = end + 1;
            end = e2;
            han = h2;
        }
    }
    // A job title between department and name: 起案者 福祉課 主事 泉 すみれ.
    if han && TITLE_ONLY.contains(&&t[q..end]) && t[end..].starts_with(' ') {
        if let Some((e2, h2)) = tok(end + 1) {
            q = end + 1;
            end = e2;
            han = h2;
        }
    }
    if t[end..].starts_with([' ', '・']) {
        let sep = t[end..].chars().next().map_or(1, char::len_utf8);
        if let Some((e2, h2)) = tok(end + sep) {
            // The next field's label (作成者:山田 確認者:鈴木) is not a given name.
            let next_label = t[e2..].starts_with(':')
                || t[end + sep..e2].ends_with(['者', '欄'])
                || STOP.contains(&&t[end + sep..e2]);
            if h2 == han && t[end + sep..e2].chars().count() <= 6 && !next_label {
                end = e2;
            } else if han && t[q..end].chars().count() <= 4 {
                // A kana given name after any surname: 林 トメ, 雲母 ひろみ.
                if let Some(e2) = kana_given_after(t, end + sep) {
                    end = e2;
                }
            }
        } else if han && is_surname(&t[q..end]) {
            // 宮本 かおり, 林 トメ.
            if let Some(e2) =
                hira_given_after(t, end + sep).or_else(|| kana_given_after(t, end + sep))
            {
                end = e2;
            }
        } else if han && t[q..end].chars().count() <= 4 {
            if let Some(e2) = kana_given_after(t, end + sep) {
                end = e2;
            }
        }
    } else if han && is_surname(&t[q..end]) {
        // A surname with a hiragana given name: 上田ゆい (or katakana: 林キヨ).
        if let Some(e2) = hira_given_after(t, end).or_else(|| kana_given_after(t, end)) {
            end = e2;
        }
    } else if han && t[q..end].chars().count() <= 3 {
        // Any surname with a kana given name and a boundary after it: 南トメ（84歳）.
        if let Some(e2) = kana_given_after(t, end) {
            end = e2;
        }
    }
    if han
        && t[end..].starts_with(is_hira)
        && ![
            "さん",
            "さま",
            "くん",
            "ちゃん",
            "です",
            "でした",
            "と申します",
        ]
        .iter()
        .any(|w| t[end..].starts_with(w))
    {
        return;
    }
    if copula
        && !["です", "でした", "さん", "様", "氏", "になります"]
            .iter()
            .any(|s| t[end..].starts_with(s))
    {
        return;
    }
    if direct
        && !t[end..]
            .chars()
            .next()
            .is_none_or(|c| "\n\r( 、,".contains(c))
    {
        return;
    }
    if let Some((a, b)) = clean_name(&t[q..end]) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: q + a,
            end: q + b,
        });
        names_in_list(t, end, out);
    }
}

/// What closes a pupil's name after a school class: a family member (the usual writer of
/// such a note) or an honorific.
const PUPIL_CLOSERS: &[&str] = &[
    "の母",
    "の父",
    "の保護者",
    "の祖母",
    "の祖父",
    "の兄",
    "の姉",
    "さん",
    "くん",
    "ちゃん",
    "君",
];

/// A pupil's name after a school class: 3年1組真栄田 隆の母です, 1年A組の山田さん. The class
/// (N年 + one or two digits, letters or kanji numerals + 組) shows a person follows; a closer
/// from [`PUPIL_CLOSERS`] must end the name, so 3年1組の学級通信 is no name.
pub(crate) fn name_after_class(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    const NUMERALS: &str = "一二三四五六七八九十";
    let class = t[..hs]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || NUMERALS.contains(*c))
        .map(char::len_utf8)
        .sum::<usize>();
    let Some(grade) = t[..hs - class].strip_suffix('年') else {
        return;
    };
    if !(1..=6).contains(&class)
        || !grade
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_digit() || NUMERALS.contains(c))
    {
        return;
    }
    let mut p = he;
    if let Some(r) = t[p..].strip_prefix(['の', ' ']) {
        p = t.len() - r.len();
    }
    // The closer, a few characters on; the name is what lies before it.
    let rest = &t[p..];
    let Some(len) = rest
        .char_indices()
        .take(12)
        .find(|(i, _)| PUPIL_CLOSERS.iter().any(|c| rest[*i..].starts_with(c)))
        .map(|(i, _)| i)
    else {
        return;
    };
    // Groups and roles of a class are not pupils: 3年1組全員の保護者, 3年1組担任の父.
    const GROUPS: &[&str] = &[
        "全員",
        "児童",
        "生徒",
        "一同",
        "有志",
        "男子",
        "女子",
        "代表",
        "担任",
        "皆",
        "各位",
        "保護者",
        "学級",
        "クラス",
    ];
    let name = &t[p..p + len];
    if GROUPS.iter().any(|g| name.starts_with(g)) {
        return;
    }
    if pupil_name_shape(name) {
        if let Some((a, b)) = clean_name(&t[p..p + len]) {
            out.push(Raw {
                kind: Kind::PersonName,
                start: p + a,
                end: p + b,
            });
        }
    }
}

/// A kanji surname (1–4), then optionally a space, then a kanji (1–3), hiragana (2–4) or
/// katakana (2–5) given name; or 2–6 kanji alone.
fn pupil_name_shape(name: &str) -> bool {
    let han = name.chars().take_while(|&c| is_han(c) && c != '〇').count();
    let rest: Vec<char> = name.chars().skip(han).collect();
    let rest = rest.strip_prefix(&[' ']).unwrap_or(&rest);
    match rest {
        [] => (2..=6).contains(&han),
        r if !(1..=4).contains(&han) => r.is_empty(),
        r if r.iter().all(|&c| is_han(c) && c != '〇') => r.len() <= 3,
        r if r.iter().all(|&c| is_hira(c)) => (2..=4).contains(&r.len()),
        r => r.iter().all(|&c| is_kata(c)) && (2..=5).contains(&r.len()),
    }
}

/// Further names of a list after a labelled one: 出席者：谷委員長、漆原副委員長、我那覇 正男委員
/// or 作業員：千葉 ゆうと、西園寺 ひろみ. Each item is a name (kanji, optional space, kanji or
/// kana) with an optional title, a short parenthetical, then 、 or the line end.
fn names_in_list(t: &str, mut p: usize, out: &mut Vec<Raw>) {
    for _ in 0..8 {
        // Past a parenthetical (（妻）, （福祉課）) to the separator.
        if let Some(r) = t[p..].strip_prefix('(') {
            match r.find(')') {
                Some(c) if c <= 30 => p += 1 + c + 1,
                _ => return,
            }
        }
        let Some(r) = t[p..].strip_prefix(['、', ',']) else {
            return;
        };
        let q = t.len() - r.trim_start_matches(' ').len();
        if let Some(e) = hira_given_after(t, q).filter(|&e| name_boundary(t[e..].chars().next())) {
            out.push(Raw {
                kind: Kind::PersonName,
                start: q,
                end: e,
            });
            p = e;
            continue;
        }
        let Some((mut e, han)) = run_back_fwd(t, q, 8) else {
            return;
        };
        if han && t[e..].starts_with(' ') {
            match run_back_fwd(t, e + 1, 7)
                .map(|(e2, _)| e2)
                .or_else(|| kana_given_after(t, e + 1))
            {
                Some(e2) => e = e2,
                None => return,
            }
        } else if han {
            if let Some(e2) = kana_given_after(t, e) {
                e = e2;
            }
        }
        let Some((a, b)) = clean_name(&t[q..e]) else {
            return;
        };
        let (a, b) = (q + a, q + b);
        let name = t[a..b].trim_end_matches('副');
        let n = name.chars().count();
        if !(1..=9).contains(&n) || !name_boundary(t[e..].chars().next()) {
            return;
        }
        out.push(Raw {
            kind: Kind::PersonName,
            start: a,
            end: a + name.len(),
        });
        p = e;
    }
}

/// Particles and endings that do not begin a hiragana given name.
const NOT_NAME_START: &[char] = &[
    'の', 'と', 'や', 'に', 'は', 'が', 'を', 'も', 'へ', 'で', 'ね',
];

/// Honorifics and particles written in hiragana right after a surname.
const NOT_GIVEN: &[&str] = &[
    "さん",
    "さま",
    "くん",
    "ちゃん",
    "まで",
    "など",
    "さえ",
    "だけ",
    "から",
    "より",
    "たち",
    "ども",
    "ほか",
    "ほど",
    "ごと",
];

/// Particles that also begin common given names (はるか, ともこ, やすし, もえ): such a run
/// counts as a name only when the name clearly ends after it.
const SOFT_NAME_START: &[char] = &['は', 'と', 'や', 'も'];

/// Whether a hiragana run starting with `c` may be a given name, given what follows it.
fn hira_start_ok(c: char, after: &str) -> bool {
    if !NOT_NAME_START.contains(&c) {
        return true;
    }
    SOFT_NAME_START.contains(&c)
        && (after
            .chars()
            .next()
            .is_none_or(|x| "\n\r (様殿氏".contains(x))
            || ["さん", "さま", "くん", "ちゃん"]
                .iter()
                .chain(TITLE_ONLY)
                .any(|h| after.starts_with(h)))
}

/// End of a hiragana given name (2–4 characters) starting at `p`, if one is there.
fn hira_given_after(t: &str, p: usize) -> Option<usize> {
    if NOT_GIVEN.iter().any(|w| t[p..].starts_with(w)) {
        return None;
    }
    let first = t[p..].chars().next()?;
    if NOT_NAME_START.contains(&first) && !SOFT_NAME_START.contains(&first) {
        return None;
    }
    let mut end = p;
    let mut n = 0;
    for (i, c) in t[p..].char_indices() {
        if !is_hira(c) {
            break;
        }
        n += 1;
        // Longer runs are prose, not a given name: stop reading them.
        if n > 4 {
            return None;
        }
        end = p + i + c.len_utf8();
    }
    (n >= 2 && hira_start_ok(first, &t[end..])).then_some(end)
}

/// Start of a known kanji surname followed by a hiragana given name ending at `end`
/// (河野ひかり, 松本 さくら); the surname list keeps particles and words out.
fn surname_with_hira_given(t: &str, end: usize) -> Option<usize> {
    let mut hs = end;
    let mut n = 0;
    for (i, c) in t[..end].char_indices().rev() {
        if !is_hira(c) {
            break;
        }
        hs = i;
        n += 1;
        if n > 4 {
            return None;
        }
    }
    if !(2..=4).contains(&n)
        || !t[hs..]
            .chars()
            .next()
            .is_some_and(|c| hira_start_ok(c, &t[end..]))
    {
        return None;
    }
    let se = if t[..hs].ends_with(' ') { hs - 1 } else { hs };
    let (ss, true) = run_back(t, se, 4)? else {
        return None;
    };
    is_surname(&t[ss..se]).then_some(ss)
}

/// Self-introduction after a greeting: お世話になっております。鈴木です。
pub(crate) fn name_after_greeting(t: &str, he: usize, out: &mut Vec<Raw>) {
    let rest = &t[he..];
    let skip = rest.len() - rest.trim_start_matches([' ', '\n', '\r']).len();
    let q = he + skip;
    let Some((end, _)) = run_back_fwd(t, q, 7) else {
        return;
    };
    let mut e = end;
    if t[e..].starts_with(' ') {
        if let Some((e2, _)) = run_back_fwd(t, e + 1, 4) {
            if ["です", "と申します"]
                .iter()
                .any(|s| t[e2..].starts_with(s))
            {
                e = e2;
            }
        }
    }
    if !["です", "と申します"].iter().any(|s| t[e..].starts_with(s)) {
        return;
    }
    if let Some((a, b)) = clean_name(&t[q..e]) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: q + a,
            end: q + b,
        });
    }
}

/// Names next to a department: 税務課の森田です (self-introduction) and a signature line
/// 税務課 森田 (the anchor is です, or a department ending that a space follows).
pub(crate) fn name_self(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    if &t[hs..he] == "です" {
        name_before_desu(t, hs, out);
    } else if t[he..].starts_with(' ') {
        name_after_department(t, hs, he + 1, out);
    }
}

/// "税務課 森田" at the end of a line (a signature): a known surname, optionally a given name.
fn name_after_department(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    // The department itself is a word: at least one ideograph before 課/部/….
    if !t[..hs].chars().next_back().is_some_and(is_han) {
        return;
    }
    let Some((mut end, true)) = run_back_fwd(t, he, 5) else {
        return;
    };
    let run = &t[he..end];
    if !starts_with_surname(run) {
        return;
    }
    if t[end..].starts_with(' ') {
        if let Some((e2, true)) = run_back_fwd(t, end + 1, 4) {
            end = e2;
        }
    }
    let line_end = t[end..]
        .chars()
        .next()
        .is_none_or(|c| matches!(c, '\n' | '\r' | '('));
    if !line_end {
        return;
    }
    if let Some((a, b)) = clean_name(&t[he..end]) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: he + a,
            end: he + b,
        });
    }
}

/// Self-introduction after a department: 税務課の森田です, 情報政策課の桜井です。
/// `hs` is where です starts; the name must begin with a known surname.
fn name_before_desu(t: &str, hs: usize, out: &mut Vec<Raw>) {
    let Some((start, true)) = run_back(t, hs, 5) else {
        return;
    };
    let Some(before) = t[..start].strip_suffix('の') else {
        return;
    };
    if !before
        .chars()
        .next_back()
        .is_some_and(|c| ORG_CHARS.contains(&c))
    {
        return;
    }
    let run = &t[start..hs];
    if !starts_with_surname(run) && !self_intro_sentence(t, before, start, hs) {
        return;
    }
    if let Some((a, b)) = clean_name(run) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: start + a,
            end: start + b,
        });
    }
}

/// Words that fill 〇〇課の＿です but are not a person (人事課の所管です, 福祉課の担当です).
const SELF_NOT_NAME: &[&str] = &[
    "管轄", "所掌", "業務", "資料", "案件", "窓口", "方針", "予定", "対応", "回答", "見解", "事業",
    "範囲", "責任", "判断", "意見", "仕事", "一員", "予算", "計画", "施設", "建物", "事務", "要望",
    "依頼", "提案", "説明", "報告", "管理", "所属", "主催", "共催", "番号", "内線", "電話", "代表",
];

/// An unlisted surname in a self-introduction (道路維持課の瀬古です。): the department opens
/// the sentence (line start, or after 。/!/?), the name is 1–4 characters and the sentence
/// ends right after です. `before` is the text up to the の, `start..hs` the name.
fn self_intro_sentence(t: &str, before: &str, start: usize, hs: usize) -> bool {
    let n = t[start..hs].chars().count();
    if !(1..=4).contains(&n) || SELF_NOT_NAME.contains(&&t[start..hs]) {
        return false;
    }
    if !t[hs + "です".len()..]
        .chars()
        .next()
        .is_none_or(|c| "。\n\r!".contains(c))
    {
        return false;
    }
    // The department is the whole sentence head: no particle or digit between the sentence
    // start and の (子育て支援課 keeps its て; 資料は福祉課の… is not an introduction).
    let head = before.rfind(['。', '\n', '!', '?']).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let dept = before[head..].trim_start_matches(' ');
    let n = dept.chars().count();
    (2..=16).contains(&n)
        && !dept
            .chars()
            .any(|c| "のはがをにでとも、, ".contains(c) || c.is_ascii_digit())
}

/// A name alone on the line above a contact line (a signature: 岡田トメ / 携帯 090-…):
/// `line` is the start of the contact line. The name must begin with a listed surname,
/// then an optional space and a short given name; nothing else is on its line.
pub(crate) fn name_line_above(t: &str, line: usize, out: &mut Vec<Raw>) {
    let Some(above) = t[..line].strip_suffix('\n') else {
        return;
    };
    let above = above.strip_suffix('\r').unwrap_or(above);
    let ls = above.rfind('\n').map_or(0, |i| i + 1);
    let s = ls + (above.len() - ls - above[ls..].trim_start_matches(' ').len());
    let e = above.trim_end_matches(' ').len();
    if e <= s || e - s > 30 {
        return;
    }
    let Some((se, true)) = run_back_fwd(t, s, 6) else {
        return;
    };
    let mut end = se;
    let sp = t[end..e].starts_with(' ');
    let gs = end + usize::from(sp);
    if gs < e {
        end = match run_back_fwd(t, gs, 4) {
            Some((ge, _)) if sp || !t[gs..].starts_with(is_han) => ge,
            // Surname and given name in one kanji run: the surname list splits it below.
            Some((ge, true)) => ge,
            _ => kana_given_after(t, gs).unwrap_or(gs),
        };
    }
    if end != e {
        return;
    }
    let w = &t[s..e];
    let n = w.chars().filter(|c| *c != ' ').count();
    // A place or an office on its own line (中野区, 中野区役所) is not a name; 村 is left out
    // because many surnames end in it (中村, 木村).
    if !(2..=7).contains(&n)
        || !starts_with_surname(w)
        || w.chars()
            .next_back()
            .is_some_and(|c| ORG_CHARS.contains(&c) || "市区町郡都道府県".contains(c))
    {
        return;
    }
    if clean_name(w) == Some((0, w.len())) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: s,
            end: e,
        });
    }
}

/// Names around a colon: a role label ending in 者/人 before it (確認者:鈴木, 欠席者:…),
/// or a chat speaker at the start of a line ([16:22] 野口: …).
pub(crate) fn name_at_colon(t: &str, hs: usize, out: &mut Vec<Raw>) {
    let before = &t[..hs];
    let mut prev = before.chars().rev();
    // Role labels: 確認者, 本人, 被害児童, 生徒, 出席委員.
    if matches!(prev.next(), Some('者' | '人' | '童' | '徒' | '員'))
        && prev.next().is_some_and(is_han)
    {
        name_after_label(t, hs, out);
        return;
    }
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let mut head = &before[line_start..];
    // An optional timestamp in brackets before the speaker.
    if let Some(r) = head.strip_prefix('[') {
        match r.find(']') {
            Some(close) if close <= 24 => head = &r[close + 1..],
            _ => return,
        }
    }
    let head = head.trim_start_matches([' ', '\t']);
    let n = head.chars().count();
    if !(1..=5).contains(&n) || !head.chars().all(|c| is_han(c) && c != '〇') {
        return;
    }
    if starts_with_surname(head) {
        out.push(Raw {
            kind: Kind::PersonName,
            start: hs - head.len(),
            end: hs,
        });
    }
}

/// Capitalised words that open salutations and mail headers but are not names.
const EN_NOT_NAMES: &[&str] = &[
    "All",
    "Team",
    "Everyone",
    "There",
    "Folks",
    "Guys",
    "Sir",
    "Madam",
    "Customer",
    "Customers",
    "Hiring",
    "Manager",
    "Colleagues",
    "Support",
    "Admin",
    "Service",
    "Services",
    "Sales",
    "Info",
    "Office",
    "Desk",
    "Center",
    "Help",
    "Dept",
    "No",
    "Reply",
    "President",
    "Chairman",
    "Chair",
    "Speaker",
    "Secretary",
    "Right",
    "Nobody",
    "Ambassador",
    "Mayor",
    "Governor",
    "Minister",
    "Director",
    "World",
    "Friends",
    "Members",
    "Staff",
    "User",
    "Users",
    "The",
    "Thanks",
    "Thank",
    "Dear",
    "Hello",
    "Hi",
    "Best",
    "Regards",
    "Kind",
    "Please",
    "Sorry",
    // Organisation words that close an English signature (City Tax Division).
    "City",
    "Division",
    "Department",
    "Section",
    "Bureau",
    "Ministry",
    "Affairs",
    "International",
    "Tax",
    "Ward",
    "Prefecture",
    "Government",
    "Committee",
    "Council",
    "Resident",
    "Residents",
    "Citizen",
    "Citizens",
    "Applicant",
    "Officer",
];

fn en_name_word(t: &str, p: usize) -> Option<usize> {
    let e = en_word_at(t, p)?;
    (!EN_NOT_NAMES.contains(&&t[p..e])).then_some(e)
}

/// "John Smith <john@…>", "John Smith (john@…)": the display name before an address.
pub(crate) fn name_before_email(t: &str, email_start: usize, out: &mut Vec<Raw>) {
    let Some(head) = t[..email_start].strip_suffix(['<', '(']) else {
        return;
    };
    let head = head.trim_end_matches(' ');
    let end = head.len();
    let mut start = end;
    let mut words = 0;
    // Up to three capitalised words, read backwards.
    while words < 3 {
        let w = t[..start].trim_end_matches(' ');
        if words > 0 && w.len() + 1 != start {
            break;
        }
        let ws = w
            .rfind(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
            .map_or(0, |i| i + 1);
        if ws == w.len() || en_name_word(t, ws) != Some(w.len()) {
            break;
        }
        start = ws;
        words += 1;
    }
    if words >= 2 {
        out.push(Raw {
            kind: Kind::PersonName,
            start,
            end,
        });
    } else if words == 0 {
        // A Japanese display name: "From: 佐々木 すみれ <…>", "若林優子 <…>" on its own line.
        let ls = head.rfind([':', '\n']).map_or(0, |i| i + 1);
        let cand = head[ls..].trim_start_matches(' ');
        let s = end - cand.len();
        let n = cand.chars().count();
        if (2..=10).contains(&n)
            && cand.starts_with(|c: char| is_han(c) && c != '〇')
            && cand
                .chars()
                .all(|c| is_han(c) || is_hira(c) || is_kata(c) || c == ' ')
            && cand.chars().filter(|&c| c == ' ').count() <= 1
            && clean_name(cand) == Some((0, cand.len()))
        {
            out.push(Raw {
                kind: Kind::PersonName,
                start: s,
                end,
            });
        }
    }
}

/// A run of name characters of one script starting at `start`; returns its end.
fn run_back_fwd(t: &str, start: usize, max: usize) -> Option<(usize, bool)> {
    let mut it = t[start..].char_indices();
    let (_, c0) = it.next()?;
    let han = is_han(c0) && c0 != '〇';
    if !(han || (is_kata(c0) && c0 != 'ー')) {
        return None;
    }
    let mut end = start + c0.len_utf8();
    for (n, (i, c)) in it.enumerate() {
        let ok = if han {
            (is_han(c) && c != '〇') || (c == 'ノ' && no_joins(t, start + i + c.len_utf8()))
        } else {
            is_kata(c)
        };
        if !ok || n + 1 >= max {
            break;
        }
        end = start + i + c.len_utf8();
    }
    Some((end, han))
}

fn en_word_at(t: &str, p: usize) -> Option<usize> {
    let b = t.as_bytes();
    if !b.get(p).is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    let mut e = p + 1;
    while e < b.len() && (b[e].is_ascii_lowercase() || b[e] == b'\'') {
        e += 1;
    }
    if e - p < 2 || b.get(e).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some(e)
}

/// "Mr. Tanaka", "Ms Sato", "Dr. Taro Yamada".
pub(crate) fn name_after_title(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    let b = t.as_bytes();
    if !b[hs].is_ascii_uppercase() || (hs > 0 && b[hs - 1].is_ascii_alphabetic()) {
        return;
    }
    let mut p = he;
    while p < b.len() && b[p] == b' ' {
        p += 1;
    }
    if p == he && !t[hs..he].ends_with(' ') {
        return;
    }
    let Some(mut e) = en_name_word(t, p) else {
        return;
    };
    if b.get(e) == Some(&b' ') {
        if let Some(e2) = en_name_word(t, e + 1) {
            e = e2;
        }
    }
    out.push(Raw {
        kind: Kind::PersonName,
        start: p,
        end: e,
    });
}

/// "Tanaka-san".
pub(crate) fn name_before_en_honorific(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    let b = t.as_bytes();
    if b.get(he).is_some_and(u8::is_ascii_alphanumeric) {
        return;
    }
    let mut s = hs;
    while s > 0 && b[s - 1].is_ascii_alphabetic() {
        s -= 1;
    }
    if s == hs || !b[s].is_ascii_uppercase() || hs - s < 2 {
        return;
    }
    out.push(Raw {
        kind: Kind::PersonName,
        start: s,
        end: hs,
    });
}

/// "Name: John Smith" at a line start; also salutations ("Dear John,", "Hi Yuki,"), mail
/// headers ("cc: Robert Clark"), "Reviewed by Thomas Wilson" and signatures ("Regards,\nMaria").
pub(crate) fn name_after_en_label(t: &str, hs: usize, he: usize, out: &mut Vec<Raw>) {
    let b = t.as_bytes();
    let anchor = t[hs..he].to_ascii_lowercase();
    if hs > 0 && b[hs - 1].is_ascii_alphabetic() {
        return;
    }
    let line_start = t[..hs]
        .trim_end_matches([' ', '\t', '-', '*', '>'])
        .ends_with('\n')
        || t[..hs].trim().is_empty();
    let mut p = he;
    // One or two words are enough after a salutation or above a signature.
    let (min_words, need_line_end) = match anchor.as_str() {
        "dear " | "hi " | "hello " => (1, false),
        "regards," | "thanks," | "sincerely," | "best," | "cheers," => {
            let r = &t[he..];
            let r2 = r.trim_start_matches([' ', '\r']);
            let Some(r3) = r2.strip_prefix('\n') else {
                return;
            };
            p = t.len() - r3.len();
            (1, true)
        }
        "reviewed by " | "approved by " | "signed by " | "written by " | "my name is " => {
            (2, false)
        }
        _ => {
            if !line_start {
                return;
            }
            (2, false)
        }
    };
    while p < b.len() && b[p] == b' ' {
        p += 1;
    }
    // A Japanese name alone on the line under "Best regards,".
    if need_line_end && b.get(p).is_some_and(|x| *x >= 0x80) {
        if let Some((mut e, true)) = run_back_fwd(t, p, 6) {
            if t[e..].starts_with(' ') {
                if let Some(e2) = run_back_fwd(t, e + 1, 4)
                    .map(|x| x.0)
                    .or_else(|| kana_given_after(t, e + 1))
                {
                    e = e2;
                }
            } else if let Some(e2) = kana_given_after(t, e) {
                e = e2;
            }
            if t[e..].chars().next().is_none_or(|c| c == '\n' || c == '\r')
                && clean_name(&t[p..e]) == Some((0, e - p))
            {
                out.push(Raw {
                    kind: Kind::PersonName,
                    start: p,
                    end: e,
                });
            }
        }
        return;
    }
    let Some(e1) = en_name_word(t, p) else { return };
    let mut e = e1;
    let mut words = 1;
    while words < 3 && b.get(e) == Some(&b' ') {
        match en_name_word(t, e + 1) {
            Some(e2) => {
                e = e2;
                words += 1;
            }
            None => break,
        }
    }
    if words < min_words {
        return;
    }
    // A salutation ends at the name: "Dear John," / "Hi Yuki, could you…".
    if min_words == 1
        && !need_line_end
        && !matches!(b.get(e), None | Some(b',' | b'!' | b'\n' | b'\r'))
    {
        return;
    }
    if need_line_end && !matches!(b.get(e), None | Some(b'\n' | b'\r')) {
        return;
    }
    out.push(Raw {
        kind: Kind::PersonName,
        start: p,
        end: e,
    });
}

/// The address regex (prefecture and/or municipalities, then an optional block number).
/// The address pattern plus a prefecture finder, built once per engine.
pub(crate) struct AddressMatcher {
    re: Regex,
    /// A building and room right after an address (anchored; run on a short slice, since
    /// captures are only cheap on short input).
    building: Regex,
    /// All prefecture names; its leftmost match is the earliest prefecture in a text.
    prefectures: AhoCorasick,
}

pub(crate) fn address_regex() -> Result<AddressMatcher, EngineError> {
    let pref = PREFECTURES.join("|");
    // Explicit ranges instead of \p{Han}: a much smaller automaton, same coverage for place names.
    // Municipalities may be written in hiragana (さいたま市, ひたちなか市, いちき串木野市); a
    // particle that the leftmost match takes along (住所はさいたま市) is trimmed afterwards.
    let muni = r"(?:[ぁ-ゖ]{2,6}[\x{4E00}-\x{9FFF}]{0,3}|[\x{4E00}-\x{9FFF}々ァ-ヶー]{1,6}?)(?:市|区|郡|町|村)";
    let num = r"(?:(?:[0-9]+|[一二三四五六七八九十]+)丁目(?:[0-9]+(?:番地?|-)(?:[0-9]+号?)?(?:の[0-9]+)?)?|[0-9]+番地?(?:[0-9]+号?)?(?:の[0-9]+)?|[0-9]+(?:-[0-9]+){1,3}号?)";
    // Town names can be long and, in Kyoto, carry directions (寺町通御池上る上本能寺前町).
    // Town names in kana are common too (おもろまち, みなとみらい, あざみ野); prose that the
    // kana lets in (市では1-2月に) is rejected afterwards by its particles. Sapporo-style
    // blocks (北1条西2丁目) put a numbered 条 before the block number.
    let town = r"[\x{4E00}-\x{9FFF}々ぁ-ヶー]{0,16}?(?:[0-9]+条[東西南北]?)?";
    // Rural addresses: 大字/字 + place name + a bare lot number (大字草津630).
    let aza = r"大?字[\x{4E00}-\x{9FFF}々ヶケ]{1,8}?[0-9]+(?:番地?)?(?:(?:-|の)[0-9]+)*";
    // A building and room right after the lot number (… 第一ビル 11階, サンハイツ1003号室).
    // It starts with a letter (not a dash read as ー) and its number ends there, so it never
    // takes the first digits of a following identifier.
    let bldg = r"^ ?[\x{4E00}-\x{9FFF}々ァ-ヴA-Za-z][\x{4E00}-\x{9FFF}々ァ-ヴーA-Za-z]{0,15} ?([0-9]{1,4})(?:号室|号|階|F|\b)";
    let pat = format!(
        "(?:{pref})?(?:{muni}){{1,3}}{aza}|(?:{pref})(?:{muni}){{1,3}}(?:{town}{num})?|(?:{muni}){{1,3}}{town}{num}"
    );
    Ok(AddressMatcher {
        re: Regex::new(&pat)?,
        building: Regex::new(bldg)?,
        prefectures: AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(PREFECTURES)?,
    })
}

const ADDRESS_LABELS: &[&str] = &[
    "本店所在地",
    "所在地",
    "現住所",
    "住所",
    "本籍",
    "送付先",
    "宛先",
    "勤務地",
    "自宅",
    "在住",
    "出身",
    "事務所",
    "居所",
    "届け先",
    "配送先",
    "連絡先",
];

/// Longest building-and-room part looked for after an address (bytes): a space, 16
/// characters of name, a space, 4 digits and 号室, with room to spare.
const BUILDING_MAX_BYTES: usize = 96;

/// Whether what the address pattern took as a building and room after the lot number
/// really is one, and not a person with an honorific followed by a phone number
/// (… 1-6-1 田中様 090-1234-5678) or the first digits of some other number.
fn is_building(bldg: &str, room: &str, after: &str) -> bool {
    const PERSONAL: [&str; 5] = ["様", "殿", "さん", "君", "氏"];
    if PERSONAL.iter().any(|h| bldg.contains(h)) {
        return false;
    }
    let suffixed = bldg.ends_with(['室', '号', '階', 'F']);
    // Room numbers do not start with 0; a bare number running on into a dash or a digit
    // is the start of something else (a phone number, an account).
    suffixed
        || !(room.starts_with('0')
            || after.starts_with(|c: char| c == '-' || c == '－' || c.is_ascii_digit()))
}

/// Runs the address regex over `win` (starting at byte `off` of the text).
pub(crate) fn addresses_in(am: &AddressMatcher, win: &str, off: usize, out: &mut Vec<Raw>) {
    let mut at = 0;
    while let Some(m) = am.re.find_at(win, at) {
        let mut s = m.start();
        let mut e = m.end();
        let mut tail = (e + BUILDING_MAX_BYTES).min(win.len());
        while !win.is_char_boundary(tail) {
            tail -= 1;
        }
        // The building pattern starts (after at most one space) with an ideograph, 々, a
        // katakana or a Latin letter; most addresses are followed by prose (まで, に, …), and
        // this test spares the captures call there.
        let rest = &win[e..tail];
        let lead = rest.strip_prefix(' ').unwrap_or(rest).chars().next();
        let may_build = lead.is_some_and(
            |c| matches!(c, '\u{4E00}'..='\u{9FFF}' | '々' | 'ァ'..='ヴ' | 'A'..='Z' | 'a'..='z'),
        );
        if let Some(caps) = may_build.then(|| am.building.captures(rest)).flatten() {
            if let (Some(b), Some(room)) = (caps.get(0), caps.get(1)) {
                if is_building(b.as_str(), room.as_str(), &win[e + b.end()..]) {
                    e += b.end();
                }
            }
        }
        // Search on from the end kept, so a part not taken as a building (which may be the
        // start of the next address) is searched again; always move forward.
        at = if e > at {
            e
        } else {
            win[at..]
                .chars()
                .next()
                .map_or(win.len(), |c| at + c.len_utf8())
        };
        // Prefer a prefecture inside the match as the start (住所東京都… → 東京都…): the
        // earliest position any prefecture starts at, in one pass.
        if let Some(pm) = am.prefectures.find(&win[s..e]) {
            s += pm.start();
        }
        // Kana place names let particles in: drop one taken from the left after a noun
        // (住所はさいたま市…), and reject matches that run through prose (市では1-2月).
        for _ in 0..2 {
            let prev = win[..s].chars().next_back();
            match win[s..e].chars().next() {
                Some(c @ ('は' | 'に' | 'を' | 'が' | 'で' | 'へ' | 'も' | 'の'))
                    if prev.is_some_and(|p| is_han(p) || is_kata(p) || is_hira(p)) =>
                {
                    s += c.len_utf8()
                }
                _ => break,
            }
        }
        const PROSE: [&str; 12] = [
            "では",
            "には",
            "から",
            "まで",
            "より",
            "です",
            "ます",
            "として",
            "への",
            "での",
            "にて",
            "について",
        ];
        if win[s..e].chars().any(is_hira) && PROSE.iter().any(|w| win[s..e].contains(w)) {
            continue;
        }
        loop {
            let cur = &win[s..e];
            match ADDRESS_LABELS.iter().find(|l| cur.starts_with(**l)) {
                Some(l) => s += l.len(),
                None => break,
            }
        }
        if e - s >= 6 {
            out.push(Raw {
                kind: Kind::Address,
                start: off + s,
                end: off + e,
            });
        }
    }
}

/// `s.ends_with(t)`, comparing the last byte before calling `memcmp`: `clean_name` tries
/// every title and company ending on every candidate, and the last byte rules out most.
#[inline]
fn ends_with_quick(s: &str, t: &str) -> bool {
    let (a, b) = (s.as_bytes(), t.as_bytes());
    a.last() == b.last() && a.ends_with(b)
}

/// `STOP.contains(&s)` by binary search over a sorted copy (`clean_name` asks on every
/// candidate name, and a linear scan compared most of the list).
fn is_stop(s: &str) -> bool {
    static SORTED: OnceLock<Vec<&'static str>> = OnceLock::new();
    SORTED
        .get_or_init(|| {
            let mut v = STOP.to_vec();
            v.sort_unstable();
            v
        })
        .binary_search(&s)
        .is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn honor(t: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in t.match_indices("様") {
            name_before_honorific(t, i, i + 3, &mut out);
        }
        for (i, _) in t.match_indices("さん") {
            name_before_honorific(t, i, i + 6, &mut out);
        }
        out.iter().map(|r| t[r.start..r.end].to_string()).collect()
    }

    #[test]
    fn honorifics() {
        assert_eq!(honor("田中太郎様"), vec!["田中太郎"]);
        assert_eq!(honor("営業部田中様"), vec!["田中"]);
        assert_eq!(honor("山田 太郎 様"), vec!["山田 太郎"]);
        assert!(honor("お客様").is_empty());
        assert!(honor("たくさん").is_empty());
        assert!(honor("仕様書").is_empty());
        assert!(honor("皆様").is_empty());
        assert_eq!(honor("服部様"), vec!["服部"]);
    }

    #[test]
    fn hiragana_given_names_and_companies() {
        assert_eq!(honor("河野ひかり様"), vec!["河野ひかり"]);
        assert_eq!(honor("松本 さくらさん"), vec!["松本 さくら"]);
        assert!(honor("市民のみなさま").is_empty());
        assert!(honor("株式会社山田商事様").is_empty());
    }

    fn at_label(t: &str, label: &str) -> Vec<String> {
        let mut out = Vec::new();
        let he = t.find(label).unwrap() + label.len();
        name_after_label(t, he, &mut out);
        out.iter().map(|r| t[r.start..r.end].to_string()).collect()
    }

    #[test]
    fn label_forms() {
        assert_eq!(at_label("| 氏名 | 野口 美羽 |", "氏名"), vec!["野口 美羽"]);
        assert_eq!(at_label("氏名: 阿部 和也\n", "氏名"), vec!["阿部 和也"]);
        assert_eq!(at_label("【担当】市民協働課 山本", "担当"), vec!["山本"]);
        assert_eq!(at_label("作成者:上田 確認者:松本", "作成"), vec!["上田"]);
        assert_eq!(
            at_label("ふりがな たなか ひろし", "ふりがな"),
            vec!["たなか ひろし"]
        );
        assert_eq!(
            at_label("氏名欄に「山崎ひかり」と", "氏名"),
            vec!["山崎ひかり"]
        );
    }

    #[test]
    fn self_introduction_speaker_and_english() {
        let mut out = Vec::new();
        let t = "税務課の森田です。";
        name_self(
            t,
            t.find("です").unwrap(),
            t.find("です").unwrap() + 6,
            &mut out,
        );
        let t2 = "[16:22] 野口: 了解です";
        name_at_colon(t2, t2.rfind(':').unwrap(), &mut out);
        let t3 = "情報政策課の所管です。";
        name_self(
            t3,
            t3.find("です").unwrap(),
            t3.find("です").unwrap() + 6,
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(&t[out[0].start..out[0].end], "森田");
        assert_eq!(&t2[out[1].start..out[1].end], "野口");
        let mut out = Vec::new();
        let t = "Contact: David Garcia (david@example.com)";
        name_before_email(t, t.find("david@").unwrap(), &mut out);
        let t2 = "Customer Support <support@example.com>";
        name_before_email(t2, t2.find("support@").unwrap(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&t[out[0].start..out[0].end], "David Garcia");
    }

    #[test]
    fn labels() {
        let t = "氏名: 山田 太郎\n";
        let mut out = Vec::new();
        name_after_label(t, "氏名".len(), &mut out);
        assert_eq!(&t[out[0].start..out[0].end], "山田 太郎");
    }

    #[test]
    fn address() {
        let re = address_regex().unwrap();
        let mut out = Vec::new();
        let t = "住所東京都千代田区霞が関1-3-1です";
        addresses_in(&re, t, 0, &mut out);
        assert_eq!(&t[out[0].start..out[0].end], "東京都千代田区霞が関1-3-1");
        out.clear();
        let t = "横浜市中区山下町1-2-3";
        addresses_in(&re, t, 0, &mut out);
        assert_eq!(&t[out[0].start..out[0].end], "横浜市中区山下町1-2-3");
        out.clear();
        let t = "自宅:横浜市港北区新横浜2丁目1番地 第一ビル 11階";
        addresses_in(&re, t, 0, &mut out);
        assert_eq!(
            &t[out[0].start..out[0].end],
            "横浜市港北区新横浜2丁目1番地 第一ビル 11階"
        );
        out.clear();
        let t = "差出人 吾妻郡草津町大字草津630";
        addresses_in(&re, t, 0, &mut out);
        assert_eq!(&t[out[0].start..out[0].end], "吾妻郡草津町大字草津630");
        // A person and a phone number after the lot number are not a building and room.
        for t in [
            "東京都千代田区永田町1-6-1 田中太郎様 090-1234-5678",
            "東京都千代田区永田町1-6-1 田中 0312345678",
            "東京都千代田区永田町1-6-1 田中 12-3456",
        ] {
            out.clear();
            addresses_in(&re, t, 0, &mut out);
            assert_eq!(
                &t[out[0].start..out[0].end],
                "東京都千代田区永田町1-6-1",
                "{t}"
            );
        }
        // Two addresses in a row: the second is not lost to a building part of the first.
        out.clear();
        let t = "東京都千代田区永田町1-6-1 東京都千代田区永田町1-6-1";
        addresses_in(&re, t, 0, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(&t[out[1].start..out[1].end], "東京都千代田区永田町1-6-1");
        out.clear();
        let t = "大阪市北区梅田1-1-1 サンハイツ 203 に住んでいます";
        addresses_in(&re, t, 0, &mut out);
        assert_eq!(
            &t[out[0].start..out[0].end],
            "大阪市北区梅田1-1-1 サンハイツ 203"
        );
    }

    #[test]
    fn session5_names() {
        let names = |t: &str| -> Vec<String> {
            crate::scan::engine::engine()
                .unwrap()
                .scan(t, None)
                .iter()
                .filter(|f| f.type_name_static() == "person_name_jp")
                .map(|f| t[f.start..f.end].to_string())
                .collect()
        };
        assert_eq!(names("道路維持課の山際です。"), ["山際"]);
        assert_eq!(names("答弁案を瀬古部長が確認した。"), ["瀬古"]);
        assert_eq!(names("利用者氏名：樋ノ口千尋（90歳）"), ["樋ノ口千尋"]);
        assert_eq!(names("口座名義 たなか みどり\n"), ["たなか みどり"]);
        assert_eq!(names("申請者氏名橋本和子\n"), ["橋本和子"]);
        assert_eq!(names("対応：課長の石井が電話で謝罪。"), ["石井"]);
        assert_eq!(
            names("困っています。\n\n西村陽子\n携帯 022-123-4567\n"),
            ["西村陽子"]
        );
        assert_eq!(names("被害児童：伊藤はるか\n"), ["伊藤はるか"]);
        // Not names: a post alone, a noun after a department, a school post.
        assert!(names("答弁者：教育長\n").is_empty());
        assert!(names("人事課の管轄です。").is_empty());
        assert!(names("学年主任の判断で").is_empty());
        assert!(names("名義を変更する").is_empty());
        assert!(names("書類を本部長が確認").is_empty());
    }
}
