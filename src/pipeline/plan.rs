//! Phase 2, resolve the use plan: what this caller may do with this request.
//!
//! Today a plan comes from the staff key (allowed models, policy); use plans
//! (利用計画書, issue 7) will take over here without the other phases changing.

use crate::config::{ModelRoute, Settings};
use crate::error::GatewayError;

use super::auth::Caller;

/// What the caller may do, resolved for one request.
#[derive(Debug, Clone)]
pub struct UsePlan<'a> {
    /// The model route the request goes to.
    pub route: &'a ModelRoute,
    /// Policy name to scan with.
    pub policy: &'a str,
}

/// Checks the model against configuration and the caller's rights.
pub fn resolve<'a>(
    settings: &'a Settings,
    caller: &'a Caller,
    model: &str,
) -> Result<UsePlan<'a>, GatewayError> {
    let route = settings
        .model(model)
        .ok_or_else(|| GatewayError::UnknownModel(model.to_owned()))?;
    if !caller.key.allows_model(&route.name) {
        return Err(GatewayError::ModelNotAllowed(model.to_owned()));
    }
    Ok(UsePlan {
        route,
        policy: &caller.key.policy,
    })
}
