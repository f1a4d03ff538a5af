//! Secrets from the config: literal or `env:VAR`. A [`Secret`] never prints
//! its value, so it cannot leak through `Debug`, logs or `check-config`.

use std::fmt;

/// A provider credential. `Debug`/`Display` show only where it came from.
#[derive(Clone)]
pub struct Secret {
    value: String,
    origin: String,
}

impl Secret {
    /// Resolves `env:VAR` (reading the environment) or takes a literal.
    pub fn resolve(spec: &str) -> Result<Secret, String> {
        if let Some(var) = spec.strip_prefix("env:") {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Secret {
                    value: v,
                    origin: format!("env:{var}"),
                }),
                Ok(_) => Err(format!("environment variable {var} is empty")),
                Err(_) => Err(format!("environment variable {var} is not set")),
            }
        } else if spec.is_empty() {
            Err("empty secret".to_owned())
        } else {
            Ok(Secret {
                value: spec.to_owned(),
                origin: "literal".to_owned(),
            })
        }
    }

    /// The secret value, for building an upstream request header only.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Where the value came from (`env:VAR` or `literal`), safe to print.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}, redacted)", self.origin)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted from {}>", self.origin)
    }
}
