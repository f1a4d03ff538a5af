//! Everything the request handlers share, built once at start-up.

use std::collections::HashMap;
use std::sync::Arc;

use std::sync::Mutex;

use arc_swap::ArcSwap;
use tokio::sync::oneshot;

use crate::config::Settings;
use crate::metrics::{LabelBounds, Metrics, MetricsError};
use crate::pipeline::auth::KeyIndex;
use crate::providers::Provider;
use crate::scan::{Policy, PolicyError, PolicySet};
use crate::store::{AuditStore, StoreConfig};

/// Shared, read-only gateway state.
pub struct AppState {
    /// Validated configuration.
    pub settings: Arc<Settings>,
    /// Staff keys and admin tokens by digest.
    pub keys: KeyIndex,
    /// Upstreams by index (as in `settings.providers`).
    pub providers: Vec<Provider>,
    /// Provider index by name.
    pub provider_by_name: HashMap<String, usize>,
    /// Prometheus collectors.
    pub metrics: Metrics,
    /// Policies in force; swapped whole on reload, so a request sees one version.
    pub policies: ArcSwap<PolicySet>,
    /// The audit log.
    pub store: AuditStore,
    audit_stop: Mutex<Option<oneshot::Sender<()>>>,
    audit_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// An HTTP client could not be built (TLS roots, ...).
    #[error("provider {name}: cannot build HTTP client: {source}")]
    Client {
        /// Provider name.
        name: String,
        /// Cause.
        source: crate::providers::ClientError,
    },
    /// The policies could not be loaded or a key names a missing policy.
    #[error("{0}")]
    Policy(String),
    /// The audit store could not be opened.
    #[error("audit store in {dir}: {source}")]
    Store {
        /// Data directory.
        dir: String,
        /// Cause.
        source: crate::store::StoreError,
    },
    /// The metrics registry could not be built.
    #[error("metrics: {0}")]
    Metrics(#[from] MetricsError),
}

impl AppState {
    /// Builds the state from settings: opens the audit store and starts its
    /// writer (and retention) tasks, so it must run inside the Tokio runtime.
    pub fn new(settings: Settings) -> Result<AppState, StateError> {
        let mut providers = Vec::with_capacity(settings.providers.len());
        let mut provider_by_name = HashMap::new();
        for (i, p) in settings.providers.iter().enumerate() {
            let provider = Provider::new(p.clone(), &settings.timeouts).map_err(|source| {
                StateError::Client {
                    name: p.name.clone(),
                    source,
                }
            })?;
            provider_by_name.insert(p.name.clone(), i);
            providers.push(provider);
        }
        let bounds = LabelBounds::new()
            .with_models(settings.models.iter().map(|m| m.name.clone()))
            .with_departments(settings.keys.iter().map(|k| k.department.clone()))
            .with_providers(settings.providers.iter().map(|p| p.name.clone()));
        let metrics = Metrics::new(settings.per_user_metrics)?.with_label_bounds(bounds);
        let policies = load_policies(&settings).map_err(|e| StateError::Policy(e.to_string()))?;
        check_policy_names(&settings, &policies).map_err(StateError::Policy)?;
        let store_cfg = StoreConfig {
            durability: settings.audit.durability,
            queue_capacity: settings.audit.queue_capacity,
            retention_days: settings.effective_retention_days(),
            stats_utc_offset: settings.utc_offset,
            ..StoreConfig::default()
        };
        let (store, writer) =
            AuditStore::open(&settings.data_dir, store_cfg).map_err(|source| {
                StateError::Store {
                    dir: settings.data_dir.display().to_string(),
                    source,
                }
            })?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let audit_task = tokio::spawn(writer.run(async {
            let _ = stop_rx.await;
        }));
        if settings.effective_retention_days().is_some() {
            // Ends with the process; a purge in progress is atomic per batch.
            tokio::spawn(crate::store::run_retention(
                store.clone(),
                std::time::Duration::from_secs(3600),
                std::future::pending::<()>(),
            ));
        }
        Ok(AppState {
            store,
            audit_stop: Mutex::new(Some(stop_tx)),
            audit_task: Mutex::new(Some(audit_task)),
            metrics,
            policies: ArcSwap::from_pointee(policies),
            keys: KeyIndex::new(&settings.keys, &settings.admin_tokens),
            settings: Arc::new(settings),
            providers,
            provider_by_name,
        })
    }
}

impl AppState {
    /// Stops the audit writer after it has written everything queued.
    pub async fn close_audit(&self) {
        let stop = self.audit_stop.lock().ok().and_then(|mut g| g.take());
        let task = self.audit_task.lock().ok().and_then(|mut g| g.take());
        if let Some(tx) = stop {
            let _ = tx.send(());
        }
        if let Some(t) = task {
            let _ = t.await;
        }
    }

    /// The named policy, as currently in force.
    pub fn policy(&self, name: &str) -> Option<Arc<Policy>> {
        self.policies.load().get(name)
    }

    /// Reloads the policy directory; on any error the old policies stay in force.
    pub fn reload_policies(&self) -> Result<usize, String> {
        let set = load_policies(&self.settings).map_err(|e| e.to_string())?;
        check_policy_names(&self.settings, &set)?;
        let n = set.len();
        self.policies.store(Arc::new(set));
        Ok(n)
    }
}

/// The embedded policies, used by the embedded demo when no policies folder is at hand.
const EMBEDDED_POLICIES: [(&str, &str); 2] = [
    ("default", include_str!("../policies/default.toml")),
    ("strict", include_str!("../policies/strict.toml")),
];

/// Loads the configured policy directory (or, for the embedded demo without
/// one, the embedded policies).
pub fn load_policies(settings: &Settings) -> Result<PolicySet, PolicyError> {
    if !settings.policy_dir.exists() && settings.source == crate::config::EMBEDDED_SOURCE {
        let mut set = PolicySet::default();
        for (name, text) in EMBEDDED_POLICIES {
            set.insert(Policy::from_toml_str(name, text, &settings.policy_dir)?);
        }
        return Ok(set);
    }
    PolicySet::load_dir(&settings.policy_dir)
}

/// Every policy a key, a plan or the default names must exist.
pub fn check_policy_names(settings: &Settings, set: &PolicySet) -> Result<(), String> {
    let missing = |name: &str| set.get(name).is_none();
    if missing(&settings.default_policy) {
        return Err(format!(
            "policies.default: no policy named '{}' in {}",
            settings.default_policy,
            settings.policy_dir.display()
        ));
    }
    for (i, p) in settings.plans.iter().enumerate() {
        if missing(&p.policy) {
            return Err(format!(
                "plans[{i}].policy: no policy named '{}' in {}",
                p.policy,
                settings.policy_dir.display()
            ));
        }
    }
    for (i, k) in settings.keys.iter().enumerate() {
        if missing(&k.policy) {
            return Err(format!(
                "keys[{i}].policy: no policy named '{}' in {}",
                k.policy,
                settings.policy_dir.display()
            ));
        }
    }
    Ok(())
}
