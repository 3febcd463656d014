//! `providers` and `config path|show|validate`. Never prints a secret.
use std::sync::Arc;
use std::time::Duration;

use comfy_table::Color;
use serde::Serialize;
use serde_json::{json, Value};

use super::App;
use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::{self, Config};
use crate::context::HttpSettings;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::output::{emit, OutputFormat, Record, Renderer};
use crate::provider::registry::Registered;
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

/// One line of `dbctl providers`: a profile, or a provider without any.
#[derive(Serialize)]
struct ProviderRow {
    provider: &'static str,
    profile: Option<String>,
    /// `configured`, `incomplete` or `not configured`.
    status: &'static str,
    from: Option<String>,
    /// What an incomplete profile lacks.
    missing: Vec<String>,
    capabilities: Vec<&'static str>,
}

impl Record for ProviderRow {
    const COLUMNS: &'static [&'static str] = &["PROVIDER", "PROFILE", "STATUS", "FROM"];
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "status",
        "from",
        "missing",
        "capabilities",
    ];
    fn cells(&self) -> Vec<String> {
        let status = match self.missing.as_slice() {
            [] => self.status.to_string(),
            missing => format!("{} ({})", self.status, missing.join("; ")),
        };
        vec![
            self.provider.to_string(),
            self.profile.clone().unwrap_or_default(),
            status,
            self.from.clone().unwrap_or_default(),
        ]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        let color = match self.status {
            "configured" => Color::Green,
            "incomplete" => Color::Yellow,
            _ => Color::Grey,
        };
        Some((2, color))
    }
}

/// Every profile, configured or incomplete (and what it lacks), and every provider without
/// one. Connects to nothing.
pub fn providers(app: &App) -> Result<()> {
    let mut rows = Vec::new();
    for &kind in ProviderKind::all() {
        let capabilities = capability_names(kind);
        let before = rows.len();
        for profile in app.config.profiles.iter().filter(|p| p.provider == kind) {
            let missing = config::unresolved(profile);
            rows.push(ProviderRow {
                provider: kind.name(),
                profile: Some(profile.name.clone()),
                status: if missing.is_empty() {
                    "configured"
                } else {
                    "incomplete"
                },
                from: Some(profile.origin.to_string()),
                missing,
                capabilities: capabilities.clone(),
            });
        }
        if rows.len() == before {
            rows.push(ProviderRow {
                provider: kind.name(),
                profile: None,
                status: "not configured",
                from: None,
                missing: Vec::new(),
                capabilities,
            });
        }
    }
    emit(&app.out.list(&rows)?)
}

/// `config path|show|validate`, about the real configuration or, under `--demo`, the
/// emulator's (`demo`), which replaces it in every command.
pub fn config(command: ConfigCommand, global: &GlobalArgs, demo: Option<&Config>) -> Result<()> {
    let out = Renderer::new(global.output_settings());
    let load = || match demo {
        Some(config) => Ok(config.clone()),
        None => config::load(
            global.config.as_deref(),
            crate::provider::registry::variables,
        ),
    };
    match command {
        ConfigCommand::Path => {
            let (path, exists) = match demo {
                Some(config) => (config.path.clone(), config.file_exists),
                None => {
                    let path = global.config.clone().unwrap_or_else(config::default_path);
                    let exists = path.exists();
                    (path, exists)
                }
            };
            if out.format().is_table() {
                return emit(&format!("{}\n", path.display()));
            }
            emit(&out.value(&json!({"path": path.display().to_string(), "exists": exists}))?)
        }
        ConfigCommand::Show => {
            let config = load()?;
            warn(&config);
            let shown = show(&config);
            match out.format() {
                OutputFormat::Json | OutputFormat::Yaml => emit(&out.value(&shown)?),
                OutputFormat::Table
                | OutputFormat::Wide
                | OutputFormat::Csv
                | OutputFormat::Html
                | OutputFormat::Markdown => emit(&out.list(&settings(&shown))?),
            }
        }
        ConfigCommand::Validate => {
            let inspection = match demo {
                Some(config) => config::Inspection {
                    config: config.clone(),
                    problems: Vec::new(),
                    lines: Default::default(),
                },
                None => config::inspect(
                    global.config.as_deref(),
                    crate::provider::registry::variables,
                )?,
            };
            validate(&out, inspection)
        }
    }
}

fn warn(config: &Config) {
    for warning in &config.warnings {
        crate::sanitize::warn(warning);
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

/// One key of one profile, as `config show` prints it in a table or CSV.
#[derive(Serialize)]
struct Setting {
    profile: String,
    key: String,
    value: String,
}

impl Record for Setting {
    const COLUMNS: &'static [&'static str] = &["PROFILE", "KEY", "VALUE"];
    const FIELDS: &'static [&'static str] = &["profile", "key", "value"];
    fn cells(&self) -> Vec<String> {
        vec![self.profile.clone(), self.key.clone(), self.value.clone()]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        None
    }
    const NOUN: &'static str = "profiles configured";
}

/// The rows of what [`show`] returns: one per key of each profile.
fn settings(shown: &Value) -> Vec<Setting> {
    let Some(profiles) = shown["profiles"].as_object() else {
        return Vec::new();
    };
    profiles
        .iter()
        .flat_map(|(profile, fields)| {
            fields
                .as_object()
                .into_iter()
                .flatten()
                .map(move |(key, value)| Setting {
                    profile: profile.clone(),
                    key: key.clone(),
                    value: match value {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    },
                })
        })
        .collect()
}

/// One line of `config validate`: a valid profile or a problem.
#[derive(Serialize)]
struct Finding {
    profile: Option<String>,
    provider: Option<&'static str>,
    line: Option<usize>,
    column: Option<usize>,
    /// `ok` or `problem`.
    status: &'static str,
    message: String,
}

impl Record for Finding {
    const COLUMNS: &'static [&'static str] = &["PROFILE", "PROVIDER", "LINE", "STATUS", "MESSAGE"];
    const FIELDS: &'static [&'static str] =
        &["profile", "provider", "line", "column", "status", "message"];
    fn cells(&self) -> Vec<String> {
        let line = match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{line}:{column}"),
            (Some(line), None) => line.to_string(),
            _ => String::new(),
        };
        vec![
            self.profile.clone().unwrap_or_default(),
            self.provider.unwrap_or_default().to_string(),
            line,
            self.status.to_string(),
            self.message.clone(),
        ]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        Some((
            3,
            if self.status == "ok" {
                Color::Green
            } else {
                Color::Red
            },
        ))
    }
}

/// Reports every problem of the file and of every profile at once (exit 3 if any).
fn validate(out: &Renderer, inspection: config::Inspection) -> Result<()> {
    let config::Inspection {
        config,
        problems,
        lines,
    } = inspection;
    warn(&config);
    let shared = Shared {
        http: Arc::new(HttpSettings::new(Duration::from_secs(30), 1, 0, false)),
        raw: false,
        show_secrets: false,
    };
    let mut findings: Vec<Finding> = problems
        .iter()
        .map(|p| Finding {
            provider: p.provider.map(ProviderKind::name),
            profile: p.profile.clone(),
            line: p.line,
            column: p.column,
            status: "problem",
            message: p.message.clone(),
        })
        .collect();
    for profile in &config.profiles {
        if problems
            .iter()
            .any(|p| p.profile.as_deref() == Some(profile.name.as_str()))
        {
            continue;
        }
        let mut messages = config::unresolved(profile);
        if messages.is_empty() {
            if let Err(e) = profile.provider.build(profile, &shared) {
                messages.push(e.message);
            }
        }
        let line = lines.get(&profile.name).copied();
        let finding = |status, message| Finding {
            profile: Some(profile.name.clone()),
            provider: Some(profile.provider.name()),
            line,
            column: None,
            status,
            message,
        };
        if messages.is_empty() {
            findings.push(finding("ok", format!("from {}", profile.origin)));
        }
        findings.extend(messages.into_iter().map(|m| finding("problem", m)));
    }
    if findings.is_empty() {
        findings.push(Finding {
            profile: None,
            provider: None,
            line: None,
            column: None,
            status: "problem",
            message: format!(
                "no profiles: set provider variables or write {}",
                config.path.display()
            ),
        });
    }
    emit(&out.list(&findings)?)?;
    match findings.iter().filter(|f| f.status == "problem").count() {
        0 => Ok(()),
        n => Err(Error::config(format!(
            "{n} problem(s) in the configuration"
        ))),
    }
}
