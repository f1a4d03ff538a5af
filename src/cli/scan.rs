//! `mamori scan`: run a policy over stdin (see CONTRACTS.md).
//!
//! With `--jsonl` it streams: one result line per input line, in order, flushed at the end,
//! so it scales to large corpora and a bad line never stops the run. Without it, stdin is
//! one plain text and the output is a summary for a person plus the masked text.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;

use crate::scan::{char_span, Action, Direction, Finding, Policy};

/// Arguments of `mamori scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Policy file to apply.
    #[arg(long)]
    pub policy: PathBuf,
    /// Read JSON lines `{"id", "text"}` and write one result line each.
    #[arg(long)]
    pub jsonl: bool,
}

#[derive(Serialize)]
struct OutFinding<'a> {
    #[serde(rename = "type")]
    ty: &'a str,
    start: usize,
    end: usize,
    action: &'static str,
}

#[derive(Serialize)]
struct OutLine<'a> {
    id: &'a Value,
    findings: Vec<OutFinding<'a>>,
}

#[derive(Serialize)]
struct ErrLine<'a> {
    id: &'a Value,
    error: &'a str,
}

/// Runs `mamori scan`.
pub fn run(args: ScanArgs) -> ExitCode {
    let policy = match Policy::from_file(&args.policy) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mamori scan: {e}");
            return ExitCode::from(2);
        }
    };
    let res = if args.jsonl {
        run_jsonl(&policy)
    } else {
        run_text(&policy)
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mamori scan: {e}");
            ExitCode::from(1)
        }
    }
}

fn findings_json<'a>(policy: &Policy, text: &str, findings: &'a [Finding]) -> Vec<OutFinding<'a>> {
    findings
        .iter()
        .map(|f| {
            let (start, end) = char_span(text, f);
            OutFinding {
                ty: f.type_name(),
                start,
                end,
                action: policy.finding_action(text, f, Direction::Request).as_str(),
            }
        })
        .collect()
}

/// One JSON result (or error) line for one input line.
fn line_result(policy: &Policy, line: &[u8]) -> Result<String, serde_json::Error> {
    let null = Value::Null;
    let parsed: Result<Value, String> = std::str::from_utf8(line)
        .map_err(|_| "line is not valid UTF-8".to_string())
        .and_then(|s| serde_json::from_str::<Value>(s).map_err(|e| format!("invalid JSON: {e}")));
    let v = match parsed {
        Ok(v) => v,
        Err(msg) => {
            return serde_json::to_string(&ErrLine {
                id: &null,
                error: &msg,
            })
        }
    };
    let id = v.get("id").unwrap_or(&null);
    let Some(text) = v.get("text").and_then(Value::as_str) else {
        return serde_json::to_string(&ErrLine {
            id,
            error: "missing string field \"text\"",
        });
    };
    let findings = policy.scan(text);
    serde_json::to_string(&OutLine {
        id,
        findings: findings_json(policy, text, &findings),
    })
}

fn run_jsonl(policy: &Policy) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let s = line_result(policy, line).map_err(std::io::Error::other)?;
        out.write_all(s.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn run_text(policy: &Policy) -> std::io::Result<()> {
    let mut text = String::new();
    std::io::stdin().lock().read_to_string(&mut text)?;
    let findings = policy.scan(&text);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(out, "policy: {}", policy.name())?;
    writeln!(out, "findings: {}", findings.len())?;
    let mut to_mask = Vec::new();
    for f in &findings {
        let (s, e) = char_span(&text, f);
        let action = policy.finding_action(&text, f, Direction::Request);
        writeln!(
            out,
            "  {:<22} chars {:>6}..{:<6} {}",
            f.type_name(),
            s,
            e,
            action.as_str()
        )?;
        if action >= Action::Mask {
            to_mask.push(f.clone());
        }
    }
    writeln!(
        out,
        "verdict (request): {}",
        policy
            .verdict(&text, &findings, Direction::Request)
            .as_str()
    )?;
    writeln!(
        out,
        "--- masked text (mask and block findings replaced) ---"
    )?;
    let mut map = policy.mask_map();
    let masked = map.mask(&text, &to_mask);
    out.write_all(masked.as_bytes())?;
    if !masked.ends_with('\n') {
        writeln!(out)?;
    }
    out.flush()
}
