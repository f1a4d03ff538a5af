//! Everything the request handlers share, built once at start-up.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::config::Settings;
use crate::metrics::{LabelBounds, Metrics, MetricsError};
use crate::pipeline::auth::KeyIndex;
use crate::providers::Provider;
use crate::scan::{Policy, PolicyError, PolicySet};

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
        source: reqwest::Error,
    },
    /// The policies could not be loaded or a key names a missing policy.
    #[error("{0}")]
    Policy(String),
    /// The metrics registry could not be built.
    #[error("metrics: {0}")]
    Metrics(#[from] MetricsError),
}

impl AppState {
    /// Builds the state from settings.
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
        Ok(AppState {
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

/// Every policy a key or the default names must exist.
fn check_policy_names(settings: &Settings, set: &PolicySet) -> Result<(), String> {
    let missing = |name: &str| set.get(name).is_none();
    if missing(&settings.default_policy) {
        return Err(format!(
            "policies.default: no policy named '{}' in {}",
            settings.default_policy,
            settings.policy_dir.display()
        ));
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
