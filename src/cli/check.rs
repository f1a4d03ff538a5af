//! `mamori check-config`: validate a config and print a summary (no secrets);
//! exit 2 with the file, key and problem on any error.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Settings;

/// Arguments of `mamori check-config`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Config file.
    #[arg(long)]
    pub config: PathBuf,
}

/// Validates the config and prints a summary.
pub fn run(args: CheckArgs) -> ExitCode {
    let settings = match Settings::load(&args.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mamori check-config: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(tls) = &settings.tls {
        if let Err(e) = crate::server::tls_acceptor(&tls.cert, &tls.key) {
            eprintln!("mamori check-config: {}: server.tls: {e}", settings.source);
            return ExitCode::from(2);
        }
    }
    let policies = match crate::state::load_policies(&settings) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "mamori check-config: {}: policies.dir: {e}",
                settings.source
            );
            return ExitCode::from(2);
        }
    };
    if let Err(e) = crate::state::check_policy_names(&settings, &policies) {
        eprintln!("mamori check-config: {}: {e}", settings.source);
        return ExitCode::from(2);
    }
    print!("{}", summary(&settings));
    let names: Vec<&str> = policies.names().collect();
    println!("policies loaded: {}", names.join(", "));
    ExitCode::SUCCESS
}

/// A human summary of the settings; secrets appear only as their origin.
pub fn summary(s: &Settings) -> String {
    let mut out = String::new();
    out.push_str(&format!("config: {} (ok)\n", s.source));
    out.push_str(&format!("listen: http://{}\n", s.listen));
    if let Some(t) = &s.tls {
        out.push_str(&format!(
            "listen: https://{} (cert {})\n",
            t.listen,
            t.cert.display()
        ));
    }
    out.push_str(&format!("data dir: {}\n", s.data_dir.display()));
    out.push_str(&format!(
        "policies: {} (default: {})\n",
        s.policy_dir.display(),
        s.default_policy
    ));
    out.push_str(&format!("providers: {}\n", s.providers.len()));
    for p in &s.providers {
        let key = p
            .api_key
            .as_ref()
            .map(|k| k.origin().to_owned())
            .unwrap_or_else(|| "none".into());
        let url = if p.base_url.is_empty() {
            "(built-in)"
        } else {
            &p.base_url
        };
        out.push_str(&format!(
            "  - {} [{}] {} key={} contracted={}\n",
            p.name,
            p.kind.as_str(),
            url,
            key,
            p.contracted
        ));
    }
    out.push_str(&format!("models: {}\n", s.models.len()));
    for m in &s.models {
        let provider = s
            .providers
            .get(m.provider)
            .map(|p| p.name.as_str())
            .unwrap_or("?");
        out.push_str(&format!(
            "  - {} -> {} ({})\n",
            m.name, provider, m.upstream_model
        ));
    }
    let mut by_dept: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &s.keys {
        *by_dept.entry(k.department.as_str()).or_default() += 1;
    }
    out.push_str(&format!("staff keys: {}\n", s.keys.len()));
    for (d, n) in by_dept {
        out.push_str(&format!("  - {d}: {n}\n"));
    }
    out.push_str(&format!("admin tokens: {}\n", s.admin_tokens.len()));
    out.push_str(&format!("use plans: {}\n", s.plans.len()));
    let today = s.today();
    for p in &s.plans {
        let keys = s.plan_keys(&p.id).count();
        let state = if today < p.start {
            "not started"
        } else if today > p.end {
            "ended"
        } else {
            "in period"
        };
        out.push_str(&format!(
            "  - {} {} ({}, category {}) class {} {}..{} ({state}) policy={} public={} keys={keys}\n",
            p.id,
            p.colour.label_ja(),
            p.domain.as_str(),
            p.category,
            p.class,
            p.start,
            p.end,
            p.policy,
            p.public,
        ));
        for k in s.plan_keys(&p.id) {
            if !p.in_scope(&k.user, &k.department) {
                out.push_str(&format!(
                    "    warning: key of {} ({}) is outside the plan's users and departments; its requests will be refused\n",
                    k.user, k.department
                ));
            }
        }
    }
    out
}
