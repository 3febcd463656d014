//! Which provider: the one piece of provider vocabulary every layer shares. It names the
//! providers and nothing more; what each can do lives in `provider::registry`.
use std::fmt;

use clap::ValueEnum;
use serde::Serialize;

/// Which provider a profile talks to. Its clap and serde names are the provider's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Upstash,
    RedisCloud,
    RedisEnterprise,
    Cosmos,
}

impl ProviderKind {
    /// Every provider, in the order lists and tables show them.
    pub fn all() -> &'static [ProviderKind] {
        ProviderKind::value_variants()
    }

    /// The provider's name as users type it (`redis-cloud`): its clap name.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Upstash => "upstash",
            ProviderKind::RedisCloud => "redis-cloud",
            ProviderKind::RedisEnterprise => "redis-enterprise",
            ProviderKind::Cosmos => "cosmos",
        }
    }

    pub fn parse(name: &str) -> Option<ProviderKind> {
        Self::all().iter().copied().find(|k| k.name() == name)
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
    fn the_name_is_the_clap_and_serde_name() {
        for kind in ProviderKind::all() {
            let clap_name = kind.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(kind.name(), clap_name);
            assert_eq!(serde_json::to_value(kind).unwrap(), clap_name.as_str());
            assert_eq!(ProviderKind::parse(&clap_name), Some(*kind));
        }
    }
}
