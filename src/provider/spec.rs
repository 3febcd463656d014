//! What each provider declares about itself, in one value per provider (`SPEC` in its
//! folder); `registry` collects them.
use super::{Fields, Operation, Provider, Shared};
use crate::config::{EnvVar, Profile};
use crate::error::Result;

/// Everything the rest of dbctl knows about one provider.
pub struct ProviderSpec {
    /// The environment variables of its implicit profile; their fields are also the keys a
    /// config-file profile may set (each secret with its `*_env` twin).
    pub env: &'static [EnvVar],
    /// Builds it from a profile; fails (exit 3) when the profile is incomplete.
    pub build: fn(&Profile, &Shared) -> Result<Box<dyn Provider>>,
    /// What it can do; everything else is refused (exit 6) before a request is made.
    pub operations: &'static [Operation],
    /// The requests per minute a profile sends at most unless its `rate_limit` says
    /// otherwise (the README lists them).
    pub requests_per_minute: u32,
    /// Its API has no live usage figures: `db stats` reads `INFO` over the data plane and
    /// keeps the API's figure only when the data plane cannot be reached.
    pub usage_from_info: bool,
    /// Said after "X is not supported by P" for an operation it lacks, where a next step helps.
    pub unsupported_hint: fn(Operation) -> Option<&'static str>,
    /// What `plan`/`apply` may write, field by field.
    pub fields: Fields,
}
