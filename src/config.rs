//! Profiles from the environment (one implicit profile per provider) and from the TOML file.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::provider::ProviderKind;
use crate::secret::{is_secret_key, url_passwords, Secret};

/// Where a profile was defined.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Env,
    File(PathBuf),
    Demo,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Env => f.write_str("environment"),
            Origin::File(path) => write!(f, "{}", path.display()),
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
    pub fn new(name: &str, provider: ProviderKind, origin: Origin) -> Self {
        Profile {
            name: name.to_string(),
            provider,
            origin,
            fields: BTreeMap::new(),
            env_names: BTreeMap::new(),
        }
    }

    pub fn with(mut self, field: &str, value: impl Into<toml::Value>) -> Self {
        self.fields.insert(field.to_string(), value.into());
        self
    }

    /// The names of the fields this profile sets (never their values).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// How to name a field in a message: the env variable, or `profile 'x' field`.
    fn describe(&self, field: &str) -> String {
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

    /// A boolean setting; accepts true/false, "true"/"1"/"yes".
    pub fn bool(&self, field: &str) -> Result<bool> {
        match self.fields.get(field) {
            None => Ok(false),
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(toml::Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "" | "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(self.error(format!("{} must be true or false", self.describe(field)))),
            },
            Some(_) => Err(self.error(format!("{} must be true or false", self.describe(field)))),
        }
    }

    /// A secret: the field itself, or the variable its `*_env` twin names.
    pub fn secret(&self, field: &str) -> Result<Option<Secret>> {
        let env_field = format!("{field}_env");
        if let Some(var) = self.string(&env_field)? {
            return match std::env::var(&var) {
                Ok(value) if !value.is_empty() => Ok(Some(Secret::new(value))),
                _ => Err(self.error(format!(
                    "{env_field} in profile '{}' names {var}, which is not set",
                    self.name
                ))),
            };
        }
        match self.fields.get(field) {
            None => Ok(None),
            Some(toml::Value::String(s)) if s.is_empty() => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(Secret::new(s.clone()))),
            Some(_) => Err(self.error(format!("{} must be a string", self.describe(field)))),
        }
    }

    /// Where this profile's HTTP requests go (`base_url`, read from `url_field`), with its TLS
    /// settings (`ca_cert`, `insecure`).
    pub fn http_target(&self, url_field: &str, base_url: &str) -> Result<crate::http::Target> {
        Ok(crate::http::Target {
            provider: self.provider,
            profile: self.name.clone(),
            base_url: base_url.to_string(),
            url_setting: self.describe(url_field),
            tls: crate::tls::TlsOptions {
                ca_cert: self.string("ca_cert")?.map(Into::into),
                insecure: self.bool("insecure")?,
            },
            certificate_hint: crate::tls::certificate_hint(self.provider.spec().env),
        })
    }

    pub fn require_secret(&self, field: &str) -> Result<Secret> {
        self.secret(field)?.ok_or_else(|| {
            let how = match self.origin {
                Origin::Env => format!("{} is not set", self.describe(field)),
                _ => format!(
                    "profile '{}' sets neither '{field}' nor '{field}_env'",
                    self.name
                ),
            };
            self.error(how)
        })
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

pub fn load(explicit: Option<&Path>) -> Result<Config> {
    let path = explicit.map(Path::to_path_buf).unwrap_or_else(default_path);
    let mut profiles = env_profiles();
    let mut warnings = Vec::new();
    let file_exists = path.exists();
    if explicit.is_some() && !file_exists {
        return Err(Error::config(format!(
            "config file {} does not exist",
            path.display()
        )));
    }
    if file_exists {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::config(format!("cannot read config file {}: {e}", path.display()))
        })?;
        let file_profiles = parse_file(&path, &text)?;
        if let Some(warning) = permission_warning(&path, &file_profiles) {
            warnings.push(warning);
        }
        for profile in file_profiles {
            if profiles.iter().any(|p| p.name == profile.name) {
                return Err(Error::config(format!(
                    "profile '{}' in {} has the same name as the profile from the {} environment variables",
                    profile.name,
                    path.display(),
                    profile.name
                ))
                .with_hint("rename the profile in the config file"));
            }
            profiles.push(profile);
        }
    }
    profiles
        .iter()
        .for_each(crate::credentials::register_profile);
    Ok(Config {
        path,
        file_exists,
        profiles,
        warnings,
    })
}

/// One implicit profile, named after its provider, for each provider with its variables set.
fn env_profiles() -> Vec<Profile> {
    let mut profiles = Vec::new();
    for &kind in ProviderKind::all() {
        let vars = kind.spec().env;
        let set = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        if !vars.iter().any(|v| v.activates && set(v.var).is_some()) {
            continue;
        }
        let mut profile = Profile::new(kind.name(), kind, Origin::Env);
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

fn parse_file(path: &Path, text: &str) -> Result<Vec<Profile>> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        Error::config(format!(
            "config file {} is not valid TOML: {}",
            path.display(),
            e.message()
        ))
    })?;
    let mut profiles = Vec::new();
    let Some(section) = table.get("profiles") else {
        return Ok(profiles);
    };
    let section = section.as_table().ok_or_else(|| {
        Error::config(format!(
            "config file {}: `profiles` must be a table of [profiles.NAME] sections",
            path.display()
        ))
    })?;
    for (name, body) in section {
        let line = line_of(text, name);
        let at = format!("{} line {line}", path.display());
        if !crate::sanitize::is_profile_name(name) {
            return Err(Error::config(format!(
                "{at}: profile name {name:?} is not allowed; use letters, digits, '.', '_' and '-', starting with a letter or digit"
            )));
        }
        let body = body
            .as_table()
            .ok_or_else(|| Error::config(format!("{at}: profile '{name}' must be a table")))?;
        let provider_name = body
            .get("provider")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| {
                Error::config(format!("{at}: profile '{name}' has no `provider` field"))
            })?;
        let provider = ProviderKind::parse(provider_name).ok_or_else(|| {
            Error::config(format!(
                "{at}: profile '{name}' has unknown provider '{provider_name}' (expected {})",
                ProviderKind::all()
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let mut profile = Profile::new(name, provider, Origin::File(path.to_path_buf()));
        for (field, value) in body.iter().filter(|(k, _)| k.as_str() != "provider") {
            profile.fields.insert(field.clone(), value.clone());
        }
        profiles.push(profile);
    }
    Ok(profiles)
}

/// The line of `[profiles.NAME]` (or of its `provider =` line), for messages.
fn line_of(text: &str, name: &str) -> usize {
    let headers = [
        format!("[profiles.{name}]"),
        format!("[profiles.\"{name}\"]"),
    ];
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|l| headers.iter().any(|h| l.trim() == h))
    else {
        return 1;
    };
    lines[start..]
        .iter()
        .position(|l| l.trim_start().starts_with("provider"))
        .map(|offset| start + offset + 1)
        .unwrap_or(start + 1)
}

/// A warning when the file holds a secret in clear and group or others can read it.
fn permission_warning(path: &Path, profiles: &[Profile]) -> Option<String> {
    let holds_secret = profiles.iter().any(|p| {
        p.fields.iter().any(|(k, v)| {
            (!k.ends_with("_env") && is_secret_key(k))
                || v.as_str().is_some_and(|s| !url_passwords(s).is_empty())
        })
    });
    if !holds_secret {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Some(format!(
                "config file {} holds secrets and is readable by others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_fields_but_never_prints_a_value() {
        let profile = Profile::new("p", ProviderKind::Upstash, Origin::Env)
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
