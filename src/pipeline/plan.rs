//! Phase 2, resolve the use plan: what this caller may do with this request.
//!
//! A staff key either belongs to a use plan (利用計画書, issue 7) or carries
//! its own settings. For a plan key, config loading has already copied the
//! plan's models, policy, notice and public flag onto the key; what is left
//! for request time is what depends on the day and on the request: the
//! plan's period and user scope ([`admit`], before a byte of body is read),
//! and its model list ([`resolve`]). The plan's confidentiality class is
//! enforced by the scan phase through [`UsePlan::ceiling`].

use crate::config::{ModelRoute, Plan, Settings};
use crate::error::{GatewayError, PlanRefusal};

use super::auth::Caller;
use super::scan::ClassCeiling;

/// The caller's plan, once its period and scope have been checked.
#[derive(Debug, Clone, Copy)]
pub struct Admission<'a> {
    /// The plan, when the key belongs to one.
    pub plan: Option<&'a Plan>,
}

/// What the caller may do, resolved for one request.
#[derive(Debug, Clone)]
pub struct UsePlan<'a> {
    /// The model route the request goes to.
    pub route: &'a ModelRoute,
    /// Policy name to scan with.
    pub policy: &'a str,
    /// The use plan, when the key belongs to one.
    pub plan: Option<&'a Plan>,
}

impl UsePlan<'_> {
    /// The highest confidentiality class the request may carry.
    pub fn ceiling(&self) -> Option<ClassCeiling<'_>> {
        self.plan.map(|p| ClassCeiling {
            plan: &p.id,
            class: p.class,
        })
    }
}

/// Checks the period (today, at the governance offset) and scope of the caller's plan
/// (`settings.plan_of` the caller's key).
pub fn admit<'a>(
    settings: &Settings,
    plan: Option<&'a Plan>,
    caller: &Caller,
) -> Result<Admission<'a>, GatewayError> {
    let Some(plan) = plan else {
        return Ok(Admission { plan: None });
    };
    if !plan.in_period(settings.today()) {
        return Err(GatewayError::PlanViolation(PlanRefusal::OutOfPeriod {
            plan: plan.id.clone(),
            start: plan.start.to_string(),
            end: plan.end.to_string(),
        }));
    }
    if !plan.in_scope(caller.user(), caller.department()) {
        return Err(GatewayError::PlanViolation(PlanRefusal::OutOfScope {
            plan: plan.id.clone(),
        }));
    }
    Ok(Admission { plan: Some(plan) })
}

/// Checks the model against configuration, the caller's key and its plan.
pub fn resolve<'a>(
    settings: &'a Settings,
    admission: Admission<'a>,
    caller: &'a Caller,
    model: &str,
) -> Result<UsePlan<'a>, GatewayError> {
    let route = settings
        .model(model)
        .ok_or_else(|| GatewayError::UnknownModel(model.to_owned()))?;
    if !caller.key.allows_model(&route.name) {
        return Err(match admission.plan {
            Some(plan) if !plan.models.contains(&route.name) => {
                GatewayError::PlanViolation(PlanRefusal::ModelNotInPlan {
                    plan: plan.id.clone(),
                    model: model.to_owned(),
                })
            }
            _ => GatewayError::ModelNotAllowed(model.to_owned()),
        });
    }
    Ok(UsePlan {
        route,
        policy: &caller.key.policy,
        plan: admission.plan,
    })
}
