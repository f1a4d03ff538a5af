//! A real client: the official `openai` Python SDK against the demo gateway.
//!
//! Creates (or reuses) a venv at `<repo>/.venv`, installs `openai` from PyPI
//! into it, boots the built `mamori` binary with the embedded demo config on
//! 127.0.0.1:0, and runs `tests/python/sdk_test.py` against it with both
//! `OpenAI(base_url=…)` and `AzureOpenAI(azure_endpoint=…)`.
//!
//! The only allowed skip is a machine without python3; it prints
//! `SKIPPED: python3 not found`. Everything else (no venv module, no network
//! for pip, a failing check) fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The SDK versions the script is written for.
const OPENAI_REQUIREMENT: &str = "openai>=1.50,<3";
/// How long the server may take to print its listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long pip may take (first run only).
const PIP_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the Python checks may take (they take a few seconds).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(90);

/// Proxy variables that would send loopback traffic elsewhere.
const PROXY_VARS: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];
/// Variables the SDK reads that must not change what the script does.
const SDK_VARS: &[&str] = &[
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_AD_TOKEN",
    "OPENAI_LOG",
];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Finds a python3 interpreter: `$PYTHON3` if set, else `python3` on PATH.
fn find_python() -> Option<PathBuf> {
    let candidate = std::env::var_os("PYTHON3")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let ok = Command::new(&candidate)
        .args(["-c", "import sys; assert sys.version_info >= (3, 8)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then_some(candidate)
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// True if `python` can import the SDK at a version the script supports.
fn has_openai(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import openai, sys; sys.exit(0 if int(openai.__version__.split('.')[0]) in (1, 2) else 1)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs a command to completion within `limit`, returning its status and
/// combined output; kills it on timeout.
fn run_with_timeout(mut cmd: Command, limit: Duration, what: &str) -> (ExitStatus, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let out = out_t.join().unwrap_or_default();
            let err = err_t.join().unwrap_or_default();
            panic!("{what}: still running after {limit:?}; killed.\n{out}\n{err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut text = out_t.join().unwrap_or_default();
    let err = err_t.join().unwrap_or_default();
    if !err.is_empty() {
        text.push_str(&err);
    }
    (status, text)
}

/// Returns the venv's python, creating the venv and installing the SDK if needed.
fn ensure_venv(python3: &Path) -> PathBuf {
    let venv = repo_root().join(".venv");
    let py = venv_python(&venv);
    if py.exists() && has_openai(&py) {
        println!("reusing {} (openai already installed)", venv.display());
        return py;
    }
    if !py.exists() {
        println!("creating venv {}", venv.display());
        let mut cmd = Command::new(python3);
        cmd.args(["-m", "venv"]).arg(&venv);
        let (status, out) = run_with_timeout(cmd, PIP_TIMEOUT, "python3 -m venv");
        assert!(
            status.success(),
            "python3 -m venv {} failed ({status}); on Debian/Ubuntu install python3-venv.\n{out}",
            venv.display()
        );
    }
    println!(
        "installing '{OPENAI_REQUIREMENT}' from PyPI into {}",
        venv.display()
    );
    let mut cmd = Command::new(&py);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        OPENAI_REQUIREMENT,
    ]);
    let (status, out) = run_with_timeout(cmd, PIP_TIMEOUT, "pip install openai");
    assert!(
        status.success(),
        "pip install '{OPENAI_REQUIREMENT}' failed ({status}); PyPI must be reachable.\n{out}"
    );
    assert!(
        has_openai(&py),
        "openai is not importable after pip install:\n{out}"
    );
    py
}

/// The gateway process; killed (and reaped) when dropped, whatever happens.
struct Server {
    child: Child,
    stderr_log: PathBuf,
}

impl Server {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mamori serve` with the embedded demo config and returns it with its port.
fn start_server(data_dir: &Path, log_dir: &Path) -> (Server, u16) {
    let stderr_log = log_dir.join("mamori.stderr.log");
    let stderr = std::fs::File::create(&stderr_log).expect("create stderr log");
    let child = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .current_dir(repo_root())
        .env("MAMORI_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .expect("start mamori");
    let mut server = Server { child, stderr_log };
    let stdout = server.child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    // Reads the listening line, then keeps draining stdout so the server never blocks on it.
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent {
                if let Some(rest) = line.strip_prefix("mamori listening on http://") {
                    let port = rest.rsplit(':').next().and_then(|p| p.trim().parse().ok());
                    if let Some(port) = port {
                        let _ = tx.send(port);
                        sent = true;
                    }
                }
            }
        }
    });
    match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(port) => (server, port),
        Err(_) => {
            let status = server.child.try_wait().ok().flatten();
            panic!(
                "mamori did not print its listening line within {STARTUP_TIMEOUT:?} \
                 (exit status: {status:?}).\nstderr:\n{}",
                server.stderr()
            );
        }
    }
}

#[test]
fn official_openai_python_sdk_against_demo_gateway() {
    let Some(python3) = find_python() else {
        println!(
            "SKIPPED: python3 not found (set PYTHON3 or put python3 on PATH to run this test)"
        );
        return;
    };
    let py = ensure_venv(&python3);

    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let (mut server, port) = start_server(&data_dir, tmp.path());
    println!("mamori (demo config) listening on 127.0.0.1:{port}");

    let script = repo_root().join("tests").join("python").join("sdk_test.py");
    let mut cmd = Command::new(&py);
    cmd.arg(&script)
        .arg(port.to_string())
        .current_dir(repo_root())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for var in PROXY_VARS.iter().chain(SDK_VARS) {
        cmd.env_remove(var);
    }
    let started = Instant::now();
    let (status, output) = run_with_timeout(cmd, SCRIPT_TIMEOUT, "sdk_test.py");
    println!("{output}");
    println!("sdk_test.py finished in {:.1?}", started.elapsed());

    // The gateway must still be alive after the whole run.
    let alive = server.child.try_wait().expect("try_wait").is_none();
    assert!(
        status.success() && alive,
        "the SDK checks failed (script {status}, gateway alive: {alive}).\n\
         script output:\n{output}\ngateway stderr:\n{}",
        server.stderr()
    );
    assert!(
        output.contains("SUMMARY: ") && !output.contains("FAIL "),
        "unexpected script output:\n{output}"
    );
}
