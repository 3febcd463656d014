//! `db list`: every selected profile at once, in a stable order, with partial failures named.
use std::future::Future;

use futures::future::join_all;

use super::App;
use crate::cli::{ListArgs, SortKey};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Database;
use crate::output::OutputFormat;
use crate::provider::Provider;

pub async fn run(app: &App, args: &ListArgs) -> Result<()> {
    if args.usage {
        return super::stats::list_with_usage(app, args).await;
    }
    let gathered = gather(
        app,
        args,
        |db| db,
        |_, databases| async move { Ok((databases, Vec::new())) },
    )
    .await?;
    app.print(&app.out.list(&gathered.items)?)?;
    gathered.finish(app)
}

/// What a fleet-wide command collected: the items of every profile that answered, and the
/// failures (whole profiles, or single databases) to name after printing them.
pub struct Gathered<T> {
    pub items: Vec<T>,
    failures: Vec<Error>,
    failed_profiles: usize,
    profiles: usize,
}

/// Lists every selected profile at once, keeps the databases `args` selects, and hands each
/// profile's to `then`, which answers items and per-database failures; the items come back in
/// the list's order (`database` tells each item's database). Fails outright when no profile
/// answered, or with `--strict` when any failed.
pub async fn gather<'a, T, F, Fut>(
    app: &'a App,
    args: &ListArgs,
    database: fn(&T) -> &Database,
    then: F,
) -> Result<Gathered<T>>
where
    F: Fn(Box<dyn Provider>, Vec<Database>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Vec<Error>)>> + 'a,
{
    let profiles = app.select(&args.providers, &args.profiles)?;
    let answers = join_all(profiles.iter().map(|profile| {
        let then = &then;
        async move {
            let result = async {
                let provider = app.build(profile)?;
                let mut databases = provider.list().await?;
                databases.retain(|db| matches(db, args));
                then(provider, databases).await
            }
            .await;
            result.map_err(|e| e.with_origin(profile.provider, &profile.name))
        }
    }))
    .await;

    let mut items = Vec::new();
    let mut failures = Vec::new();
    let mut failed_profiles = 0;
    for (answer, profile) in answers.into_iter().zip(&profiles) {
        match answer {
            Ok((list, errors)) => {
                items.extend(list);
                failures.extend(
                    errors
                        .into_iter()
                        .map(|e| e.with_origin(profile.provider, &profile.name)),
                );
            }
            Err(error) => {
                failed_profiles += 1;
                failures.push(error);
            }
        }
    }
    if failed_profiles == profiles.len() || (args.strict && !failures.is_empty()) {
        if failures.len() > 1 && app.out.format() != OutputFormat::Json {
            failures[1..]
                .iter()
                .for_each(|e| crate::error::report(e, false));
        }
        return Err(failures.swap_remove(0));
    }
    items.sort_by(|a, b| order(database(a), database(b), args.sort));
    Ok(Gathered {
        items,
        failures,
        failed_profiles,
        profiles: profiles.len(),
    })
}

impl<T> Gathered<T> {
    /// After the items are printed: success, or exit 12 naming every failure.
    pub fn finish(self, app: &App) -> Result<()> {
        if self.failures.is_empty() {
            return Ok(());
        }
        let names = self
            .failures
            .iter()
            .map(|e| {
                format!(
                    "{} ({}): {}",
                    e.profile.as_deref().unwrap_or("?"),
                    e.provider.map(|p| p.to_string()).unwrap_or_default(),
                    e.message
                )
            })
            .collect::<Vec<_>>();
        let json = app.out.format() == OutputFormat::Json;
        if !json {
            for name in &names {
                eprintln!("error: profile {name}");
            }
        }
        let databases = self.failures.len() - self.failed_profiles;
        let what = match (self.failed_profiles, databases) {
            (profiles, 0) => format!("{profiles} of {} profiles failed", self.profiles),
            (0, databases) => format!("{databases} databases failed"),
            (profiles, databases) => format!(
                "{profiles} of {} profiles and {databases} databases failed",
                self.profiles
            ),
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
}

fn matches(db: &Database, args: &ListArgs) -> bool {
    args.status.is_none_or(|s| db.status == s)
        && args.region.as_deref().is_none_or(|r| {
            db.region
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(r))
        })
        && args
            .name
            .as_deref()
            .is_none_or(|glob| glob_match(glob, &db.name))
}

/// Default order: provider, profile, name (then id) — the same whatever answered first.
fn order(a: &Database, b: &Database, key: Option<SortKey>) -> std::cmp::Ordering {
    let base =
        || (a.provider, &a.profile, &a.name, &a.id).cmp(&(b.provider, &b.profile, &b.name, &b.id));
    match key {
        None => base(),
        Some(SortKey::Name) => a.name.cmp(&b.name).then_with(base),
        Some(SortKey::Status) => a.status.cmp(&b.status).then_with(base),
        Some(SortKey::Memory) => a
            .memory_limit_bytes
            .cmp(&b.memory_limit_bytes)
            .then_with(base),
        Some(SortKey::Created) => a.created_at.cmp(&b.created_at).then_with(base),
    }
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
