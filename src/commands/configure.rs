//! `providers` and `config path|show|validate`. Never prints a secret.
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::App;
use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::{self, Config};
use crate::context::{HttpSettings, OutputSettings};
use crate::error::{Error, Result};
use crate::output::{emit, Renderer};
use crate::provider::ProviderKind;
use crate::provider::Shared;
use crate::secret::{is_secret_key, MASK};

/// The operations beyond the basic ones, as `dbctl providers` names them.
fn capability_names(kind: ProviderKind) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for name in kind
        .spec()
        .operations
        .iter()
        .filter_map(|op| op.capability())
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

pub fn providers(app: &App) -> Result<()> {
    let rows: Vec<Value> = ProviderKind::all()
        .iter()
        .map(|kind| {
            let profiles: Vec<Value> = app
                .config
                .profiles
                .iter()
                .filter(|p| p.provider == *kind)
                .map(|p| json!({"name": p.name, "from": p.origin.to_string()}))
                .collect();
            let capabilities = (!profiles.is_empty()).then(|| capability_names(*kind).join(","));
            json!({
                "provider": kind.name(),
                "configured": !profiles.is_empty(),
                "profiles": profiles,
                "capabilities": capabilities,
            })
        })
        .collect();
    if app.out.format() == crate::output::OutputFormat::Table {
        let mut text = String::new();
        for row in &rows {
            let profiles = row["profiles"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            format!(
                                "{} (from {})",
                                p["name"].as_str().unwrap_or(""),
                                p["from"].as_str().unwrap_or("")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            text.push_str(&format!(
                "{:<17} {}\n",
                row["provider"].as_str().unwrap_or(""),
                if profiles.is_empty() {
                    "not configured".to_string()
                } else {
                    profiles
                }
            ));
        }
        return emit(&text);
    }
    emit(&app.out.value(&Value::Array(rows))?)
}

pub fn config(command: ConfigCommand, global: &GlobalArgs) -> Result<()> {
    let out = Renderer::new(OutputSettings::from_args(global));
    match command {
        ConfigCommand::Path => {
            let path = global.config.clone().unwrap_or_else(config::default_path);
            emit(&out.value(&json!(path.display().to_string()))?)
        }
        ConfigCommand::Show => {
            let config = config::load(global.config.as_deref())?;
            warn(&config);
            emit(&out.value(&show(&config))?)
        }
        ConfigCommand::Validate => validate(global),
    }
}

fn warn(config: &Config) {
    for warning in &config.warnings {
        crate::say!("warning: {warning}");
    }
}

/// Each profile's settings with secret values masked; `*_env` names are shown.
fn show(config: &Config) -> Value {
    let profiles: serde_json::Map<String, Value> = config
        .profiles
        .iter()
        .map(|p| {
            let mut fields = serde_json::Map::new();
            fields.insert("provider".into(), json!(p.provider.name()));
            fields.insert("from".into(), json!(p.origin.to_string()));
            for name in p.field_names() {
                let value = if !name.ends_with("_env") && is_secret_key(name) {
                    json!(MASK)
                } else {
                    match p.string(name) {
                        Ok(Some(s)) => json!(s),
                        _ => json!(p.bool(name).ok()),
                    }
                };
                fields.insert(name.to_string(), value);
            }
            (p.name.clone(), Value::Object(fields))
        })
        .collect();
    json!({"path": config.path.display().to_string(), "exists": config.file_exists, "profiles": profiles})
}

/// Resolves every profile and reports every problem at once (exit 3 if any).
fn validate(global: &GlobalArgs) -> Result<()> {
    let config = config::load(global.config.as_deref())?;
    warn(&config);
    let shared = Shared {
        http: Arc::new(HttpSettings::new(Duration::from_secs(30), 1, 0, false)),
        raw: false,
        show_secrets: false,
    };
    let mut problems = Vec::new();
    for profile in &config.profiles {
        match profile.provider.build(profile, &shared) {
            Ok(_) => crate::say!(
                "ok: profile '{}' ({}, from {})",
                profile.name,
                profile.provider,
                profile.origin
            ),
            Err(e) => problems.push(format!(
                "profile '{}' ({}): {}",
                profile.name, profile.provider, e.message
            )),
        }
    }
    if config.profiles.is_empty() {
        problems.push(format!(
            "no profiles: set provider variables or write {}",
            config.path.display()
        ));
    }
    if problems.is_empty() {
        crate::say!("{} profile(s) valid", config.profiles.len());
        return Ok(());
    }
    for problem in &problems {
        crate::say!("problem: {problem}");
    }
    Err(Error::config(format!(
        "{} problem(s) in the configuration",
        problems.len()
    )))
}
