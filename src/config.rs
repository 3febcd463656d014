//! Profiles from the environment (one implicit profile per provider) and from the TOML file.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::secret::{is_secret_key, url_passwords};

mod helper;
pub mod keyring;
mod nesting;
mod schema;
mod secrets;

pub use nesting::{refusal as nesting_refusal, too_deep};
pub use schema::{unresolved, Problem};
pub use secrets::{twin_of, SecretSource};

/// Each provider's variables (and so the keys its profiles may set): the provider registry
/// hands this in, so nothing here names a provider.
pub type Variables = fn(ProviderKind) -> &'static [EnvVar];

/// Where a profile was defined.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Env,
    File(PathBuf),
    /// The built-in emulator's (`--demo`).
    #[cfg(feature = "emulator")]
    Demo,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Env => f.write_str("environment"),
            Origin::File(path) => write!(f, "{}", path.display()),
            #[cfg(feature = "emulator")]
            Origin::Demo => f.write_str("built-in emulator"),
        }
    }
}

/// One named set of settings for one provider. Fields are resolved lazily, so a broken
/// profile fails only the commands that use it. Its `Debug` names fields, never values.
#[derive(Clone)]
pub struct Profile {
    pub name: String,
    pub provider: ProviderKind,
    pub origin: Origin,
    fields: BTreeMap<String, toml::Value>,
    /// For env profiles: field → the variable it came from, for error messages.
    env_names: BTreeMap<String, String>,
    /// Its provider's variables.
    variables: &'static [EnvVar],
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("origin", &self.origin)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Profile {
    pub fn new(
        name: &str,
        provider: ProviderKind,
        origin: Origin,
        variables: &'static [EnvVar],
    ) -> Self {
        Profile {
            name: name.to_string(),
            provider,
            origin,
            fields: BTreeMap::new(),
            env_names: BTreeMap::new(),
            variables,
        }
    }

    #[cfg(any(test, feature = "emulator"))]
    pub fn with(mut self, field: &str, value: impl Into<toml::Value>) -> Self {
        self.fields.insert(field.to_string(), value.into());
        self
    }

    /// The names of the fields this profile sets (never their values).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// How to name a field in a message: the env variable, or `profile 'x' field`.
    pub fn describe(&self, field: &str) -> String {
        match self.env_names.get(field) {
            Some(var) => var.clone(),
            None => format!("'{field}' in profile '{}'", self.name),
        }
    }

    fn error(&self, message: String) -> Error {
        Error::config(message)
            .with_origin(self.provider, &self.name)
            .with_hint(format!(
                "see `dbctl config validate`; {} is configured from {}",
                self.name, self.origin
            ))
    }

    /// A plain (non-secret) string setting.
    pub fn string(&self, field: &str) -> Result<Option<String>> {
        match self.fields.get(field) {
            None => Ok(None),
            Some(toml::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(other) => Err(self.error(format!(
                "{} must be a string, not {}",
                self.describe(field),
                other.type_str()
            ))),
        }
    }

    pub fn require_string(&self, field: &str) -> Result<String> {
        self.string(field)?
            .ok_or_else(|| self.error(format!("{} is not set", self.describe(field))))
    }

    /// A boolean setting: a TOML `true`/`false` in a file; a variable's text `true`/`1` (or
    /// `false`/`0`, or empty) in the environment. Anything else is refused, naming it.
    pub fn bool(&self, field: &str) -> Result<bool> {
        let value = match self.fields.get(field) {
            None => return Ok(false),
            Some(toml::Value::Boolean(b)) => return Ok(*b),
            Some(value) => value,
        };
        if let (toml::Value::String(text), Origin::Env) = (value, &self.origin) {
            return match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "" | "false" | "0" => Ok(false),
                _ => Err(self.error(format!(
                    "{} must be true or 1 (false or 0 for off), not {text:?}",
                    self.describe(field)
                ))),
            };
        }
        let got = match value {
            toml::Value::String(text) => format!("the string {text:?}"),
            other => format!("{} {other}", other.type_str()),
        };
        Err(self.error(format!(
            "{} must be true or false (unquoted), not {got}",
            self.describe(field)
        )))
    }

    /// Its TLS settings, for the API and the data plane alike.
    pub fn tls(&self) -> Result<crate::tls::TlsOptions> {
        Ok(crate::tls::TlsOptions {
            ca_cert: self.string("ca_cert")?.map(Into::into),
            insecure: self.bool("insecure")?,
        })
    }

    /// What to do when a server's certificate is refused, in this provider's words.
    pub fn certificate_hint(&self) -> String {
        let var = |field: &str| {
            self.variables
                .iter()
                .find(|v| v.field == field)
                .map(|v| v.var)
        };
        crate::tls::certificate_hint(var("ca_cert"), var("insecure"))
    }

    /// A setting as `config show` prints it: a secret field masked, anything else (a twin
    /// included: a variable's name, a command, `true`) as written.
    pub fn shown(&self, key: &str) -> serde_json::Value {
        if twin_of(key).is_none() && is_secret_key(key) {
            return serde_json::Value::String(crate::secret::MASK.to_string());
        }
        match self.fields.get(key) {
            Some(toml::Value::String(s)) => serde_json::Value::String(s.trim().to_string()),
            Some(value) => serde_json::to_value(value).unwrap_or_default(),
            None => serde_json::Value::Null,
        }
    }
}

/// An environment variable a provider reads into an implicit profile.
pub struct EnvVar {
    pub var: &'static str,
    pub field: &'static str,
    /// Whether this variable alone makes the provider count as configured.
    pub activates: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub file_exists: bool,
    pub profiles: Vec<Profile>,
    pub warnings: Vec<String>,
}

/// `--config`/`DBCTL_CONFIG`, else `$XDG_CONFIG_HOME/dbctl/config.toml`, else `~/.config/...`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from(".config"));
    base.join("dbctl").join("config.toml")
}

/// The configuration, refused (exit 3) when the file has a problem no command can work
/// around: bad TOML, an unknown key or provider, a value of the wrong type.
pub fn load(explicit: Option<&Path>, variables: Variables) -> Result<Config> {
    let inspection = inspect(explicit, variables)?;
    let mut blocking = inspection.problems.iter().filter(|p| p.blocking);
    if let Some(first) = blocking.next() {
        let more = blocking.count();
        return Err(Error::config(format!(
            "config file {}: {first}",
            inspection.config.path.display()
        ))
        .with_hint(match more {
            0 => "`dbctl config validate` checks the whole file".to_string(),
            n => format!("{n} more problem(s); `dbctl config validate` lists them all"),
        }));
    }
    Ok(inspection.config)
}

/// The configuration with every problem of the file (none of which fails this call) and the
/// line of each file profile.
pub struct Inspection {
    pub config: Config,
    pub problems: Vec<Problem>,
    pub lines: BTreeMap<String, usize>,
}

/// Reads the environment and the file; fails only when the file cannot be read.
pub fn inspect(explicit: Option<&Path>, variables: Variables) -> Result<Inspection> {
    let path = explicit.map(Path::to_path_buf).unwrap_or_else(default_path);
    let mut profiles = env_profiles(variables);
    let mut warnings = Vec::new();
    let file_exists = path.exists();
    if explicit.is_some() && !file_exists {
        return Err(Error::config(format!(
            "config file {} does not exist",
            path.display()
        )));
    }
    let mut checked = schema::Checked::default();
    if file_exists {
        let text = crate::files::read_text(&path, false).map_err(|e| {
            Error::config(format!("cannot read config file {}: {e}", path.display()))
        })?;
        checked = schema::check(&path, &text, variables);
        warnings.extend(permission_warnings(&path, &checked.profiles));
        for profile in std::mem::take(&mut checked.profiles) {
            if profiles.iter().any(|p| p.name == profile.name) {
                let line = checked.lines.get(&profile.name).copied();
                checked.problems.push(Problem {
                    message: format!(
                        "profile '{}' (line {}) has the same name as the profile from the {} environment variables; rename the profile in the config file",
                        profile.name,
                        line.unwrap_or(1),
                        profile.name
                    ),
                    profile: Some(profile.name),
                    provider: Some(profile.provider),
                    line,
                    column: None,
                    blocking: true,
                });
                continue;
            }
            profiles.push(profile);
        }
    }
    profiles.iter().for_each(register_secrets);
    Ok(Inspection {
        config: Config {
            path,
            file_exists,
            profiles,
            warnings,
        },
        problems: checked.problems,
        lines: checked.lines,
    })
}

/// One implicit profile, named after its provider, for each provider with its variables set.
fn env_profiles(variables: Variables) -> Vec<Profile> {
    let mut profiles = Vec::new();
    for &kind in ProviderKind::all() {
        let vars = variables(kind);
        let set = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        if !vars.iter().any(|v| v.activates && set(v.var).is_some()) {
            continue;
        }
        let mut profile = Profile::new(kind.name(), kind, Origin::Env, vars);
        for var in vars {
            profile
                .env_names
                .entry(var.field.to_string())
                .or_insert_with(|| var.var.to_string());
            if let Some(value) = set(var.var) {
                if !profile.fields.contains_key(var.field) {
                    profile
                        .env_names
                        .insert(var.field.to_string(), var.var.to_string());
                    profile
                        .fields
                        .insert(var.field.to_string(), toml::Value::String(value));
                }
            }
        }
        profiles.push(profile);
    }
    profiles
}

/// Registers with the scrubber every secret a profile holds without running anything: values
/// in the file or the environment (helpers and the keyring register theirs when asked), and
/// passwords inside its URLs. Unresolvable fields are left for the command that needs them.
fn register_secrets(profile: &Profile) {
    for (field, source) in profile.secret_sources() {
        if let Ok(
            SecretSource::Variable(_)
            | SecretSource::File
            | SecretSource::Builtin
            | SecretSource::Named { .. },
        ) = source
        {
            let _ = profile.secret(field);
        }
    }
    for name in profile.field_names() {
        if twin_of(name).is_none() && !is_secret_key(name) {
            if let Ok(Some(text)) = profile.string(name) {
                crate::credentials::register_url_passwords(&text);
            }
        }
    }
}

/// Warnings about who else can use the file, as ssh and gpg give them: holding a secret in
/// clear while group or others can read it, and being writable by group or others (whoever
/// can write it can send the credentials to a server of their choosing).
fn permission_warnings(path: &Path, profiles: &[Profile]) -> Vec<String> {
    let mut warnings = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(path) else {
            return warnings;
        };
        let mode = metadata.permissions().mode() & 0o777;
        let holds_secret = profiles.iter().any(|p| {
            p.fields.iter().any(|(k, v)| {
                (twin_of(k).is_none() && is_secret_key(k))
                    || v.as_str().is_some_and(|s| !url_passwords(s).is_empty())
            })
        });
        let file = path.display();
        if holds_secret && mode & 0o077 != 0 {
            warnings.push(format!(
                "config file {file} holds secrets and is readable by others (mode {mode:o}); run `chmod 600 {file}`"
            ));
        }
        if mode & 0o022 != 0 {
            warnings.push(format!(
                "config file {file} is writable by group or others (mode {mode:o}): they can point its profiles at their own servers; run `chmod go-w {file}`"
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, profiles);
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_fields_but_never_prints_a_value() {
        let profile = Profile::new("p", ProviderKind::Upstash, Origin::Env, &[])
            .with("email", "ops@example.com")
            .with("api_key", "hunter2-key");
        let config = Config {
            path: PathBuf::from("x"),
            file_exists: false,
            profiles: vec![profile],
            warnings: Vec::new(),
        };
        let shown = format!("{config:?}");
        assert!(shown.contains("api_key"), "{shown}");
        assert!(!shown.contains("hunter2-key") && !shown.contains("ops@example.com"));
    }
}
