//! Where each secret of a profile comes from, and fetching it: the field itself, or one of its
//! twins: `*_env` (a variable), `*_command` (a helper's stdout) or `*_keyring = true` (the OS
//! keyring). Finding the source has no side effect; fetching runs the helper or asks the
//! keyring, and registers what it got with the scrubber.
use super::{helper, keyring, Origin, Profile};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The suffixes of a secret field's twins, which say where its value is instead of holding it.
pub const TWINS: [&str; 3] = ["_env", "_command", "_keyring"];

/// The secret field a twin key stands for (`api_key_command` → `api_key`).
pub fn twin_of(key: &str) -> Option<&str> {
    TWINS.iter().find_map(|suffix| key.strip_suffix(suffix))
}

/// Where a secret comes from; never its value.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    /// The provider's own variable (an implicit profile).
    Variable(String),
    /// The variable a `*_env` twin names.
    Named { twin: String, var: String },
    /// A helper a `*_command` twin runs.
    Command { twin: String, argv: Vec<String> },
    /// The OS keyring (`*_keyring = true`).
    Keyring { twin: String },
    /// The value itself, in the config file.
    File,
    /// The value itself, in a profile dbctl made (`--demo`'s).
    Builtin,
}

impl SecretSource {
    /// How `config validate` and `providers` name it.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Variable(var) => format!("environment variable {var}"),
            SecretSource::Named { twin, var } => format!("environment variable {var} ({twin})"),
            SecretSource::Command { twin, argv } => format!(
                "command `{}` ({twin})",
                argv.first().map(String::as_str).unwrap_or_default()
            ),
            SecretSource::Keyring { twin } => format!("{} ({twin})", keyring::name()),
            SecretSource::File => "plain text in the config file".to_string(),
            SecretSource::Builtin => "the built-in emulator's profile".to_string(),
        }
    }

    /// Asking again may give another value (a helper that mints tokens).
    pub fn renewable(&self) -> bool {
        matches!(self, SecretSource::Command { .. })
    }
}

impl Profile {
    /// Where `field` comes from, if the profile gives it: checked (one source at most, a
    /// `*_env` variable that is set, a command that parses), never fetched.
    pub fn secret_source(&self, field: &str) -> Result<Option<SecretSource>> {
        let [env, command, keyring] = TWINS.map(|suffix| format!("{field}{suffix}"));
        let mut found: Vec<(String, SecretSource)> = Vec::new();
        match self.fields.get(field) {
            None => {}
            Some(toml::Value::String(s)) if s.is_empty() => {}
            Some(toml::Value::String(_)) => {
                let source = match (&self.origin, self.env_names.get(field)) {
                    (Origin::File(_), _) => SecretSource::File,
                    (Origin::Env, Some(var)) => SecretSource::Variable(var.clone()),
                    _ => SecretSource::Builtin,
                };
                found.push((field.to_string(), source));
            }
            Some(_) => return Err(self.error(format!("{} must be a string", self.describe(field)))),
        }
        if let Some(var) = self.string(&env)? {
            found.push((env.clone(), SecretSource::Named { twin: env, var }));
        }
        if let Some(argv) = self.command(&command)? {
            found.push((
                command.clone(),
                SecretSource::Command {
                    twin: command,
                    argv,
                },
            ));
        }
        if self.bool(&keyring)? {
            found.push((keyring.clone(), SecretSource::Keyring { twin: keyring }));
        }
        match found.as_slice() {
            [] => Ok(None),
            [(_, SecretSource::Named { twin, var })] => match std::env::var(var) {
                Ok(value) if !value.is_empty() => Ok(found.pop().map(|(_, s)| s)),
                _ => Err(self.error(format!(
                    "{twin} in profile '{}' names {var}, which is not set",
                    self.name
                ))),
            },
            [_] => Ok(found.pop().map(|(_, s)| s)),
            several => {
                let keys: Vec<&str> = several.iter().map(|(k, _)| k.as_str()).collect();
                Err(self.error(format!(
                    "profile '{}' gives '{field}' {} ways ({}); keep one",
                    self.name,
                    keys.len(),
                    keys.join(", ")
                )))
            }
        }
    }

    /// The source of a field the profile cannot work without.
    pub fn require_secret_source(&self, field: &str) -> Result<SecretSource> {
        self.secret_source(field)?
            .ok_or_else(|| self.error(self.not_given(field)))
    }

    /// A secret, fetched from wherever the profile says: running a `*_command` or asking the
    /// keyring happens here, every time.
    pub fn secret(&self, field: &str) -> Result<Option<Secret>> {
        let Some(source) = self.secret_source(field)? else {
            return Ok(None);
        };
        let value = match &source {
            SecretSource::Variable(_) | SecretSource::File | SecretSource::Builtin => {
                match self.fields.get(field) {
                    Some(toml::Value::String(s)) => s.clone(),
                    _ => String::new(),
                }
            }
            SecretSource::Named { var, .. } => std::env::var(var).unwrap_or_default(),
            SecretSource::Command { twin, argv } => {
                helper::run(argv).map_err(|failure| self.helper_error(twin, &failure))?
            }
            SecretSource::Keyring { twin } => keyring::read(&self.name, field)
                .map_err(|refusal| self.keyring_error(field, twin, &refusal))?,
        };
        crate::credentials::register(&value);
        Ok(Some(Secret::new(value)))
    }

    pub fn require_secret(&self, field: &str) -> Result<Secret> {
        self.secret(field)?
            .ok_or_else(|| self.error(self.not_given(field)))
    }

    /// Each secret field the profile gives, with where it comes from (or why that is wrong).
    pub fn secret_sources(&self) -> Vec<(&'static str, Result<SecretSource>)> {
        self.secret_fields()
            .into_iter()
            .filter_map(|field| {
                self.secret_source(field)
                    .transpose()
                    .map(|source| (field, source))
            })
            .collect()
    }

    /// `api_key: command `pass` (api_key_command)` for each secret it gives: where each comes
    /// from, never its value.
    pub fn secret_origins(&self) -> Vec<String> {
        self.secret_sources()
            .into_iter()
            .filter_map(|(field, source)| Some(format!("{field}: {}", source.ok()?.describe())))
            .collect()
    }

    /// A `*_command` setting: a string split into words, or an array of words.
    fn command(&self, key: &str) -> Result<Option<Vec<String>>> {
        let wrong = |why: &str| {
            self.error(format!(
                "{} {why}: give a string (split into words as a shell would, nothing expanded) or an array of strings",
                self.describe(key)
            ))
        };
        let argv = match self.fields.get(key) {
            None => return Ok(None),
            Some(toml::Value::String(text)) => helper::split_words(text)
                .map_err(|why| wrong(&format!("cannot be split: {why}")))?,
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| wrong("holds something that is not a string"))?,
            Some(other) => return Err(wrong(&format!("is {}", other.type_str()))),
        };
        match argv.first() {
            None => Ok(None),
            Some(program) if program.is_empty() => Err(wrong("names no program")),
            Some(_) => Ok(Some(argv)),
        }
    }

    /// Whether a key is a `*_command` setting (a string or an array), for the schema.
    pub fn check_command(&self, key: &str) -> Result<()> {
        self.command(key).map(drop)
    }

    fn not_given(&self, field: &str) -> String {
        match self.origin {
            Origin::Env => format!("{} is not set", self.describe(field)),
            _ => format!(
                "profile '{}' sets neither '{field}' nor '{field}_env' (nor '{field}_command', '{field}_keyring')",
                self.name
            ),
        }
    }

    fn helper_error(&self, twin: &str, failure: &helper::Failure) -> Error {
        let hint = match failure {
            helper::Failure::Exit {
                said: Some(line), ..
            } => format!("its last line on stderr: {line}"),
            helper::Failure::Start(_) | helper::Failure::Exit { .. } => {
                "dbctl runs it without a shell: quotes group words, and `$`, `~`, globs, pipes and `;` are passed as they are; for a pipeline use [\"sh\", \"-c\", \"...\"]".to_string()
            }
            _ => format!(
                "a {twin} must print the secret alone on stdout and exit 0 within {} s",
                helper::DEADLINE.as_secs()
            ),
        };
        Error::config(format!("{twin} of profile '{}' {failure}", self.name))
            .with_origin(self.provider, &self.name)
            .with_hint(hint)
    }

    fn keyring_error(&self, field: &str, twin: &str, refusal: &keyring::Refusal) -> Error {
        let hint = match refusal {
            keyring::Refusal::Missing => format!(
                "store it with `dbctl config set-secret {} {field}` (it reads the secret from stdin)",
                self.name
            ),
            _ => format!("give '{field}' with '{field}_env' (a variable) or '{field}_command' (a helper such as `pass show NAME`) instead of '{twin}'"),
        };
        Error::config(format!("{twin} of profile '{}': {refusal}", self.name))
            .with_origin(self.provider, &self.name)
            .with_hint(hint)
    }
}
