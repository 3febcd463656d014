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
}
