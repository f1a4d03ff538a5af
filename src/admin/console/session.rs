//! Console sessions: a server-side table keyed by the SHA-256 of a random
//! session id, so a dump of the table (or a log line) cannot be replayed as a
//! cookie. Each session carries its own CSRF token.
//!
//! Sessions expire after `console.idle_timeout_secs` without a request and
//! `console.absolute_timeout_secs` after sign-in, whichever comes first; expired
//! entries are dropped when met and swept whenever a new session is created.
//! The table lives in memory: a restart signs everyone out, which is the safe
//! direction for an audit tool.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::AdminRole;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "mamori_console";
/// Name of the pre-sign-in cookie that protects the login form (double submit).
pub const LOGIN_COOKIE: &str = "mamori_console_login";
/// Most live sessions; beyond it the oldest is evicted (bounds memory).
const MAX_SESSIONS: usize = 10_000;
/// Failed sign-ins from one address within [`FAIL_WINDOW`] before it must wait.
pub const MAX_FAILURES: u32 = 10;
/// Window over which failed sign-ins are counted.
const FAIL_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most addresses tracked for failures (bounds memory under a spray).
const MAX_FAIL_ENTRIES: usize = 10_000;

/// A fresh random token (32 bytes from the OS CSPRNG, hex).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Constant-time string equality (for CSRF tokens).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// A signed-in auditor or admin, as the pages see them.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Token label from the config (`admin_tokens.name`).
    pub name: String,
    /// What the token may do.
    pub role: AdminRole,
    /// This session's CSRF token, put into every form.
    pub csrf: String,
}

impl Viewer {
    /// Whether the viewer may run admin actions.
    pub fn is_admin(&self) -> bool {
        self.role == AdminRole::Admin
    }
}

struct Entry {
    viewer: Viewer,
    created: Instant,
    last_seen: Instant,
}

/// The session table and the failed-sign-in counters.
#[derive(Default)]
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Entry>>,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Longest gap between requests.
    pub idle: Duration,
    /// Longest session.
    pub absolute: Duration,
}

impl Entry {
    fn alive(&self, now: Instant, life: Lifetimes) -> bool {
        now.duration_since(self.last_seen) < life.idle
            && now.duration_since(self.created) < life.absolute
    }
}

impl Sessions {
    /// Starts a session; returns the id for the cookie (only its hash is kept).
    pub fn create(&self, name: String, role: AdminRole, life: Lifetimes) -> String {
        let id = random_token();
        let now = Instant::now();
        let entry = Entry {
            viewer: Viewer {
                name,
                role,
                csrf: random_token(),
            },
            created: now,
            last_seen: now,
        };
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        t.retain(|_, e| e.alive(now, life));
        if t.len() >= MAX_SESSIONS {
            let oldest = t.iter().min_by_key(|(_, e)| e.last_seen).map(|(k, _)| *k);
            if let Some(k) = oldest {
                t.remove(&k);
            }
        }
        t.insert(digest(&id), entry);
        id
    }

    /// The live session for a cookie value, refreshing its idle timer.
    pub fn touch(&self, id: &str, life: Lifetimes) -> Option<Viewer> {
        let key = digest(id);
        let now = Instant::now();
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let alive = t.get(&key).map(|e| e.alive(now, life))?;
        if !alive {
            t.remove(&key);
            return None;
        }
        let e = t.get_mut(&key)?;
        e.last_seen = now;
        Some(e.viewer.clone())
    }

    /// Ends a session (sign-out).
    pub fn remove(&self, id: &str) {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        t.remove(&digest(id));
    }

    /// Whether `addr` has failed too often recently and must wait.
    pub fn locked_out(&self, addr: Option<IpAddr>) -> bool {
        let Some(addr) = addr else { return false };
        let f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f.get(&addr)
            .is_some_and(|(since, n)| since.elapsed() < FAIL_WINDOW && *n >= MAX_FAILURES)
    }

    /// Counts a failed sign-in from `addr`.
    pub fn note_failure(&self, addr: Option<IpAddr>) {
        let Some(addr) = addr else { return };
        let now = Instant::now();
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if f.len() >= MAX_FAIL_ENTRIES {
            f.retain(|_, (since, _)| now.duration_since(*since) < FAIL_WINDOW);
        }
        let e = f.entry(addr).or_insert((now, 0));
        if now.duration_since(e.0) >= FAIL_WINDOW {
            *e = (now, 0);
        }
        e.1 = e.1.saturating_add(1);
    }

    /// Clears the failure count of `addr` after a successful sign-in.
    pub fn note_success(&self, addr: Option<IpAddr>) {
        if let Some(addr) = addr {
            let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            f.remove(&addr);
        }
    }
}

/// The value of cookie `name` in a `Cookie` request header.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value scoped to the console; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/admin");
    if let Some(s) = max_age {
        c.push_str(&format!("; Max-Age={s}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const LIFE: Lifetimes = Lifetimes {
        idle: Duration::from_secs(60),
        absolute: Duration::from_secs(600),
    };

    #[test]
    fn a_session_is_found_by_its_id_only() {
        let s = Sessions::default();
        let id = s.create("a".into(), AdminRole::Auditor, LIFE);
        assert_eq!(id.len(), 64);
        let v = s.touch(&id, LIFE).unwrap();
        assert_eq!(v.name, "a");
        assert_eq!(v.csrf.len(), 64);
        assert!(s.touch("nope", LIFE).is_none());
        s.remove(&id);
        assert!(s.touch(&id, LIFE).is_none());
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let s = Sessions::default();
        let id = s.create("a".into(), AdminRole::Admin, LIFE);
        let zero = Lifetimes {
            idle: Duration::ZERO,
            absolute: Duration::from_secs(600),
        };
        assert!(s.touch(&id, zero).is_none());
        let id = s.create("a".into(), AdminRole::Admin, LIFE);
        let old = Lifetimes {
            idle: Duration::from_secs(60),
            absolute: Duration::ZERO,
        };
        assert!(s.touch(&id, old).is_none());
    }

    #[test]
    fn failures_lock_out_an_address() {
        let s = Sessions::default();
        let ip: Option<IpAddr> = "127.0.0.1".parse().ok();
        for _ in 0..MAX_FAILURES {
            assert!(!s.locked_out(ip));
            s.note_failure(ip);
        }
        assert!(s.locked_out(ip));
        s.note_success(ip);
        assert!(!s.locked_out(ip));
    }

    #[test]
    fn cookies_are_parsed_and_scoped() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            http::HeaderValue::from_static("x=1; mamori_console=abc ; y=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        let c = set_cookie(SESSION_COOKIE, "v", true, None);
        assert_eq!(
            c,
            "mamori_console=v; HttpOnly; SameSite=Strict; Path=/admin; Secure"
        );
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
