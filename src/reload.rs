//! Policy reload without downtime: on SIGHUP and whenever a file in the policy
//! folder changes. The new set is loaded and validated whole, then swapped in
//! atomically; requests in flight keep the version they started with. An
//! invalid policy is refused with a clear log line and the old set stays.

use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::metrics::events::PolicyReloaded;
use crate::state::AppState;

/// Changes arriving within this window are reloaded once.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// Reloads now and reports the outcome in logs and metrics.
pub fn reload_now(state: &AppState) -> Result<usize, String> {
    let result = state.reload_policies();
    match &result {
        Ok(n) => {
            tracing::info!(policies = n, "policies reloaded");
            PolicyReloaded {
                ok: true,
                error: None,
            }
            .emit(&state.metrics);
        }
        Err(e) => {
            PolicyReloaded {
                ok: false,
                error: Some(e),
            }
            .emit(&state.metrics);
        }
    }
    result
}

/// Starts the SIGHUP listener and the folder watcher; they run until the process exits.
pub fn spawn(state: Arc<AppState>) {
    let (tx, mut rx) = mpsc::channel::<()>(1);
    #[cfg(unix)]
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let Ok(mut hup) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            else {
                tracing::warn!("cannot listen for SIGHUP; policy reload only on file change");
                return;
            };
            while hup.recv().await.is_some() {
                let _ = tx.try_send(());
            }
        });
    }
    let dir = state.settings.policy_dir.clone();
    let watch_tx = tx.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(ev) = event {
            if !ev.kind.is_access() {
                let _ = watch_tx.try_send(());
            }
        }
    });
    let watcher = match watcher {
        Ok(mut w) => match w.watch(&dir, RecursiveMode::Recursive) {
            Ok(()) => Some(w),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the policy folder; reload on SIGHUP only");
                None
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "no file watcher; reload on SIGHUP only");
            None
        }
    };
    tokio::spawn(async move {
        // The watcher lives as long as this task.
        let _watcher = watcher;
        while rx.recv().await.is_some() {
            tokio::time::sleep(DEBOUNCE).await;
            while rx.try_recv().is_ok() {}
            let _ = reload_now(&state);
        }
    });
}
