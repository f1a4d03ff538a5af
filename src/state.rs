//! Everything the request handlers share, built once at start-up.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Settings;
use crate::metrics::{LabelBounds, Metrics, MetricsError};
use crate::pipeline::auth::KeyIndex;
use crate::providers::Provider;

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
        Ok(AppState {
            metrics,
            keys: KeyIndex::new(&settings.keys, &settings.admin_tokens),
            settings: Arc::new(settings),
            providers,
            provider_by_name,
        })
    }
}
