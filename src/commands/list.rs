//! `db list`: every selected profile at once, in a stable order, with partial failures named.
use futures::future::join_all;

use super::App;
use crate::cli::{ListArgs, SortKey};
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
        if failures.len() > 1 && app.out.format() != OutputFormat::Json {
            failures[1..]
                .iter()
                .for_each(|e| crate::error::report(e, false));
        }
        return Err(failures.swap_remove(0));
    }

    databases.retain(|db| matches(db, args));
    sort(&mut databases, args.sort);
    app.print(&app.out.list(&databases)?)?;

    if failures.is_empty() {
        return Ok(());
    }
    let names = failures
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

/// Default order: provider, profile, name (then id) — the same whatever answered first.
fn sort(databases: &mut [Database], key: Option<SortKey>) {
    databases.sort_by(|a, b| {
        let base = || {
            (a.provider, &a.profile, &a.name, &a.id).cmp(&(b.provider, &b.profile, &b.name, &b.id))
        };
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
