//! Phase 1, authenticate: who is calling? Deny by default (Q13, limited users).
//!
//! Keys are mamori's own (`mk-…`), kept only as SHA-256 digests. The digest of
//! the presented key is looked up in a map and the match is then confirmed with
//! a constant-time comparison, so neither the lookup nor the compare leaks how
//! much of a key was right. The provider's key never takes part here.

use std::collections::HashMap;
use std::sync::Arc;

use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{AdminRole, AdminToken, StaffKey};
use crate::error::GatewayError;

/// An authenticated member of staff.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's entry: user, department, allowed models, policy.
    pub key: Arc<StaffKey>,
}

impl Caller {
    /// User id.
    pub fn user(&self) -> &str {
        &self.key.user
    }
    /// Department.
    pub fn department(&self) -> &str {
        &self.key.department
    }
}

/// An authenticated admin-API caller.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    /// Token label.
    pub name: String,
    /// What the token may do.
    pub role: AdminRole,
}

/// Who a presented credential belongs to.
pub enum Identity {
    /// A staff key.
    Staff(Caller),
    /// An admin or auditor token.
    Admin(AdminCaller),
}

/// Digest-indexed keys and tokens, built once from the settings.
#[derive(Default)]
pub struct KeyIndex {
    staff: HashMap<[u8; 32], Arc<StaffKey>>,
    admin: HashMap<[u8; 32], Arc<AdminToken>>,
}

impl KeyIndex {
    /// Indexes staff keys and admin tokens by digest.
    pub fn new(staff: &[StaffKey], admin: &[AdminToken]) -> Self {
        Self {
            staff: staff
                .iter()
                .map(|k| (k.hash, Arc::new(k.clone())))
                .collect(),
            admin: admin
                .iter()
                .map(|t| (t.hash, Arc::new(t.clone())))
                .collect(),
        }
    }

    /// Resolves the credential in `headers` to an identity.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Identity, GatewayError> {
        let presented = presented_key(headers).ok_or(GatewayError::MissingKey)?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        if let Some(k) = self.staff.get(&digest) {
            if bool::from(k.hash.ct_eq(&digest)) {
                return Ok(Identity::Staff(Caller { key: k.clone() }));
            }
        }
        if let Some(t) = self.admin.get(&digest) {
            if bool::from(t.hash.ct_eq(&digest)) {
                return Ok(Identity::Admin(AdminCaller {
                    name: t.name.clone(),
                    role: t.role,
                }));
            }
        }
        Err(GatewayError::InvalidKey)
    }

    /// Authenticates a staff caller; admin tokens cannot call models.
    pub fn staff(&self, headers: &HeaderMap) -> Result<Caller, GatewayError> {
        match self.identify(headers)? {
            Identity::Staff(c) => Ok(c),
            Identity::Admin(_) => Err(GatewayError::InvalidKey),
        }
    }

    /// Authenticates an admin-API caller; staff keys get 403.
    pub fn admin(&self, headers: &HeaderMap) -> Result<AdminCaller, GatewayError> {
        match self.identify(headers)? {
            Identity::Admin(a) => Ok(a),
            Identity::Staff(_) => Err(GatewayError::AdminOnly),
        }
    }
}

/// The key from `Authorization: Bearer …` or `api-key: …` (Azure style).
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        let token = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v)
            .trim();
        if !token.is_empty() {
            return Some(token);
        }
    }
    headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The config line digest of a key: `sha256:<hex>`.
pub fn key_digest(key: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(key.as_bytes())))
}
