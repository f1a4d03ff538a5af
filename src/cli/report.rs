//! `mamori report --plan ID`: the usage plan filled in with what the audit
//! store measured (see [`crate::report`]). Reads the config for the plan's
//! fields and opens the store read-only; sled locks the data directory, so
//! while a server holds it use `GET /admin/reports/{plan}` instead.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use time::{Date, OffsetDateTime};

use crate::report::{self, parse_day, DayRange, ReportFormat};
use crate::store::{AuditStore, StoreConfig};

/// Arguments of `mamori report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The use plan's id.
    #[arg(long)]
    pub plan: String,
    /// Config file; without it the embedded demo config.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data directory of the audit store, overriding `server.data_dir`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// First day covered, inclusive (YYYY-MM-DD at governance.utc_offset).
    #[arg(long, value_parser = parse_day)]
    pub from: Option<Date>,
    /// Last day covered, inclusive (YYYY-MM-DD at governance.utc_offset).
    #[arg(long, value_parser = parse_day)]
    pub to: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Start CSV with a UTF-8 byte order mark, so Excel reads it as UTF-8.
    #[arg(long)]
    pub bom: bool,
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("mamori report: {e}");
    ExitCode::from(2)
}

/// Runs `mamori report`.
pub fn run(args: ReportArgs) -> ExitCode {
    let mut settings = match super::serve::load_settings(args.config.as_ref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Some(dir) = args.data_dir {
        settings.data_dir = dir;
    }
    if settings.plan(&args.plan).is_none() {
        let ids: Vec<&str> = settings.plans.iter().map(|p| p.id.as_str()).collect();
        return fail(format!(
            "no use plan with id '{}' in {} (plans: {})",
            args.plan,
            settings.source,
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.join(", ")
            }
        ));
    }
    let cfg = StoreConfig {
        create_if_missing: false,
        stats_utc_offset: settings.utc_offset,
        ..StoreConfig::default()
    };
    let store = match AuditStore::open(&settings.data_dir, cfg) {
        Ok((store, _writer)) => store,
        Err(e) => {
            return fail(format!(
                "cannot open the audit store in {}: {e} (while a server runs, use GET /admin/reports/{})",
                settings.data_dir.display(),
                args.plan
            ))
        }
    };
    let range = DayRange {
        from: args.from,
        to: args.to,
    };
    let built = match report::build(
        &settings,
        &store,
        &args.plan,
        range,
        OffsetDateTime::now_utc(),
    ) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut text = match report::render(&built, args.format) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    if args.bom && args.format == ReportFormat::Csv {
        text.insert_str(0, crate::store::UTF8_BOM);
    }
    let written = match &args.out {
        Some(path) => std::fs::write(path, text.as_bytes()),
        None => std::io::stdout().lock().write_all(text.as_bytes()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the report: {e}")),
    }
}
