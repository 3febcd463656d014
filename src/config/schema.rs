//! The strict schema of the config file: the keys a profile of each provider may set (taken
//! from the registry), and every problem in a file, each with its line.
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml_edit::{ImDocument, TableLike};

use super::secrets::TWINS;
use super::{Origin, Profile, Variables};
use crate::model::ProviderKind;
use crate::secret::is_secret_key;

/// Keys every provider's profile may set: `Profile::tls` reads the first two for all of
/// them, `Profile::rate_limit` the last.
const COMMON_KEYS: &[&str] = &["ca_cert", "insecure", RATE_LIMIT];
/// Keys whose value is true or false; [`RATE_LIMIT`] is a number; every other key holds a
/// string (a `*_command` may hold an array of strings, a `*_keyring` is true or false).
const BOOL_KEYS: &[&str] = &["insecure"];
/// A profile's request budget, in requests per minute.
const RATE_LIMIT: &str = "rate_limit";
/// The largest `rate_limit` accepted.
const MAX_RATE_LIMIT: i64 = 100_000;
/// A profile that sets this signs in the way it names; its provider checks which secrets
/// that takes when it is built.
const AUTH_KEY: &str = "auth";

/// One setting a profile of a provider may hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: &'static str,
    /// The variables of the implicit profile that fill it (none: config file only).
    pub vars: Vec<&'static str>,
    /// The provider cannot work without it (or its `*_env` twin).
    pub required: bool,
    /// A secret, with a `*_env` twin naming the variable that holds it.
    pub secret: bool,
}

/// Every setting of a provider with these variables, in their order, then the keys every
/// provider has.
pub fn fields(variables: &[super::EnvVar]) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    for var in variables {
        match fields.iter_mut().find(|f| f.name == var.field) {
            Some(field) => field.vars.push(var.var),
            None => fields.push(Field {
                name: var.field,
                vars: vec![var.var],
                required: var.activates,
                secret: is_secret_key(var.field),
            }),
        }
    }
    for key in COMMON_KEYS {
        if !fields.iter().any(|f| f.name == *key) {
            fields.push(Field {
                name: key,
                vars: Vec::new(),
                required: false,
                secret: false,
            });
        }
    }
    fields
}

/// Every key a `[profiles.NAME]` of a provider with these variables may set: `provider`,
/// each field, each secret's twins (`*_env`, `*_command`, `*_keyring`).
pub fn keys(variables: &[super::EnvVar]) -> Vec<String> {
    let mut keys = vec!["provider".to_string()];
    for field in fields(variables) {
        keys.push(field.name.to_string());
        if field.secret {
            keys.extend(TWINS.iter().map(|suffix| format!("{}{suffix}", field.name)));
        }
    }
    keys
}

impl Profile {
    /// The secret fields its provider knows.
    pub fn secret_fields(&self) -> Vec<&'static str> {
        fields(self.variables)
            .into_iter()
            .filter(|f| f.secret)
            .map(|f| f.name)
            .collect()
    }
}

/// One thing wrong in the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub profile: Option<String>,
    /// The profile's provider, when the file names a known one.
    pub provider: Option<ProviderKind>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The whole sentence, line included.
    pub message: String,
    /// The file cannot be used at all (every command refuses it), not only this profile.
    pub blocking: bool,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A config file read through the schema: its usable profiles (with the line of each) and
/// every problem found.
#[derive(Debug, Default)]
pub struct Checked {
    pub profiles: Vec<Profile>,
    pub lines: BTreeMap<String, usize>,
    pub problems: Vec<Problem>,
}

/// Reads a config file's text; never fails, every problem is in the answer.
pub fn check(path: &Path, text: &str, variables: Variables) -> Checked {
    let mut checked = Checked::default();
    // Before any parser: what nests too deep would overflow its stack.
    if let Some(offset) = super::too_deep(text) {
        let (line, column) = line_col(text, offset);
        checked.problems.push(Problem {
            column: Some(column),
            ..problem(
                None,
                Some(line),
                format!(
                    "{} (line {line}, column {column})",
                    super::nesting_refusal()
                ),
            )
        });
        return checked;
    }
    let values: toml::Table = match text.parse::<toml::Table>() {
        Ok(values) => values,
        Err(e) => {
            checked
                .problems
                .push(syntax_error(text, e.message(), e.span()));
            return checked;
        }
    };
    let doc = match ImDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            checked
                .problems
                .push(syntax_error(text, e.message(), e.span()));
            return checked;
        }
    };
    let at = |span: Option<Range<usize>>| span.map(|s| line_col(text, s.start).0);
    let top = doc.as_table();
    for (key, _) in top.iter().filter(|(k, _)| *k != "profiles") {
        let line = at(top.key(key).and_then(|k| k.span()));
        checked.problems.push(problem(
            None,
            line,
            format!(
                "unknown key `{key}`{}{}",
                lines(line),
                did_you_mean(&suggest(key, &["profiles"], None))
            ),
        ));
    }
    let Some(section) = top.get("profiles") else {
        return checked;
    };
    let Some(section) = section.as_table_like() else {
        let line = at(top.key("profiles").and_then(|k| k.span()));
        checked.problems.push(problem(
            None,
            line,
            format!(
                "`profiles` must be a table of [profiles.NAME] sections{}",
                lines(line)
            ),
        ));
        return checked;
    };
    for (name, item) in section.iter() {
        let line = at(section
            .key(name)
            .and_then(|k| k.span())
            .or_else(|| item.span()))
        .unwrap_or(1);
        // Profile names reach shell completion scripts.
        if !crate::sanitize::is_profile_name(name) {
            checked.problems.push(problem(
                Some(name),
                Some(line),
                format!(
                    "profile name {name:?} is not allowed (line {line}); use letters, digits, '.', '_' and '-', starting with a letter or digit"
                ),
            ));
            continue;
        }
        let body = values
            .get("profiles")
            .and_then(|p| p.get(name))
            .and_then(toml::Value::as_table);
        match (item.as_table_like(), body) {
            (Some(spans), Some(body)) => {
                profile(
                    &mut checked,
                    (path, variables),
                    name,
                    line,
                    spans,
                    body,
                    &at,
                );
            }
            _ => checked.problems.push(problem(
                Some(name),
                Some(line),
                format!("profile '{name}' must be a table (line {line})"),
            )),
        }
    }
    checked
}

/// Checks one `[profiles.NAME]` table and, when its provider is known, keeps the profile.
fn profile(
    checked: &mut Checked,
    file: (&Path, Variables),
    name: &str,
    line: usize,
    spans: &dyn TableLike,
    body: &toml::Table,
    at: &dyn Fn(Option<Range<usize>>) -> Option<usize>,
) {
    let (path, variables) = file;
    let key_line = |key: &str| {
        at(spans
            .get_key_value(key)
            .and_then(|(k, v)| k.span().or_else(|| v.span())))
        .unwrap_or(line)
    };
    let expected = ProviderKind::all()
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>();
    let kind = match body.get("provider") {
        None => {
            checked.problems.push(problem(
                Some(name),
                Some(line),
                format!(
                    "profile '{name}' has no `provider` key (line {line}); expected one of {}",
                    expected.join(", ")
                ),
            ));
            return;
        }
        Some(toml::Value::String(provider)) => match ProviderKind::parse(provider.trim()) {
            Some(kind) => kind,
            None => {
                let at = key_line("provider");
                checked.problems.push(problem(
                    Some(name),
                    Some(at),
                    format!(
                        "profile '{name}' has unknown provider '{provider}' (line {at}){}; expected one of {}",
                        did_you_mean(&suggest(provider, &expected, None)),
                        expected.join(", ")
                    ),
                ));
                return;
            }
        },
        Some(other) => {
            let at = key_line("provider");
            checked.problems.push(problem(
                Some(name),
                Some(at),
                format!(
                    "`provider` in profile '{name}' must be a string, not {} (line {at})",
                    other.type_str()
                ),
            ));
            return;
        }
    };
    let known = keys(variables(kind));
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut profile = Profile::new(
        name,
        kind,
        Origin::File(path.to_path_buf()),
        variables(kind),
    );
    let before = checked.problems.len();
    for (key, value) in spans.iter().filter_map(|(k, _)| body.get_key_value(k)) {
        let at = key_line(key);
        if !known.contains(&key.as_str()) {
            checked.problems.push(problem(
                Some(name),
                Some(at),
                format!(
                    "unknown key `{key}` in profile `{name}` (line {at}){}",
                    did_you_mean(&suggest(key, &known, Some((kind, variables(kind)))))
                ),
            ));
        } else if key != "provider" {
            profile.fields.insert(key.clone(), value.clone());
        }
    }
    for (key, message) in type_errors(&profile) {
        let at = key_line(&key);
        checked.problems.push(problem(
            Some(name),
            Some(at),
            format!("{message} (line {at})"),
        ));
    }
    let blocked = checked.problems.len() > before;
    // A setting that is absent is reported at its profile; a `*_env` twin naming an unset
    // variable at the twin's own line.
    for (key, message) in missing(&profile) {
        let at = key_line(&key);
        let mut found = problem(Some(name), Some(at), format!("{message} (line {at})"));
        found.blocking = false;
        checked.problems.push(found);
    }
    for found in &mut checked.problems[before..] {
        found.provider = Some(kind);
    }
    if !blocked {
        checked.lines.insert(name.to_string(), line);
        checked.profiles.push(profile);
    }
}

/// What keeps a profile (from any origin) from working: bad values, then missing settings.
pub fn unresolved(profile: &Profile) -> Vec<String> {
    type_errors(profile)
        .into_iter()
        .chain(missing(profile))
        .map(|(_, message)| message)
        .collect()
}

/// Values of the wrong type, as (key, message).
fn type_errors(profile: &Profile) -> Vec<(String, String)> {
    let keys: Vec<String> = profile.field_names().map(str::to_string).collect();
    keys.into_iter()
        .filter_map(|key| {
            let checked = if BOOL_KEYS.contains(&key.as_str()) || key.ends_with("_keyring") {
                profile.bool(&key).map(|_| ())
            } else if key.ends_with("_command") {
                profile.check_command(&key)
            } else if key == RATE_LIMIT {
                profile.rate_limit().map(|_| ())
            } else {
                profile.string(&key).map(|_| ())
            };
            checked.err().map(|e| (key, e.message))
        })
        .collect()
}

/// Required settings that are absent, secrets given twice, and twins naming what is not
/// there, as (the key the problem is about, message); nothing is run or fetched. A field
/// whose value has the wrong type is left to [`type_errors`].
fn missing(profile: &Profile) -> Vec<(String, String)> {
    let bad: Vec<String> = type_errors(profile).into_iter().map(|(k, _)| k).collect();
    let own_auth = profile.string(AUTH_KEY).ok().flatten().is_some();
    fields(profile.variables)
        .into_iter()
        .filter(|f| {
            !bad.iter()
                .any(|k| k == f.name || super::twin_of(k) == Some(f.name))
        })
        .filter_map(|f| {
            let result = match (f.secret, f.required) {
                (true, true) if !own_auth => profile.require_secret_source(f.name).map(|_| ()),
                (true, _) => profile.secret_source(f.name).map(|_| ()),
                (false, true) => profile.require_string(f.name).map(|_| ()),
                (false, false) => Ok(()),
            };
            // The twin when one is set (what it names is what is missing), else the field.
            let key = profile
                .field_names()
                .find(|k| super::twin_of(k) == Some(f.name))
                .unwrap_or(f.name)
                .to_string();
            result.err().map(|e| (key, e.message))
        })
        .collect()
}

impl Profile {
    /// Its `rate_limit`: the requests per minute its provider account may receive from
    /// dbctl (none: the provider's default).
    pub fn rate_limit(&self) -> crate::error::Result<Option<u32>> {
        match self.fields.get(RATE_LIMIT) {
            None => Ok(None),
            Some(toml::Value::Integer(n)) if (1..=MAX_RATE_LIMIT).contains(n) => {
                Ok(u32::try_from(*n).ok())
            }
            Some(_) => Err(self.error(format!(
                "{} must be a whole number of requests per minute from 1 to {MAX_RATE_LIMIT}",
                self.describe(RATE_LIMIT)
            ))),
        }
    }
}

fn problem(profile: Option<&str>, line: Option<usize>, message: String) -> Problem {
    Problem {
        profile: profile.map(str::to_string),
        provider: None,
        line,
        column: None,
        message,
        blocking: true,
    }
}

fn syntax_error(text: &str, message: &str, span: Option<Range<usize>>) -> Problem {
    let (line, column) = line_col(text, span.map(|s| s.start).unwrap_or(0));
    Problem {
        profile: None,
        provider: None,
        line: Some(line),
        column: Some(column),
        message: format!(
            "not valid TOML: {} (line {line}, column {column})",
            message.trim().replace('\n', "; ")
        ),
        blocking: true,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn lines(line: Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// The known key a user most likely meant: the field of the variable the word echoes
/// (`api_url` for `UPSTASH_API_URL` means `url`), a known key the word begins or ends with
/// (or that begins or ends with it), else the closest by edit distance.
fn suggest(
    word: &str,
    known: &[&str],
    kind: Option<(ProviderKind, &[super::EnvVar])>,
) -> Option<String> {
    let lower = word.to_ascii_lowercase().replace('-', "_");
    if let Some((kind, variables)) = kind {
        let prefix = format!("{}_", kind.name().to_ascii_uppercase().replace('-', "_"));
        let upper = lower.to_ascii_uppercase();
        if let Some(var) = variables
            .iter()
            .find(|v| v.var == upper || v.var.strip_prefix(&prefix) == Some(upper.as_str()))
        {
            return Some(var.field.to_string());
        }
    }
    let affix = known
        .iter()
        .filter(|k| k.len() >= 3 && lower.len() >= 3)
        .filter(|k| {
            lower.starts_with(**k)
                || lower.ends_with(**k)
                || k.starts_with(&lower)
                || k.ends_with(&lower)
        })
        .max_by_key(|k| k.len());
    if let Some(key) = affix {
        return Some(key.to_string());
    }
    known
        .iter()
        .map(|k| (levenshtein(&lower, k), *k))
        .filter(|(d, _)| *d <= 2.max(lower.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.to_string())
}

/// Edit distance (insertions, deletions, substitutions) between two words.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::registry::variables;

    #[test]
    fn suggestions_follow_the_variable_names_then_the_spelling() {
        let upstash = keys(variables(ProviderKind::Upstash));
        let known: Vec<&str> = upstash.iter().map(String::as_str).collect();
        let up = Some((ProviderKind::Upstash, variables(ProviderKind::Upstash)));
        assert_eq!(suggest("api_url", &known, up).as_deref(), Some("url"));
        assert_eq!(
            suggest("UPSTASH_EMAIL", &known, up).as_deref(),
            Some("email")
        );
        assert_eq!(suggest("emial", &known, up).as_deref(), Some("email"));
        assert_eq!(
            suggest("apikey_env", &known, up).as_deref(),
            Some("api_key_env")
        );
        assert_eq!(suggest("zzzzzz", &known, up), None);
        let re = keys(variables(ProviderKind::RedisEnterprise));
        let known: Vec<&str> = re.iter().map(String::as_str).collect();
        let re = Some((
            ProviderKind::RedisEnterprise,
            variables(ProviderKind::RedisEnterprise),
        ));
        assert_eq!(suggest("username", &known, re).as_deref(), Some("user"));
        assert_eq!(suggest("api_url", &known, re).as_deref(), Some("url"));
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }

    #[test]
    fn every_provider_takes_a_whole_rate_limit() {
        for kind in ProviderKind::all() {
            let text = format!(
                "[profiles.a]\nprovider = \"{kind}\"\nrate_limit = 120\n\n[profiles.b]\nprovider = \"{kind}\"\nrate_limit = \"fast\"\n\n[profiles.c]\nprovider = \"{kind}\"\nrate_limit = 0\n"
            );
            let checked = check(Path::new("c.toml"), &text, variables);
            let refused: Vec<&str> = checked
                .problems
                .iter()
                .filter(|p| p.blocking)
                .map(|p| p.message.as_str())
                .collect();
            assert_eq!(
                refused,
                [
                    "'rate_limit' in profile 'b' must be a whole number of requests per minute from 1 to 100000 (line 7)",
                    "'rate_limit' in profile 'c' must be a whole number of requests per minute from 1 to 100000 (line 11)",
                ],
                "{kind}"
            );
            let a = checked.profiles.iter().find(|p| p.name == "a").unwrap();
            assert_eq!(a.rate_limit().unwrap(), Some(120));
        }
    }

    #[test]
    fn lines_and_columns_count_from_one() {
        assert_eq!(line_col("a\nbc\n", 0), (1, 1));
        assert_eq!(line_col("a\nbc\n", 3), (2, 2));
    }

    /// The README's key table (between its markers) lists exactly what the schema accepts.
    #[test]
    fn the_readme_key_table_matches_the_schema() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("<!-- config-keys -->")
            .expect("README has the config-keys table");
        let end = readme[start..]
            .find("<!-- /config-keys -->")
            .expect("the table ends")
            + start;
        // (key, variables, required, secret) per provider.
        type Row = (String, Vec<String>, bool, bool);
        let mut listed: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for row in readme[start..end]
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| provider"))
        {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 5, "README row {row:?}");
            let code = |cell: &str| -> Vec<String> {
                cell.split(',')
                    .map(|w| w.trim().trim_matches('`').to_string())
                    .filter(|w| !w.is_empty() && w != "-")
                    .collect()
            };
            let (key, twin) = (code(cells[1]), code(cells[2]));
            assert_eq!(key.len(), 1, "one key per README row: {row:?}");
            if !twin.is_empty() {
                let twins: Vec<String> = TWINS.iter().map(|t| format!("{}{t}", key[0])).collect();
                assert_eq!(twin, twins, "{row:?}");
            }
            listed.entry(cells[0].to_string()).or_default().push((
                key[0].clone(),
                code(cells[3]),
                cells[4] == "yes",
                !twin.is_empty(),
            ));
        }
        for kind in ProviderKind::all() {
            let schema: Vec<Row> = fields(variables(*kind))
                .into_iter()
                .map(|f| {
                    let vars = f.vars.iter().map(|v| v.to_string()).collect();
                    (f.name.to_string(), vars, f.required, f.secret)
                })
                .collect();
            assert_eq!(
                listed.remove(kind.name()).unwrap_or_default(),
                schema,
                "README keys of {kind}"
            );
        }
        assert!(
            listed.is_empty(),
            "README lists unknown providers: {listed:?}"
        );
    }

    #[test]
    fn every_problem_of_a_file_is_reported_with_its_line() {
        let text = "[profiles.a]\nprovider = \"upstash\"\napi_url = \"x\"\ninsecure = \"maybe\"\n\n[profiles.b]\nprovider = \"mongodb\"\n\n[profiles.c]\nprovider = \"cosmos\"\nkey_env = \"DBCTL_TEST_SURELY_UNSET\"\n";
        let checked = check(Path::new("c.toml"), text, variables);
        let messages: Vec<&str> = checked
            .problems
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert_eq!(
            messages,
            vec![
                "unknown key `api_url` in profile `a` (line 3); did you mean `url`?",
                "'insecure' in profile 'a' must be true or false (unquoted), not the string \"maybe\" (line 4)",
                "'email' in profile 'a' is not set (line 1)",
                "profile 'a' sets neither 'api_key' nor 'api_key_env' (nor 'api_key_command', 'api_key_keyring') (line 1)",
                "profile 'b' has unknown provider 'mongodb' (line 7); expected one of upstash, redis-cloud, redis-enterprise, cosmos",
                "'endpoint' in profile 'c' is not set (line 9)",
                "key_env in profile 'c' names DBCTL_TEST_SURELY_UNSET, which is not set (line 11)",
            ]
        );
        assert_eq!(
            checked
                .profiles
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            vec!["c"]
        );
        let syntax = check(
            Path::new("c.toml"),
            "[profiles.x]\nprovider = \n",
            variables,
        );
        assert_eq!(syntax.problems[0].line, Some(2));
        assert_eq!(syntax.problems[0].column, Some(12));
    }
}
