//! `db list`: every selected profile at once, in a stable order, with partial failures named.
use futures::future::join_all;

use super::App;
use crate::cli::{ListArgs, SortKey, SortOrder};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Database;
use crate::output::OutputFormat;

pub async fn run(app: &App, args: &ListArgs) -> Result<()> {
    let profiles = app.select(&args.providers, &args.profiles)?;
    let answers = join_all(profiles.iter().map(|profile| async move {
        let result = match app.build(profile) {
            Ok(provider) => provider.list().await,
            Err(error) => Err(error),
        };
        result.map_err(|e| e.with_origin(profile.provider, &profile.name))
    }))
    .await;

    let mut databases = Vec::new();
    let mut failures = Vec::new();
    for answer in answers {
        match answer {
            Ok(list) => databases.extend(list),
            Err(error) => failures.push(error),
        }
    }
    let answered = profiles.len() - failures.len();
    if answered == 0 || (args.strict && !failures.is_empty()) {
        return Err(every_failure(failures));
    }

    databases.retain(|db| matches(db, args));
    sort(&mut databases, args.sort);
    app.print(&app.out.list(&databases)?)?;

    if failures.is_empty() {
        return Ok(());
    }
    let names = failures.iter().map(describe_failure).collect::<Vec<_>>();
    let json = app.out.format() == OutputFormat::Json;
    if !json {
        for name in &names {
            crate::say!("error: profile {name}");
        }
    }
    let summary = format!(
        "{} of {} profiles failed; the list is incomplete{}",
        failures.len(),
        profiles.len(),
        if json {
            format!(": {}", names.join("; "))
        } else {
            String::new()
        }
    );
    Err(Error::new(ErrorKind::Partial, summary)
        .with_hint("use --strict to fail without printing a partial list"))
}

/// One error naming every failing profile: the first failure's kind (and exit code), and
/// its origin when it is the only one.
fn every_failure(mut failures: Vec<Error>) -> Error {
    if failures.len() == 1 {
        return failures.swap_remove(0);
    }
    let first = &failures[0];
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

fn matches(db: &Database, args: &ListArgs) -> bool {
    args.status.is_none_or(|s| db.status == s)
        && args.region.as_deref().is_none_or(|r| {
            // An Active-Active database is in each of its regions.
            db.region
                .iter()
                .chain(db.regions.iter().flatten().map(|region| &region.region))
                .any(|d| d.eq_ignore_ascii_case(r))
        })
        && args
            .name
            .as_deref()
            .is_none_or(|glob| glob_match(glob, &db.name))
}

/// Default order: provider, profile, name (then id) — the same whatever answered first. With
/// `--sort`, databases that lack the value come last in either direction.
fn sort(databases: &mut [Database], order: Option<SortOrder>) {
    use std::cmp::Ordering;
    /// Present values in the asked direction, absent ones after them.
    fn by<T: Ord>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) if descending => b.cmp(&a),
            (Some(a), Some(b)) => a.cmp(&b),
            (a, b) => a.is_none().cmp(&b.is_none()),
        }
    }
    databases.sort_by(|a, b| {
        let base = || {
            (a.provider, &a.profile, &a.name, &a.id).cmp(&(b.provider, &b.profile, &b.name, &b.id))
        };
        let Some(SortOrder { key, descending }) = order else {
            return base();
        };
        let ordering = match key {
            SortKey::Name => by(Some(&a.name), Some(&b.name), descending),
            SortKey::Status => by(Some(a.status), Some(b.status), descending),
            SortKey::Memory => by(a.memory_limit_bytes, b.memory_limit_bytes, descending),
            SortKey::Created => by(a.created_at.as_ref(), b.created_at.as_ref(), descending),
        };
        ordering.then_with(base)
    });
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
