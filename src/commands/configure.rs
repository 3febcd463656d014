//! `providers` and `config path|show|validate`. Never prints a secret.
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::App;
use crate::cli::ConfigCommand;
use crate::config::{self, Config};
use crate::context::{HttpSettings, Requests, Settings};
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::output::{emit, Color, Column, Give, Record, Renderer, SortValue};
use crate::provider::registry::Registered;
use crate::provider::Shared;

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
pub(crate) struct ProviderRow {
    provider: &'static str,
    profile: Option<String>,
    /// `configured`, `incomplete` or `not configured`.
    status: &'static str,
    from: Option<String>,
    /// What an incomplete profile lacks.
    missing: Vec<String>,
    capabilities: Vec<&'static str>,
    /// Where each secret comes from (`api_key: command `pass` (api_key_command)`).
    secrets: Vec<String>,
}

impl Record for ProviderRow {
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "status",
        "from",
        "missing",
        "capabilities",
        "secrets",
    ];
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("PROVIDER", |r| r.provider.to_string()),
            column("PROFILE", |r| r.profile.clone().unwrap_or_default()),
            column("STATUS", |r| match r.missing.as_slice() {
                [] => r.status.to_string(),
                missing => format!("{} ({})", r.status, missing.join("; ")),
            })
            .colored(|r| Color::of_status(r.status))
            .gives(2, Give::Wrap(20)),
            column("FROM", |r| r.from.clone().unwrap_or_default()).gives(1, Give::Wrap(20)),
        ]
    }
}

/// Every profile, configured or incomplete (and what it lacks), and every provider without
/// one. Connects to nothing.
pub fn providers(app: &App) -> Result<()> {
    emit(&app.out.list(&provider_rows(app))?)
}

/// The rows of `dbctl providers`.
pub(crate) fn provider_rows(app: &App) -> Vec<ProviderRow> {
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
                secrets: profile.secret_origins(),
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
                secrets: Vec::new(),
            });
        }
    }
    rows
}

/// `config path|show|validate`, about the real configuration or, under `--demo`, the
/// emulator's (`demo`), which replaces it in every command.
pub fn config(command: ConfigCommand, run: &Settings, demo: Option<&Config>) -> Result<()> {
    let out = Renderer::new(run.output.clone());
    let load = || match demo {
        Some(config) => Ok(config.clone()),
        None => config::load(run.config.as_deref(), crate::provider::registry::variables),
    };
    match command {
        ConfigCommand::Path => {
            let (path, exists) = match demo {
                Some(config) => (config.path.clone(), config.file_exists),
                None => {
                    let path = run.config.clone().unwrap_or_else(config::default_path);
                    let exists = path.exists();
                    (path, exists)
                }
            };
            let path = path.display().to_string();
            emit(&out.message(&path, &json!({"path": path, "exists": exists}))?)
        }
        ConfigCommand::Show => {
            let config = load()?;
            warn(&config);
            let shown = show(&config);
            emit(&out.rows_or_document(&shown, &settings(&shown))?)
        }
        ConfigCommand::SetSecret { profile, field } => match demo {
            Some(_) => Err(Error::usage(
                "--demo reads no credentials: set-secret stores a secret of a profile in the config file",
            )),
            None => super::secret::set_secret(&profile, &field, run.config.as_deref()),
        },
        ConfigCommand::Validate => {
            let inspection = match demo {
                Some(config) => config::Inspection {
                    config: config.clone(),
                    problems: Vec::new(),
                    lines: Default::default(),
                },
                None => {
                    config::inspect(run.config.as_deref(), crate::provider::registry::variables)?
                }
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

/// Each profile's settings with secret values masked (their twins shown: a variable's name, a
/// command, `true`), and where each secret comes from.
fn show(config: &Config) -> Value {
    let profiles: serde_json::Map<String, Value> = config
        .profiles
        .iter()
        .map(|p| {
            let mut fields = serde_json::Map::new();
            fields.insert("provider".into(), json!(p.provider.name()));
            fields.insert("from".into(), json!(p.origin.to_string()));
            for name in p.field_names() {
                fields.insert(name.to_string(), p.shown(name));
            }
            let secrets: serde_json::Map<String, Value> = p
                .secret_sources()
                .into_iter()
                .filter_map(|(field, source)| {
                    Some((field.to_string(), json!(source.ok()?.describe())))
                })
                .collect();
            fields.insert("secrets".into(), Value::Object(secrets));
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
    const FIELDS: &'static [&'static str] = &["profile", "key", "value"];
    const NOUN: &'static str = "profiles configured";
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("PROFILE", |s| s.profile.clone()),
            column("KEY", |s| s.key.clone()),
            column("VALUE", |s| s.value.clone()).gives(1, Give::Wrap(20)),
        ]
    }
}

/// The rows of what [`show`] returns: one per key of each profile (`secrets.api_key` for
/// where a secret comes from).
fn settings(shown: &Value) -> Vec<Setting> {
    let Some(profiles) = shown["profiles"].as_object() else {
        return Vec::new();
    };
    let cell = |value: &Value| match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut rows = Vec::new();
    for (profile, fields) in profiles {
        for (key, value) in fields.as_object().into_iter().flatten() {
            let nested = value.as_object().map(|inner| {
                inner
                    .iter()
                    .map(|(k, v)| (format!("{key}.{k}"), cell(v)))
                    .collect()
            });
            for (key, value) in nested.unwrap_or_else(|| vec![(key.clone(), cell(value))]) {
                rows.push(Setting {
                    profile: profile.clone(),
                    key,
                    value,
                });
            }
        }
    }
    rows
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
    const FIELDS: &'static [&'static str] =
        &["profile", "provider", "line", "column", "status", "message"];
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("PROFILE", |f| f.profile.clone().unwrap_or_default()),
            column("PROVIDER", |f| f.provider.unwrap_or_default().to_string()).gives(1, Give::Hide),
            column("LINE", |f| match (f.line, f.column) {
                (Some(line), Some(column)) => format!("{line}:{column}"),
                (Some(line), None) => line.to_string(),
                _ => String::new(),
            })
            .sorts(|f| SortValue::number(f.line.map(|l| l as f64))),
            column("STATUS", |f| f.status.to_string()).colored(|f| {
                if f.status == "ok" {
                    Color::Green
                } else {
                    Color::Red
                }
            }),
            column("MESSAGE", |f| f.message.clone()).gives(2, Give::Wrap(24)),
        ]
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
        http: Arc::new(HttpSettings::new(&Requests {
            attempts: 1,
            ..Requests::default()
        })),
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
            let origins = profile.secret_origins();
            let secrets = match origins.is_empty() {
                true => String::new(),
                false => format!("; {}", origins.join("; ")),
            };
            findings.push(finding("ok", format!("from {}{secrets}", profile.origin)));
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
