//! `mamori scan` as a process, per CONTRACTS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before reading (e.g. a bad policy): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn jsonl_contract() {
    let input = concat!(
        "{\"id\": 7, \"text\": \"番号は１２３４５６７８９０１８、電話 03-1234-5678\"}\n",
        "not json\n",
        "{\"id\": \"b\"}\n",
        "{\"id\": \"c\", \"text\": \"no findings here\"}\n",
    );
    let (code, out, _) = run(
        &["scan", "--policy", "policies/default.toml", "--jsonl"],
        input,
    );
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], 7);
    let f = &lines[0]["findings"];
    assert_eq!(f[0]["type"], "my_number");
    assert_eq!(f[0]["start"], 3);
    assert_eq!(f[0]["end"], 15);
    assert_eq!(f[0]["action"], "block");
    assert_eq!(f[1]["type"], "phone_jp");
    assert_eq!(f[1]["action"], "mask");
    assert!(lines[1]["id"].is_null() && lines[1]["error"].is_string());
    assert_eq!(lines[2]["id"], "b");
    assert!(lines[2]["error"].is_string());
    assert_eq!(lines[3]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn allowed_types_are_reported() {
    let (_, out, _) = run(
        &["scan", "--policy", "policies/default.toml", "--jsonl"],
        "{\"id\":1,\"text\":\"法人番号 8700110005901\"}\n",
    );
    assert!(
        out.contains("\"type\":\"corporate_number\"") && out.contains("\"action\":\"allow\""),
        "{out}"
    );
}

#[test]
fn plain_text_summary_and_mask() {
    let (code, out, _) = run(
        &["scan", "--policy", "policies/default.toml"],
        "田中太郎様 090-1234-5678\n",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("person_name_jp") && out.contains("phone_jp"),
        "{out}"
    );
    assert!(out.contains("[氏名_1]様 [電話番号_1]"), "{out}");
    assert!(!out.contains("090-1234-5678"), "{out}");
}

#[test]
fn bad_policy_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, "[types]\nmy_number = \"explode\"\n").unwrap();
    let (code, _, err) = run(&["scan", "--policy", p.to_str().unwrap()], "x");
    assert_eq!(code, 2);
    assert!(
        err.contains("types.my_number") && err.contains("bad.toml"),
        "{err}"
    );
}
