//! The fleet engine: every selected profile at once, each profile's list handed on as soon
//! as it comes, partial results, and the failures named. `db list`, `db stats`, `db ping`,
//! `check`, `export`, `plan` and `apply` all read the fleet through it.
use std::cmp::Ordering;
use std::future::Future;

use futures::future::join_all;

use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Database, Status};
use crate::provider::registry::Registered;
use crate::provider::{Provider, Shared};

/// Which databases of the selected profiles a command acts on (in the default order:
/// `--sort` is the renderer's).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub status: Option<Status>,
    /// A glob (`*`, `?`), case-insensitive.
    pub name: Option<String>,
    /// Any of a database's regions.
    pub region: Option<String>,
    /// Any failing profile fails the command, with nothing printed.
    pub strict: bool,
}

/// What the selected profiles answered: each provider with its databases, and the failures.
pub struct Collected {
    pub lists: Vec<(Box<dyn Provider>, Vec<Database>)>,
    pub failures: Vec<Error>,
    profiles: usize,
}

/// Lists every selected profile at once. Fails when no profile answered, or (`strict`) when
/// any failed, naming every failure; otherwise the failures wait in [`Collected::finish`].
pub async fn collect(profiles: &[&Profile], shared: &Shared, strict: bool) -> Result<Collected> {
    let mut collected = collect_from(profiles, shared).await;
    if collected.lists.is_empty() || (strict && !collected.failures.is_empty()) {
        return Err(every_failure(std::mem::take(&mut collected.failures)));
    }
    Ok(collected)
}

/// Lists these profiles at once; each failure names its profile.
pub async fn collect_from(profiles: &[&Profile], shared: &Shared) -> Collected {
    let (lists, failures) = each_profile(profiles, shared, |provider, list| async move {
        Ok((provider, list))
    })
    .await;
    Collected {
        lists,
        failures,
        profiles: profiles.len(),
    }
}

/// Lists these profiles at once and hands each profile's list to `then` as soon as it comes,
/// so a slow profile does not hold back another's follow-up requests. The answers in the
/// profiles' order, and the failures, each naming its profile.
pub async fn each_profile<T, F, Fut>(
    profiles: &[&Profile],
    shared: &Shared,
    then: F,
) -> (Vec<T>, Vec<Error>)
where
    F: Fn(Box<dyn Provider>, Vec<Database>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let then = &then;
    each_built(profiles, shared, |provider| async move {
        let list = provider.list().await?;
        then(provider, list).await
    })
    .await
}

/// Builds each of these profiles' providers and runs `then` on all of them at once: the
/// answers in the profiles' order, and the failures, each naming its profile.
pub async fn each_built<T, F, Fut>(
    profiles: &[&Profile],
    shared: &Shared,
    then: F,
) -> (Vec<T>, Vec<Error>)
where
    F: Fn(Box<dyn Provider>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let then = &then;
    let answers = join_all(profiles.iter().map(|profile| async move {
        let answer = async {
            let provider = profile.provider.build(profile, shared)?;
            then(provider).await
        };
        answer
            .await
            .map_err(|e| e.with_origin(profile.provider, &profile.name))
    }))
    .await;
    partition(answers)
}

impl Collected {
    /// Every database of every profile that answered.
    pub fn take_databases(&mut self) -> Vec<Database> {
        std::mem::take(&mut self.lists)
            .into_iter()
            .flat_map(|(_, list)| list)
            .collect()
    }

    /// After the output: success, or exit 12 naming each profile that failed (each on its
    /// own stderr line unless `json`, where the one error line names them).
    pub fn finish(&self, json: bool) -> Result<()> {
        incomplete(json, &self.failures, self.failures.len(), self.profiles)
    }
}

/// What a fleet-wide command made of every selected database: its items in the list's order,
/// and the failures (whole profiles, or single databases) to name after printing them.
pub struct Gathered<T> {
    pub items: Vec<T>,
    failures: Vec<Error>,
    failed_profiles: usize,
    profiles: usize,
}

/// Lists every selected profile at once (as `db list`), keeps the databases `selection`
/// selects, and hands each profile's to `then` as soon as it comes, which answers items and
/// per-database failures; `database` tells each item's database, for the list's order. Fails
/// outright when no profile answered, or with `strict` when anything failed.
pub async fn gather<T, F, Fut>(
    selected: &[&Profile],
    shared: &Shared,
    selection: &Selection,
    database: fn(&T) -> &Database,
    then: F,
) -> Result<Gathered<T>>
where
    F: Fn(Box<dyn Provider>, Vec<Database>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Vec<Error>)>>,
{
    let profiles = selected.len();
    let then = &then;
    let (answers, mut failures) =
        each_profile(selected, shared, |provider, mut databases| async move {
            databases.retain(|db| selection.matches(db));
            let (kind, profile) = (provider.kind(), provider.profile().to_string());
            let (items, errors) = then(provider, databases).await?;
            let errors: Vec<Error> = errors
                .into_iter()
                .map(|e| e.with_origin(kind, &profile))
                .collect();
            Ok((items, errors))
        })
        .await;
    let failed_profiles = failures.len();
    let mut items = Vec::new();
    for (list, errors) in answers {
        items.extend(list);
        failures.extend(errors);
    }
    if failed_profiles == profiles || (selection.strict && !failures.is_empty()) {
        return Err(every_failure(failures));
    }
    items.sort_by(|a, b| order(database(a), database(b)));
    Ok(Gathered {
        items,
        failures,
        failed_profiles,
        profiles,
    })
}

impl<T> Gathered<T> {
    /// After the items are printed: success, or exit 12 naming every failure.
    pub fn finish(&self, json: bool) -> Result<()> {
        incomplete(json, &self.failures, self.failed_profiles, self.profiles)
    }

    /// What could not be read: whole profiles, and single databases.
    pub fn failures(&self) -> &[Error] {
        &self.failures
    }
}

/// Exit 12 naming every failure (each on its own stderr line for people, in the one JSON
/// error line under `--json`), or success when there is none: `failed_profiles` of
/// `profiles` failed whole, the rest of the failures are single databases.
pub fn incomplete(
    json: bool,
    failures: &[Error],
    failed_profiles: usize,
    profiles: usize,
) -> Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    let names = failures.iter().map(describe_failure).collect::<Vec<_>>();
    if !json {
        for name in &names {
            crate::say!("error: profile {name}");
        }
    }
    let databases = failures.len() - failed_profiles;
    let what = match (failed_profiles, databases) {
        (failed, 0) => format!("{failed} of {profiles} profiles failed"),
        (0, databases) => format!("{databases} databases failed"),
        (failed, databases) => {
            format!("{failed} of {profiles} profiles and {databases} databases failed")
        }
    };
    let summary = format!(
        "{what}; the list is incomplete{}",
        if json {
            format!(": {}", names.join("; "))
        } else {
            String::new()
        }
    );
    Err(Error::new(ErrorKind::Partial, summary)
        .with_hint("use --strict to fail without printing a partial list"))
}

/// The answers that came, in order, and the failures.
fn partition<T>(answers: Vec<Result<T>>) -> (Vec<T>, Vec<Error>) {
    let mut oks = Vec::with_capacity(answers.len());
    let mut failures = Vec::new();
    for answer in answers {
        match answer {
            Ok(value) => oks.push(value),
            Err(error) => failures.push(error),
        }
    }
    (oks, failures)
}

/// One error naming every failing profile: the first failure's kind (and exit code), and
/// its origin when it is the only one.
pub fn every_failure(mut failures: Vec<Error>) -> Error {
    if failures.len() == 1 {
        return failures.swap_remove(0);
    }
    let Some(first) = failures.first() else {
        return Error::internal("no profile answered and none failed");
    };
    let mut error = Error::new(
        first.kind,
        format!(
            "{} profiles failed: {}",
            failures.len(),
            failures
                .iter()
                .map(describe_failure)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    );
    error.hint = first.hint.clone();
    error
}

/// `profile (provider): message`.
fn describe_failure(error: &Error) -> String {
    format!(
        "{} ({}): {}",
        error.profile.as_deref().unwrap_or("?"),
        error.provider.map(|p| p.to_string()).unwrap_or_default(),
        error.message
    )
}

impl Selection {
    /// Whether a database passes the filters.
    pub fn matches(&self, db: &Database) -> bool {
        self.status.is_none_or(|s| db.status == s)
            && self.region.as_deref().is_none_or(|r| {
                // An Active-Active database is in each of its regions.
                db.region
                    .iter()
                    .chain(db.regions.iter().flatten().map(|region| &region.region))
                    .any(|d| d.eq_ignore_ascii_case(r))
            })
            && self
                .name
                .as_deref()
                .is_none_or(|glob| glob_match(glob, &db.name))
    }
}

/// The default order: provider, profile, name (then id) — the same whatever answered first.
pub fn sort(databases: &mut [Database]) {
    databases.sort_by(order);
}

fn order(a: &Database, b: &Database) -> Ordering {
    (a.provider, &a.profile, &a.name, &a.id).cmp(&(b.provider, &b.profile, &b.name, &b.id))
}

/// `*` matches any run of characters, `?` one character; case-insensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("prod-*", "prod-cache"));
        assert!(glob_match("*cache*", "my-CACHE-1"));
        assert!(glob_match("db?", "db1"));
        assert!(!glob_match("db?", "db12"));
        assert!(glob_match("*", ""));
        assert!(glob_match("données*", "données-é"));
    }
}
