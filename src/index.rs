//! The local index of database names and ids → provider and profile, so a single-database
//! command finds a database by name or id without `-p` in one round trip.
//!
//! It is a cache and never a source of output: a hit only says where to ask, and the
//! provider's answer for that database decides (`commands::lookup`). It holds ids and names,
//! never a secret, in `$XDG_CACHE_HOME/dbctl/index.json` (else `~/.cache/dbctl/`), mode
//! 0600, replaced whole by a rename so a reader never sees half a file. A file that is
//! missing, unreadable, too large or not understood is an empty index.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Database, ProviderKind};

/// The file format's version: another one is read as an empty index.
const VERSION: u32 = 1;

/// Names and ids of each profile's databases, as its last full list gave them.
#[derive(Debug, Default)]
pub struct Index {
    profiles: BTreeMap<(ProviderKind, String), Vec<Entry>>,
}

/// One database of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry(String, String);

/// Where the index says a name or id may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub provider: ProviderKind,
    pub profile: String,
    pub id: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    profiles: Vec<ProfileEntries>,
}

#[derive(Serialize, Deserialize)]
struct ProfileEntries {
    provider: String,
    profile: String,
    /// `[id, name]` pairs.
    databases: Vec<Entry>,
}

/// `$XDG_CACHE_HOME/dbctl/index.json`, else `~/.cache/dbctl/index.json`; `None` without either.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("dbctl").join("index.json"))
}

impl Index {
    /// The index stored at `path`; empty when there is none or it cannot be read.
    pub fn load(path: &Path) -> Index {
        let Ok(bytes) = crate::files::read_bytes(path) else {
            return Index::default();
        };
        let Ok(file) = serde_json::from_slice::<File>(&bytes) else {
            return Index::default();
        };
        if file.version != VERSION {
            return Index::default();
        }
        let profiles = file
            .profiles
            .into_iter()
            .filter_map(|p| {
                let kind = ProviderKind::parse(&p.provider)?;
                Some(((kind, p.profile), p.databases))
            })
            .collect();
        Index { profiles }
    }

    /// Every database the index places in one of `profiles` whose id or name is `key`.
    pub fn hits(&self, key: &str, profiles: &[(ProviderKind, &str)]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (provider, profile) in profiles {
            let Some(entries) = self.profiles.get(&(*provider, profile.to_string())) else {
                continue;
            };
            for Entry(id, name) in entries {
                if id == key || name == key {
                    hits.push(Hit {
                        provider: *provider,
                        profile: profile.to_string(),
                        id: id.clone(),
                    });
                }
            }
        }
        hits
    }

    /// Replaces a profile's entries with the databases of its full list.
    pub fn replace(&mut self, provider: ProviderKind, profile: &str, databases: &[Database]) {
        let entries = databases
            .iter()
            .map(|db| Entry(db.id.clone(), db.name.clone()))
            .collect();
        self.profiles
            .insert((provider, profile.to_string()), entries);
    }

    /// Writes the index to `path` whole: a new file (mode 0600, in a directory made 0700)
    /// renamed over the old one.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let file = File {
            version: VERSION,
            profiles: self
                .profiles
                .iter()
                .map(|((provider, profile), databases)| ProfileEntries {
                    provider: provider.name().to_string(),
                    profile: profile.clone(),
                    databases: databases.clone(),
                })
                .collect(),
        };
        let text = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        let dir = path
            .parent()
            .ok_or_else(|| std::io::Error::other("the index path has no directory"))?;
        create_private_dir(dir)?;
        let temporary = dir.join(format!(
            ".index.{}.{:08x}.tmp",
            std::process::id(),
            fastrand::u32(..)
        ));
        let written =
            write_private(&temporary, &text).and_then(|()| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }
}

/// Creates `dir` (and its parents) when missing; a directory dbctl creates is 0700.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A new file holding `bytes`, readable and writable by its owner only, flushed to disk.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(provider: ProviderKind, profile: &str, id: &str, name: &str) -> Database {
        Database::new(provider, profile, id.to_string(), name.to_string())
    }

    #[test]
    fn a_saved_index_reads_back_and_answers_by_id_or_name_within_the_profiles_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/dbctl/index.json");
        let mut index = Index::default();
        index.replace(
            ProviderKind::Upstash,
            "a",
            &[db(ProviderKind::Upstash, "a", "u-1", "sessions")],
        );
        index.replace(
            ProviderKind::Cosmos,
            "c",
            &[db(ProviderKind::Cosmos, "c", "sessions", "sessions")],
        );
        index.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        let read = Index::load(&path);
        let both = [(ProviderKind::Upstash, "a"), (ProviderKind::Cosmos, "c")];
        assert_eq!(read.hits("sessions", &both).len(), 2);
        assert_eq!(
            read.hits("u-1", &both),
            vec![Hit {
                provider: ProviderKind::Upstash,
                profile: "a".into(),
                id: "u-1".into()
            }]
        );
        assert!(read
            .hits("sessions", &[(ProviderKind::Upstash, "b")])
            .is_empty());
        // Only the temporary's rename is left behind: no stray files.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("index.json")]);
    }

    #[test]
    fn an_unreadable_or_foreign_file_is_an_empty_index() {
        let dir = tempfile::tempdir().unwrap();
        let key = [(ProviderKind::Upstash, "a")];
        for text in [
            "not json",
            r#"{"version": 2, "profiles": []}"#,
            r#"{"version": 1, "profiles": [{"provider": "mongodb", "profile": "a", "databases": [["1", "x"]]}]}"#,
        ] {
            let path = dir.path().join("index.json");
            std::fs::write(&path, text).unwrap();
            assert!(Index::load(&path).hits("x", &key).is_empty(), "{text}");
        }
        assert!(Index::load(&dir.path().join("missing.json"))
            .hits("x", &key)
            .is_empty());
    }
}
