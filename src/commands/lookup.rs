//! One database by name or id, in the selected profiles (every configured one without
//! `-p`/`--profile`). The local index ([`crate::index`]) says where to ask and the provider's
//! own answer for that database decides, so a right entry costs one round trip; a miss, a
//! stale entry or several entries list the selected profiles at once (one round trip, the
//! fleet engine) and refresh the index. Two databases that match are exit 7, each named with
//! the `-p`/`--profile` and id that select it. Nothing is printed from the index.
//!
//! A key only one selected profile's databases can have as their id is asked of that
//! profile straight away: [`App::find`] reads it, [`App::act`] does the command's request
//! with it (no extra read), and only when the provider does not know that id is it looked up
//! as a name.
use std::future::Future;
use std::sync::Arc;

use super::App;
use crate::cli::Profiles;
use crate::config::Profile;
use crate::error::{Error, ErrorKind, Result};
use crate::fleet;
use crate::index::{Hit, Index};
use crate::model::Database;
use crate::provider::registry::Registered;
use crate::provider::{Operation, Provider};

/// A database found by name or id: its provider, and that provider's answer for it.
pub struct Found {
    pub provider: Box<dyn Provider>,
    pub db: Database,
}

/// Where a key is looked for ([`App::search`]).
struct Search<'a> {
    selected: Vec<&'a Profile>,
    hits: Vec<Hit>,
    direct: Option<Box<dyn Provider>>,
}

/// What [`App::act`] did: on which provider and database id, and the provider's answer.
pub struct Acted<T> {
    pub provider: Arc<dyn Provider>,
    pub id: String,
    pub answer: T,
}

impl App {
    /// The database `key` (a name or an id) names in the selected profiles, read from its
    /// provider, which must be able to do `operation` (exit 6 otherwise, before any request
    /// when no selected provider can).
    pub async fn find(&self, target: &Profiles, operation: Operation, key: &str) -> Result<Found> {
        let search = self.search(target, operation, key)?;
        let mut not_found = None;
        if let Some(provider) = search.direct {
            match provider.get(key).await {
                Ok(db) => return Ok(Found { provider, db }),
                Err(error) if error.kind == ErrorKind::NotFound => not_found = Some(error),
                Err(error) => return Err(error),
            }
        }
        let (Found { provider, db }, read) = self
            .by_name(&search.selected, key, &search.hits, not_found)
            .await?;
        provider.require(operation)?;
        // From a list: the provider's own read of the database is what commands show.
        let db = match read {
            true => db,
            false => provider.get(&db.id).await?,
        };
        Ok(Found { provider, db })
    }

    /// Runs `act` on the database `key` names, with its provider and id: straight away when
    /// only one selected profile's databases can have `key` as their id (the answer to `act`
    /// is the provider's word on it), else, or when that provider does not know the id, on
    /// the database found by name.
    pub async fn act<T, F, Fut>(
        &self,
        target: &Profiles,
        operation: Operation,
        key: &str,
        act: F,
    ) -> Result<Acted<T>>
    where
        F: Fn(Arc<dyn Provider>, String) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let search = self.search(target, operation, key)?;
        let mut not_found = None;
        if let Some(provider) = search.direct {
            let provider: Arc<dyn Provider> = Arc::from(provider);
            match act(provider.clone(), key.to_string()).await {
                Err(error) if error.kind == ErrorKind::NotFound => not_found = Some(error),
                answer => {
                    return answer.map(|answer| Acted {
                        provider,
                        id: key.to_string(),
                        answer,
                    })
                }
            }
        }
        let (Found { provider, db }, _) = self
            .by_name(&search.selected, key, &search.hits, not_found)
            .await?;
        provider.require(operation)?;
        let provider: Arc<dyn Provider> = Arc::from(provider);
        let answer = act(provider.clone(), db.id.clone()).await?;
        Ok(Acted {
            provider,
            id: db.id,
            answer,
        })
    }

    /// Where `key` is looked for: the selected profiles, what the index says of it, and the
    /// one profile to ask straight away (able to do `operation`), if any.
    fn search(&self, target: &Profiles, operation: Operation, key: &str) -> Result<Search<'_>> {
        let selected = self.searchable(target, operation, key)?;
        let hits = self.index().hits(key, &places(&selected));
        let direct = self.direct(&selected, key, &hits);
        if let Some(provider) = &direct {
            provider.require(operation)?;
        }
        Ok(Search {
            selected,
            hits,
            direct,
        })
    }

    /// The selected profiles a key is looked for in: refused (exit 6, before any request)
    /// when the key can be no database's name or id, or no selected provider can do
    /// `operation`.
    pub(super) fn searchable(
        &self,
        target: &Profiles,
        operation: Operation,
        key: &str,
    ) -> Result<Vec<&Profile>> {
        let selected = self.selected(target)?;
        self.refuse_malformed(key, &selected)?;
        if !selected.iter().any(|p| p.provider.supports(operation)) {
            return Err(self.build(selected[0])?.unsupported(operation));
        }
        Ok(selected)
    }

    /// The one selected profile whose databases can have `key` as their id, unless the
    /// index knows `key` as anything but that profile's id (a name, another profile's).
    fn direct(&self, selected: &[&Profile], key: &str, hits: &[Hit]) -> Option<Box<dyn Provider>> {
        let mut accepting = selected
            .iter()
            .filter_map(|p| self.build(p).ok())
            .filter(|provider| provider.check_id(key).is_ok());
        let (Some(provider), None) = (accepting.next(), accepting.next()) else {
            return None;
        };
        let otherwise = hits.iter().any(|hit| {
            hit.id != key || hit.provider != provider.kind() || hit.profile != provider.profile()
        });
        (!otherwise).then_some(provider)
    }

    /// The database whose name (or id) is `key`: where the index says, when the provider's
    /// read agrees (then `true`: the record is that read); else from the selected profiles'
    /// lists (`false`: a list record). `not_found` is the provider's answer when `key` was
    /// already tried as an id.
    async fn by_name(
        &self,
        selected: &[&Profile],
        key: &str,
        hits: &[Hit],
        not_found: Option<Error>,
    ) -> Result<(Found, bool)> {
        // The entry just tried as an id is no news.
        if let ([hit], None) = (hits, &not_found) {
            if let Some(found) = self.verify(selected, hit, key).await? {
                return Ok((found, true));
            }
            self.shared
                .http
                .log(1, format!("the index entry for {key:?} is stale; listing"));
        }
        Ok((self.list_and_pick(selected, key, not_found).await?, false))
    }

    /// The database an index entry points at, when its provider still says it is `key`.
    async fn verify(&self, selected: &[&Profile], hit: &Hit, key: &str) -> Result<Option<Found>> {
        let Some(profile) = selected
            .iter()
            .find(|p| p.provider == hit.provider && p.name == hit.profile)
        else {
            return Ok(None);
        };
        let provider = self.build(profile)?;
        match provider.get(&hit.id).await {
            Ok(db) if db.id == key || db.name == key => Ok(Some(Found { provider, db })),
            Ok(_) => Ok(None),
            Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Lists every selected profile at once, refreshes the index, and picks the one database
    /// whose id or name is `key`. `not_found` is the provider's own answer when `key` was
    /// already asked for as an id: said again when no name matches either, or when the list
    /// holds that id after all (the answer was about something else).
    async fn list_and_pick(
        &self,
        selected: &[&Profile],
        key: &str,
        not_found: Option<Error>,
    ) -> Result<Found> {
        let mut collected = fleet::collect_from(selected, &self.shared).await;
        self.remember(&collected.lists);
        // When no name matches: the provider's own answer to the id, else its refusal of the
        // id's form when the key can only have been meant as an id of that provider.
        let refusal = |before: String| {
            self.refused_as_id(selected, key).map(|mut error| {
                error.message = format!("{before}{}", error.message);
                error
            })
        };
        if collected.lists.is_empty() {
            let failure = fleet::every_failure(std::mem::take(&mut collected.failures));
            if let Some(error) = not_found {
                self.shared.http.log(
                    1,
                    format!("{key:?} was not looked up as a name: {}", failure.message),
                );
                return Err(error);
            }
            let before = format!(
                "{key:?} could not be looked up as a name ({}), and ",
                failure.message
            );
            return Err(refusal(before).unwrap_or(failure));
        }
        let mut matches: Vec<(usize, Database)> = Vec::new();
        for (at, (_, databases)) in collected.lists.iter().enumerate() {
            matches.extend(
                databases
                    .iter()
                    .filter(|db| db.id == key || db.name == key)
                    .map(|db| (at, db.clone())),
            );
        }
        let unread = || {
            collected
                .failures
                .iter()
                .map(|e| {
                    format!(
                        "{} ({})",
                        e.profile.as_deref().unwrap_or("?"),
                        e.provider.map(|p| p.to_string()).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match matches.len() {
            0 => Err(not_found
                .or_else(|| refusal(format!("no database is named {key:?}, and ")))
                .unwrap_or_else(|| {
                    let mut error = Error::not_found(format!(
                        "no database named {key:?} or with that id in {}{}",
                        describe(selected),
                        if collected.failures.is_empty() {
                            String::new()
                        } else {
                            format!("; not searched: {}, which could not be read", unread())
                        }
                    ))
                    .with_hint("`dbctl db list` shows every database's name and id");
                    if let [profile] = selected {
                        error = error.with_origin(profile.provider, &profile.name);
                    }
                    error
                })),
            1 => {
                if !collected.failures.is_empty() {
                    crate::sanitize::warn(&format!(
                        "not searched for {key:?}: {}, which could not be read",
                        unread()
                    ));
                }
                let (at, db) = matches.remove(0);
                if let Some(error) = not_found.filter(|_| db.id == key) {
                    return Err(error);
                }
                let (provider, _) = collected.lists.swap_remove(at);
                Ok(Found { provider, db })
            }
            count => Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "{count} databases match {key:?}; select one: {}",
                    matches
                        .iter()
                        .map(|(_, db)| self.select_one(db))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )
            .with_hint("add its -p or --profile and give its id")),
        }
    }

    /// The refusal of `key` as an id (exit 6, in the provider's words) when the selected
    /// profiles are of one provider and it refuses that form.
    fn refused_as_id(&self, selected: &[&Profile], key: &str) -> Option<Error> {
        let kind = selected[0].provider;
        if selected.iter().any(|p| p.provider != kind) {
            return None;
        }
        let provider = self.build(selected[0]).ok()?;
        provider
            .check_id(key)
            .err()
            .map(|e| e.with_origin(kind, provider.profile()))
    }

    /// `-p upstash ID` or `--profile NAME ID (provider)`: the flags and id that select it.
    fn select_one(&self, db: &Database) -> String {
        let selector = self.selector(db.provider, &db.profile);
        let provider = if selector.starts_with("--profile") {
            format!(" ({})", db.provider)
        } else {
            String::new()
        };
        format!("{selector} {}{provider}", shell_word(&db.id))
    }

    /// A key no database could be named or numbered by (empty, blank, a control character):
    /// exit 6 before any request, in the provider's words when only one is selected.
    fn refuse_malformed(&self, key: &str, selected: &[&Profile]) -> Result<()> {
        let Some(why) = crate::provider::id::unusable(key) else {
            return Ok(());
        };
        let kind = selected[0].provider;
        if selected.iter().all(|p| p.provider == kind) {
            let provider = self.build(selected[0])?;
            provider
                .check_id(key)
                .map_err(|e| e.with_origin(kind, provider.profile()))?;
        }
        Err(Error::invalid(format!(
            "{} is not a database name or id: {why}",
            crate::sanitize::escape_controls(&format!("{key:?}"))
        )))
    }

    /// The index as stored (empty under `--demo`, or when there is none).
    fn index(&self) -> Index {
        self.index.as_deref().map(Index::load).unwrap_or_default()
    }

    /// Keeps each listed profile's names and ids in the index; a failure to write it costs
    /// only the next lookup's speed, and says why under `-v`.
    pub fn remember(&self, lists: &[(Box<dyn Provider>, Vec<Database>)]) {
        let Some(path) = self.index.as_deref() else {
            return;
        };
        if lists.is_empty() {
            return;
        }
        let mut index = Index::load(path);
        for (provider, databases) in lists {
            index.replace(provider.kind(), provider.profile(), databases);
        }
        if let Err(error) = index.save(path) {
            self.shared.http.log(
                1,
                format!("cannot write the name index {}: {error}", path.display()),
            );
        }
    }
}

/// Each profile as the index names it.
fn places<'a>(selected: &[&'a Profile]) -> Vec<(crate::model::ProviderKind, &'a str)> {
    selected
        .iter()
        .map(|p| (p.provider, p.name.as_str()))
        .collect()
}

/// `profile 'a'` or `the profiles a, b`.
fn describe(selected: &[&Profile]) -> String {
    match selected {
        [one] => format!("profile '{}' ({})", one.name, one.provider),
        many => format!(
            "the profiles {}",
            many.iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// An id as a shell word (Cosmos ids may hold spaces).
pub fn shell_word(id: &str) -> String {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        id.to_string()
    } else {
        format!("'{}'", id.replace('\'', "'\\''"))
    }
}
