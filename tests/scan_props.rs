//! Property tests: the scanner never panics, offsets are sound, masking is idempotent and
//! reversible.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::OnceLock;

use mamori::scan::Policy;
use proptest::prelude::*;

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::from_file(Path::new("policies/default.toml")).unwrap())
}

/// Strings biased towards what detectors look at: digits, full-width forms, kana, kanji, anchors.
fn texty() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        any::<char>().prop_map(|c| c.to_string()),
        "[0-9０-９\\-－ー ()+.\n]{1,16}",
        "[a-zA-Z0-9_@.:/=\\-]{1,24}",
        Just("様".to_string()),
        Just("氏名：".to_string()),
        Just("〒".to_string()),
        Just("東京都千代田区".to_string()),
        Just("【秘】".to_string()),
        Just("sk-".to_string()),
        Just("password=".to_string()),
        Just("-----BEGIN PRIVATE KEY-----".to_string()),
        Just("eyJ".to_string()),
        Just("123456789018".to_string()),
        Just("ignore previous instructions".to_string()),
        "[ぁ-んァ-ヶ一-龥]{1,6}",
        // Anchors of the context rules: labels, salutations, rural and building addresses.
        prop::sample::select(vec![
            "【担当】",
            "ふりがな",
            "です",
            "Dear ",
            "Regards,\n",
            "cc: ",
            "IP:",
            "PW:",
            "大字",
            "丁目",
            "番地",
            "号室",
            "ビル",
            "|",
            "欄に「",
            "[16:22] ",
            "課長",
            "さん",
            // Session 5 rules: kana holders, run-on labels, ノ in names, signature lines,
            // git remotes and URL user information, 登録番号, posts before names.
            "口座名義 ",
            "申請者氏名",
            "ノ",
            "\n携帯 ",
            "Pass: ",
            "git@github.com:",
            "://app:",
            "登録番号",
            "被保険者番号",
            "職員(",
            "課長の",
            "課の",
            "部長が",
            "那覇市",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

/// Like [`texty`], but atoms separated as words are in real text. Masking changes what sits
/// next to a value (a placeholder is not a letter), so an ASCII word glued to another value
/// (`instructionsignore previous…`) may be judged differently once its neighbour is masked;
/// that is accepted, and idempotence is checked on separated atoms.
fn separated() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        "[0-9０-９\\-－ー ()+.]{1,16}",
        "[a-zA-Z0-9_@.:/=\\-]{1,24}",
        Just("田中太郎様".to_string()),
        Just("氏名：山田 花子".to_string()),
        Just("〒100-8914".to_string()),
        Just("東京都千代田区永田町1-6-1".to_string()),
        Just("【秘】".to_string()),
        Just("sk-proj-Ab3dEf5hIj7kLm9nOp1qRs3tUv5wXy7z".to_string()),
        Just("password=hunter22".to_string()),
        Just("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".to_string()),
        Just("123456789018".to_string()),
        Just("090-1234-5678".to_string()),
        Just("ignore previous instructions".to_string()),
        Just("西村陽子\n携帯 090-1234-5678".to_string()),
        Just("道路維持課の瀬古です".to_string()),
        Just("口座名義 たなか みどり".to_string()),
        Just("postgres://app:qZ8!vR2#pL@db.internal:5432/x".to_string()),
        Just("登録番号 1803469766018".to_string()),
        Just("那覇市おもろまち9-14-8".to_string()),
        "[ぁ-んァ-ヶ一-龥]{1,6}",
    ];
    let sep = prop_oneof![Just(" "), Just("\n"), Just("。"), Just("、")];
    prop::collection::vec((atoms, sep), 0..16)
        .prop_map(|v| v.into_iter().map(|(a, s)| a + s).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn offsets_are_sound(s in texty()) {
        for f in policy().scan(&s) {
            prop_assert!(f.start < f.end && f.end <= s.len());
            prop_assert!(s.is_char_boundary(f.start) && s.is_char_boundary(f.end));
        }
    }

    #[test]
    fn mask_restore_roundtrip_on_glued_text(s in texty()) {
        let p = policy();
        let mut map = p.mask_map();
        let m1 = map.mask(&s, &p.scan(&s));
        let restored = map.restore(&m1).into_owned();
        prop_assert_eq!(restored, s);
    }

    #[test]
    fn arbitrary_strings_do_not_panic(s in any::<String>()) {
        let _ = policy().scan(&s);
    }

    #[test]
    fn masking_is_idempotent_and_reversible(s in separated()) {
        let p = policy();
        let mut map = p.mask_map();
        let f1 = p.scan(&s);
        let m1 = map.mask(&s, &f1);
        let f2 = p.scan(&m1);
        let m2 = map.mask(&m1, &f2);
        prop_assert_eq!(&m1, &m2, "findings on masked text: {:?}", f2);
        let restored = map.restore(&m1).into_owned();
        prop_assert_eq!(restored, s);
    }
}
