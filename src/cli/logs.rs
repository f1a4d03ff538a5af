//! `mamori logs`: search, show, export, stats and verify the audit store on a
//! data directory. The store is opened without creating it; sled locks the
//! directory, so these commands fail with a clear message (exit 2) while a
//! server holds it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::store::{AuditStore, ExportFormat, Filter, StoreConfig, StoreError, Verdict};

/// Filter flags shared by search, export and stats.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only this user.
    #[arg(long)]
    pub user: Option<String>,
    /// Only this department.
    #[arg(long)]
    pub department: Option<String>,
    /// Only this use plan.
    #[arg(long)]
    pub plan: Option<String>,
    /// Only this model.
    #[arg(long)]
    pub model: Option<String>,
    /// Only this verdict (allowed, masked, warned, blocked, upstream_error, error).
    #[arg(long)]
    pub verdict: Option<Verdict>,
    /// Only records with a finding of this detector type.
    #[arg(long = "type")]
    pub detector: Option<String>,
    /// From this time, inclusive (RFC 3339, or YYYY-MM-DD meaning 00:00 UTC).
    #[arg(long, value_parser = parse_time)]
    pub from: Option<OffsetDateTime>,
    /// Until this time, exclusive (RFC 3339, or YYYY-MM-DD meaning 00:00 UTC).
    #[arg(long, value_parser = parse_time)]
    pub to: Option<OffsetDateTime>,
    /// Case-insensitive substring of the prompt or output.
    #[arg(long)]
    pub text: Option<String>,
}

impl From<Box<FilterArgs>> for Filter {
    fn from(a: Box<FilterArgs>) -> Self {
        Filter {
            user: a.user,
            department: a.department,
            plan: a.plan,
            model: a.model,
            verdict: a.verdict,
            detector: a.detector,
            from: a.from,
            to: a.to,
            text: a.text,
        }
    }
}

fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| format!("{s:?} is neither RFC 3339 nor YYYY-MM-DD"))
}

/// `mamori logs` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LogsCommand {
    /// Search records, newest first; prints JSON lines (next cursor on stderr).
    Search {
        /// Data directory holding the audit store.
        #[arg(long)]
        data_dir: PathBuf,
        /// Filters.
        #[command(flatten)]
        filter: Box<FilterArgs>,
        /// Records per page (max 1000).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Continue after this cursor (printed by the previous page).
        #[arg(long)]
        cursor: Option<String>,
        /// Print a table instead of JSON lines.
        #[arg(long)]
        table: bool,
    },
    /// Print one record with its feedback as pretty JSON.
    Show {
        /// Data directory holding the audit store.
        #[arg(long)]
        data_dir: PathBuf,
        /// Record id (x-request-id).
        id: String,
    },
    /// Export matching records, oldest first.
    Export {
        /// Data directory holding the audit store.
        #[arg(long)]
        data_dir: PathBuf,
        /// Filters.
        #[command(flatten)]
        filter: Box<FilterArgs>,
        /// jsonl or csv.
        #[arg(long, default_value = "jsonl")]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Start CSV with a UTF-8 byte order mark, so Excel reads it as UTF-8.
        #[arg(long)]
        bom: bool,
    },
    /// Print aggregate counts as JSON.
    Stats {
        /// Data directory holding the audit store.
        #[arg(long)]
        data_dir: PathBuf,
        /// Filters.
        #[command(flatten)]
        filter: Box<FilterArgs>,
    },
    /// Walk the hash chain and report the first break (exit 0 intact, 1 broken, 2 error).
    Verify {
        /// Data directory holding the audit store.
        #[arg(long)]
        data_dir: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn open(dir: &Path) -> Result<AuditStore, StoreError> {
    let cfg = StoreConfig {
        create_if_missing: false,
        ..StoreConfig::default()
    };
    // The writer half is dropped: the CLI only reads (appends would fail with `Closed`).
    AuditStore::open(dir, cfg).map(|(store, _writer)| store)
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("mamori logs: {e}");
    ExitCode::from(2)
}

/// Runs `mamori logs …`.
pub fn run(cmd: LogsCommand) -> ExitCode {
    match cmd {
        LogsCommand::Search {
            data_dir,
            filter,
            limit,
            cursor,
            table,
        } => search(&data_dir, filter.into(), cursor.as_deref(), limit, table),
        LogsCommand::Show { data_dir, id } => show(&data_dir, &id),
        LogsCommand::Export {
            data_dir,
            filter,
            format,
            out,
            bom,
        } => export(
            &data_dir,
            filter.into(),
            format,
            out.as_deref(),
            bom && format == ExportFormat::Csv,
        ),
        LogsCommand::Stats { data_dir, filter } => stats(&data_dir, filter.into()),
        LogsCommand::Verify { data_dir, json } => verify(&data_dir, json),
    }
}

fn search(dir: &Path, f: Filter, cursor: Option<&str>, limit: usize, table: bool) -> ExitCode {
    let store = match open(dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let page = match store.search(&f, cursor, limit) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let res: std::io::Result<()> = (|| {
        if table {
            writeln!(
                out,
                "{:<6} {:<26} {:<25} {:<12} {:<14} {:<16} {:<14} findings",
                "seq", "id", "time", "user", "department", "model", "verdict"
            )?;
            for s in &page.records {
                let r = &s.record;
                let time = r.time.format(&Rfc3339).unwrap_or_default();
                let findings = r
                    .findings
                    .iter()
                    .map(|f| format!("{}×{}", f.kind, f.count))
                    .collect::<Vec<_>>()
                    .join(",");
                writeln!(
                    out,
                    "{:<6} {:<26} {:<25} {:<12} {:<14} {:<16} {:<14} {}",
                    s.seq, r.id, time, r.user, r.department, r.model, r.verdict, findings
                )?;
            }
        } else {
            for s in &page.records {
                serde_json::to_writer(&mut out, s)?;
                writeln!(out)?;
            }
        }
        out.flush()
    })();
    if let Err(e) = res {
        return fail(e);
    }
    if let Some(c) = page.next_cursor {
        eprintln!("next_cursor: {c}");
    }
    ExitCode::SUCCESS
}

fn show(dir: &Path, id: &str) -> ExitCode {
    let store = match open(dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    match store.get(id) {
        Ok(Some(s)) => match serde_json::to_string_pretty(&s) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Ok(None) => {
            eprintln!("mamori logs: no record with id {id}");
            ExitCode::from(1)
        }
        Err(e) => fail(e),
    }
}

fn export(dir: &Path, f: Filter, format: ExportFormat, out: Option<&Path>, bom: bool) -> ExitCode {
    let store = match open(dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let run = |mut w: &mut dyn Write| -> Result<u64, StoreError> {
        if bom {
            w.write_all(crate::store::UTF8_BOM.as_bytes())
                .map_err(|e| StoreError::Export(e.to_string()))?;
        }
        store.export(&f, format, &mut w)
    };
    let result = match out {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => run(&mut std::io::BufWriter::new(file)),
            Err(e) => return fail(format!("cannot create {}: {e}", path.display())),
        },
        None => {
            let stdout = std::io::stdout();
            run(&mut std::io::BufWriter::new(stdout.lock()))
        }
    };
    match result {
        Ok(n) => {
            eprintln!("exported {n} records");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn stats(dir: &Path, f: Filter) -> ExitCode {
    let store = match open(dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    match store
        .stats(&f)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::to_string_pretty(&s).map_err(|e| e.to_string()))
    {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn verify(dir: &Path, json: bool) -> ExitCode {
    let store = match open(dir) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let report = match store.verify() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(t) => println!("{t}"),
            Err(e) => return fail(e),
        }
    } else {
        println!("records checked: {}", report.checked);
        if let (Some(a), Some(b)) = (report.first_seq, report.last_seq) {
            println!("seq range: {a}..={b}");
        }
        if let Some(a) = &report.anchor {
            println!("retention anchor: seq {} hash {}", a.seq, a.hash);
        }
        if let Some(h) = &report.head {
            println!("chain head: seq {} hash {}", h.seq, h.hash);
        }
        match &report.first_break {
            None => println!("OK: chain intact"),
            Some(b) => println!(
                "BROKEN: {:?} at seq {}{}: {}",
                b.kind,
                b.seq,
                b.id.as_deref()
                    .map(|i| format!(" (id {i})"))
                    .unwrap_or_default(),
                b.detail
            ),
        }
    }
    if report.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
