//! `mamori serve`: load the config, bind the listeners, run until SIGTERM or
//! SIGINT, then drain in-flight requests within the grace period and exit 0.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Settings;
use crate::metrics::logging::{init_tracing, LogFormat};
use crate::server::{self, Listener};
use crate::state::AppState;

/// Arguments of `mamori serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Config file; without it the embedded demo config (mock provider, no network) runs.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Listen address, overriding `server.listen` (e.g. 127.0.0.1:0 for any free port).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory for the audit store, overriding `server.data_dir`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Log format: pretty or json.
    #[arg(long, default_value = "pretty", env = "MAMORI_LOG_FORMAT")]
    pub log_format: String,
}

/// Loads the config named on the command line, or the embedded demo.
pub fn load_settings(config: Option<&PathBuf>) -> Result<Settings, crate::config::ConfigError> {
    match config {
        Some(path) => Settings::load(path),
        None => {
            // The demo's relative paths are written from config/, as if the file were there.
            let base = std::env::current_dir().unwrap_or_default().join("config");
            Settings::demo(&base)
        }
    }
}

/// Runs the gateway.
pub fn run(args: ServeArgs) -> ExitCode {
    init_logging(&args.log_format);
    let mut settings = match load_settings(args.config.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mamori: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    if let Some(dir) = args.data_dir {
        settings.data_dir = dir;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mamori: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mamori: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let mut listeners = Vec::new();
    let plain = TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let plain_addr = plain.local_addr().map_err(|e| e.to_string())?;
    listeners.push(Listener {
        tcp: plain,
        tls: None,
        admin: false,
    });
    let mut tls_addr = None;
    if let Some(tls) = &settings.tls {
        let acceptor = server::tls_acceptor(&tls.cert, &tls.key).map_err(|e| e.to_string())?;
        let l = TcpListener::bind(tls.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", tls.listen))?;
        tls_addr = Some(l.local_addr().map_err(|e| e.to_string())?);
        listeners.push(Listener {
            tcp: l,
            tls: Some(acceptor),
            admin: false,
        });
    }
    let mut admin_addr = None;
    if let Some(addr) = settings.admin_listen {
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        admin_addr = Some(l.local_addr().map_err(|e| e.to_string())?);
        listeners.push(Listener {
            tcp: l,
            tls: None,
            admin: true,
        });
    }
    let source = settings.source.clone();
    let state = Arc::new(AppState::new(settings).map_err(|e| e.to_string())?);
    crate::reload::spawn(state.clone());
    if let Some(not_after) = state
        .settings
        .tls
        .as_ref()
        .and_then(|t| server::cert_not_after(&t.cert))
    {
        crate::metrics::events::TlsCertificateLoaded {
            not_after_unix: not_after,
        }
        .emit(&state.metrics);
    }
    // Scripts read this line to find the port when started with --listen 127.0.0.1:0.
    println!("mamori listening on http://{plain_addr}");
    if let Some(a) = tls_addr {
        println!("mamori listening on https://{a}");
    }
    if let Some(a) = admin_addr {
        println!("mamori admin listening on http://{a}");
    }
    tracing::info!(config = %source, http = %plain_addr, "mamori started");
    server::serve_all(listeners, state, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn init_logging(format: &str) {
    let format = format.parse().unwrap_or(LogFormat::Pretty);
    let filter = std::env::var("MAMORI_LOG").unwrap_or_default();
    if let Err(e) = init_tracing(format, &filter) {
        eprintln!("mamori: logging: {e}");
    }
}
