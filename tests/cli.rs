//! The command-line contract: check-config and keys (issue 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn mamori() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mamori"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn shipped_configs_pass_check_config() {
    let out = mamori()
        .args(["check-config", "--config", "config/demo.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("gpt-4o-mini") && stdout.contains("text-embedding-3-small"));
    assert!(stdout.contains("総務課") && stdout.contains("情報政策課"));

    // The production example points at /etc/mamori/policies; check it against the repo's policies.
    let tmp = tempfile::tempdir().unwrap();
    let prod =
        std::fs::read_to_string(format!("{}/config/mamori.toml", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .replace(
                "/etc/mamori/policies",
                &format!("{}/policies", env!("CARGO_MANIFEST_DIR")),
            );
    let prod_path = tmp.path().join("mamori.toml");
    std::fs::write(&prod_path, prod).unwrap();
    let out = mamori()
        .args(["check-config", "--config"])
        .arg(&prod_path)
        .env("OPENAI_API_KEY", "sk-test-secret-value-1")
        .env("AZURE_OPENAI_API_KEY", "azure-secret-value-2")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("env:OPENAI_API_KEY"));
    assert!(
        !stdout.contains("sk-test-secret-value-1") && !stdout.contains("azure-secret-value-2"),
        "secrets never printed"
    );
}

#[test]
fn bad_config_exits_2_naming_file_key_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[server]\nlisten = \"nowhere\"\n", "server.listen"),
        ("[[providers]]\nname = \"x\"\nkind = \"bogus\"\n", "providers[0].kind"),
        ("[[providers]]\nname = \"x\"\nkind = \"openai\"\napi_key = \"env:MAMORI_TEST_UNSET_VAR\"\n", "providers[0].api_key"),
        ("[[models]]\nname = \"m\"\nprovider = \"nope\"\n", "models[0].provider"),
        ("[[keys]]\nuser = \"u\"\ndepartment = \"d\"\nhash = \"abc\"\n", "keys[0].hash"),
        ("[server]\nlisten = \"127.0.0.1:1\"\ntypo_key = 1\n", "(syntax)"),
    ];
    for (i, (text, key)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = mamori()
            .args(["check-config", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "case {i}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("bad{i}.toml")),
            "names the file: {err}"
        );
        assert!(err.contains(key), "names the key {key}: {err}");
    }
    let out = mamori()
        .args(["check-config", "--config", "/nonexistent/x.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn keys_new_prints_a_key_and_only_its_hash_for_the_config() {
    let out = mamori()
        .args(["keys", "new", "--user", "tanaka", "--department", "総務課"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("key: "))
        .unwrap()
        .trim()
        .to_owned();
    assert!(key.starts_with("mk-") && key.len() > 40);
    let (_, config) = stdout.split_once("[[keys]]").unwrap();
    assert!(!config.contains(&key), "config block holds only the hash");
    assert!(config.contains("user = \"tanaka\""));
    let parsed: toml::Value = toml::from_str(&format!("[[keys]]{config}")).unwrap();
    let hash = parsed["keys"][0]["hash"].as_str().unwrap();
    use sha2::Digest;
    assert_eq!(
        hash,
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(key.as_bytes()))
        )
    );
    // Two runs never give the same key.
    let again = mamori()
        .args(["keys", "new", "--user", "tanaka", "--department", "総務課"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&again.stdout).contains(&key));
}

#[test]
fn serve_runs_the_embedded_demo_and_exits_0_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let mut child = mamori()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("mamori listening on http://")
        .unwrap()
        .to_owned();
    // A real request through the demo config's mock provider.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::{Read, Write};
    let body = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"demo"}]}"#;
    write!(
        s,
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer mk-demo-alice\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        resp.contains("\"content\":\"demo\\n\\n※この回答は生成AI"),
        "{resp}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
}
