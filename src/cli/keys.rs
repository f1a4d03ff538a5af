//! `mamori keys`: issue staff keys. Only the SHA-256 goes into the config; the
//! plaintext is shown once, here, and never stored by mamori.

use std::io::Read;
use std::process::ExitCode;

use base64::Engine as _;
use rand::RngCore;

use crate::pipeline::auth::key_digest;

/// `mamori keys` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Print a fresh staff key and the [[keys]] block to paste into the config.
    New {
        /// User id the key belongs to.
        #[arg(long)]
        user: String,
        /// Department (課) of the user.
        #[arg(long)]
        department: String,
        /// Restrict the key to these models (repeatable).
        #[arg(long = "model")]
        models: Vec<String>,
        /// Policy name for this key.
        #[arg(long)]
        policy: Option<String>,
    },
    /// Print the config hash of a key read from stdin (to re-register an existing key).
    Hash,
}

/// Runs `mamori keys …`.
pub fn run(cmd: KeysCommand) -> ExitCode {
    match cmd {
        KeysCommand::New {
            user,
            department,
            models,
            policy,
        } => {
            let key = new_key();
            println!("key: {key}");
            println!("# Give the key to {user} over a safe channel; mamori keeps only its hash.");
            println!("# Paste into the config:");
            println!("[[keys]]");
            println!("user = {}", toml_str(&user));
            println!("department = {}", toml_str(&department));
            println!("hash = \"{}\"", key_digest(&key));
            if !models.is_empty() {
                let list: Vec<String> = models.iter().map(|m| toml_str(m)).collect();
                println!("models = [{}]", list.join(", "));
            }
            if let Some(p) = policy {
                println!("policy = {}", toml_str(&p));
            }
            ExitCode::SUCCESS
        }
        KeysCommand::Hash => {
            let mut input = String::new();
            if std::io::stdin().read_to_string(&mut input).is_err() {
                eprintln!("mamori keys hash: cannot read stdin");
                return ExitCode::from(2);
            }
            println!("{}", key_digest(input.trim()));
            ExitCode::SUCCESS
        }
    }
}

/// A fresh `mk-` key with 256 bits from the OS random source.
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "mk-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
