//! The one table of providers: kind → how to build it, its variables, its capabilities.
//! Adding a provider: a variant of [`ProviderKind`] (in the model), its folder under
//! `provider/`, and one arm in [`Registered::spec`] (the compiler points at both).
pub use super::spec::ProviderSpec;
use super::{Operation, Provider, Shared};
use crate::config::{EnvVar, Profile};
use crate::error::Result;
use crate::model::ProviderKind;

/// Each provider's variables, as the config layer takes them ([`crate::config::Variables`]).
pub fn variables(kind: ProviderKind) -> &'static [EnvVar] {
    kind.spec().env
}

/// What the registry knows of a provider kind.
pub trait Registered {
    /// The registry entry.
    fn spec(self) -> &'static ProviderSpec;
    fn supports(self, operation: Operation) -> bool;
    /// Builds the provider a profile describes.
    fn build(self, profile: &Profile, shared: &Shared) -> Result<Box<dyn Provider>>;
}

impl Registered for ProviderKind {
    fn spec(self) -> &'static ProviderSpec {
        match self {
            ProviderKind::Upstash => &super::upstash::SPEC,
            ProviderKind::RedisCloud => &super::redis_cloud::SPEC,
            ProviderKind::RedisEnterprise => &super::redis_enterprise::SPEC,
            ProviderKind::Cosmos => &super::cosmos::SPEC,
        }
    }

    fn supports(self, operation: Operation) -> bool {
        self.spec().operations.contains(&operation)
    }

    fn build(self, profile: &Profile, shared: &Shared) -> Result<Box<dyn Provider>> {
        (self.spec().build)(profile, shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Connection, Database};
    use crate::provider::ImportRequest;

    #[test]
    fn every_provider_is_registered_with_its_own_variables() {
        for kind in ProviderKind::all() {
            let clap_name = kind.name();
            let spec = kind.spec();
            assert!(!spec.env.is_empty(), "{kind} declares no variables");
            assert!(
                spec.env.iter().all(|v| v
                    .var
                    .starts_with(&clap_name.to_ascii_uppercase().replace('-', "_"))),
                "{kind}'s variables are named after it"
            );
            for op in [Operation::List, Operation::Get, Operation::Url] {
                assert!(kind.supports(op), "{kind} must support {op}");
            }
        }
    }

    /// What one provider answers to `operation` on `db`: `Some(true)` when it does it (any
    /// answer but "not supported"), `Some(false)` when it refuses it as unsupported, `None`
    /// for what every provider does or the command checks (throughput, a `db update` flag).
    async fn does(provider: &dyn Provider, operation: Operation, db: &Database) -> Option<bool> {
        let id = db.id.as_str();
        let answer: Result<()> = match operation {
            Operation::List
            | Operation::Get
            | Operation::Create
            | Operation::Update
            | Operation::Delete
            | Operation::Url
            | Operation::Throughput => return None,
            Operation::Connect => {
                let connection = provider.connection(id).await.ok()?;
                return Some(matches!(connection, Connection::Redis(_)));
            }
            Operation::Flush => provider.flush(id).await.map(drop),
            Operation::ResetPassword => provider.reset_password(id).await.map(drop),
            Operation::Import => {
                let request = ImportRequest {
                    source_type: "http".into(),
                    uris: vec!["https://example.com/dump.rdb".into()],
                };
                provider.import(id, &request).await.map(drop)
            }
            Operation::BackupList => provider.backups(id).await.map(drop),
            Operation::BackupCreate => provider.create_backup(id, None).await.map(drop),
            Operation::BackupRestore => provider
                .restore_backup(id, "no-such-backup")
                .await
                .map(drop),
            Operation::Tasks => provider.tasks().await.map(drop),
            Operation::Collections => provider.collections(id).await.map(drop),
            Operation::Usage => provider.usages(std::slice::from_ref(db)).await.map(drop),
        };
        let unsupported = provider.unsupported(operation).message;
        Some(!matches!(answer, Err(error) if error.message == unsupported))
    }

    /// Each provider's `operations` is what its code does: every optional operation is
    /// called on each provider against the emulator, and it is refused as unsupported exactly
    /// when the registry does not list it (a trait method overridden but not listed, or
    /// listed but left to the default, fails here).
    #[cfg(feature = "emulator")]
    #[tokio::test(flavor = "multi_thread")]
    async fn the_registry_lists_what_each_provider_does() {
        let emulator = crate::emulator::Emulator::start(crate::emulator::Options::demo())
            .await
            .unwrap();
        let http = crate::context::HttpSettings::new(&crate::context::Requests {
            attempts: 1,
            ..Default::default()
        });
        let _ = http.api_override.set(emulator.addr());
        let shared = Shared {
            http: std::sync::Arc::new(http),
            raw: false,
            show_secrets: false,
        };
        let config = emulator.demo_config();
        for kind in ProviderKind::all() {
            let profile = config
                .profiles
                .iter()
                .find(|p| p.provider == *kind)
                .unwrap();
            let provider = kind.build(profile, &shared).unwrap();
            let db = provider.list().await.unwrap().remove(0);
            for operation in Operation::ALL {
                if let Some(does) = does(provider.as_ref(), operation, &db).await {
                    assert_eq!(
                        does,
                        kind.supports(operation),
                        "{kind} {operation}: the code and the registry disagree"
                    );
                }
            }
        }
    }
}
