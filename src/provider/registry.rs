//! The one list of providers. Adding a provider: a variant here, its folder under
//! `provider/`, and one arm in [`spec`] (the compiler points at it); nothing else names it.
use std::fmt;

use clap::ValueEnum;
use serde::Serialize;

use super::{Fields, Operation, Provider, Shared};
use crate::config::{EnvVar, Profile};
use crate::error::Result;

/// Which provider a profile talks to. Its clap and serde names are the provider's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Upstash,
    RedisCloud,
    RedisEnterprise,
    Cosmos,
}

/// Everything the rest of dbctl knows about one provider.
pub struct ProviderSpec {
    /// As users type it (`redis-cloud`); a test holds it equal to the clap and serde names.
    pub name: &'static str,
    /// The environment variables of its implicit profile; their fields are also the keys a
    /// config-file profile may set (each secret with its `*_env` twin).
    pub env: &'static [EnvVar],
    /// Builds it from a profile; fails (exit 3) when the profile is incomplete.
    pub build: fn(&Profile, &Shared) -> Result<Box<dyn Provider>>,
    /// What it can do; everything else is refused (exit 6) before a request is made.
    pub operations: &'static [Operation],
    /// Its API has no live usage figures: `db stats` reads `INFO` over the data plane and
    /// keeps the API's figure only when the data plane cannot be reached.
    pub usage_from_info: bool,
    /// Said after "X is not supported by P" for an operation it lacks, where a next step helps.
    pub unsupported_hint: fn(Operation) -> Option<&'static str>,
    /// What `plan`/`apply` may write, field by field.
    pub fields: Fields,
}

impl ProviderKind {
    /// Every provider, in the order lists and tables show them.
    pub fn all() -> &'static [ProviderKind] {
        ProviderKind::value_variants()
    }

    /// The registry entry.
    pub fn spec(self) -> &'static ProviderSpec {
        match self {
            ProviderKind::Upstash => &super::upstash::SPEC,
            ProviderKind::RedisCloud => &super::redis_cloud::SPEC,
            ProviderKind::RedisEnterprise => &super::redis_enterprise::SPEC,
            ProviderKind::Cosmos => &super::cosmos::SPEC,
        }
    }

    /// The provider's name as users type it (`redis-cloud`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn parse(name: &str) -> Option<ProviderKind> {
        Self::all().iter().copied().find(|k| k.name() == name)
    }

    pub fn supports(self, operation: Operation) -> bool {
        self.spec().operations.contains(&operation)
    }

    /// Builds the provider a profile describes.
    pub fn build(self, profile: &Profile, shared: &Shared) -> Result<Box<dyn Provider>> {
        (self.spec().build)(profile, shared)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_and_the_clap_value_enum_agree() {
        for kind in ProviderKind::all() {
            let clap_name = kind.to_possible_value().unwrap().get_name().to_string();
            let serde_name = serde_json::to_value(kind).unwrap();
            assert_eq!(kind.name(), clap_name);
            assert_eq!(serde_name, clap_name.as_str());
            assert_eq!(ProviderKind::parse(&clap_name), Some(*kind));
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
