//! What each provider declares about itself, in one value per provider (`SPEC` in its
//! folder); `registry` collects them.
use super::{AccountId, Fields, Operation, Provider, Shared};
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
    /// The requests a minute its API allows an account, where it publishes a limit: every
    /// request of a profile stays under it (a client-side budget, unless the profile's
    /// `rate_limit` says otherwise), and `--watch` and `--live` pace themselves by it.
    pub requests_per_minute: Option<u32>,
    /// Its API has no live usage figures: `db stats` reads `INFO` over the data plane and
    /// keeps the API's figure only when the data plane cannot be reached.
    pub usage_from_info: bool,
    /// Said after "X is not supported by P" for an operation it lacks, where a next step helps.
    pub unsupported_hint: fn(Operation) -> Option<&'static str>,
    /// What `plan`/`apply` may write, field by field.
    pub fields: Fields,
    /// The account a profile reaches (its API's URL and principal, no secret in clear), so
    /// two profiles for one account are seen as one; fails (exit 3) as `build` would.
    pub account: fn(&Profile) -> Result<AccountId>,
}
