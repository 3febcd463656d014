//! What `plan`/`apply` may write on a provider's databases: each provider declares it in its
//! registry entry, so the desired-state commands never name a provider.

/// When a spec field can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settable {
    /// Read only (e.g. the region of a Redis Enterprise database: the cluster's).
    Never,
    /// Only when the database is created.
    AtCreate,
    /// At create, and in place only from off to on (Upstash TLS).
    Enable,
    /// At create and by `update`.
    InPlace,
    /// At create, and by `update` from one value to another, but never added to a database
    /// created without it (Cosmos shared throughput).
    Adjust,
}

impl Settable {
    pub fn at_create(self) -> bool {
        self != Settable::Never
    }

    /// Whether `update` can take the field from `from` to `to`.
    pub fn in_place(self, from: &serde_json::Value, to: &serde_json::Value) -> bool {
        match self {
            Settable::InPlace => true,
            Settable::Adjust => !from.is_null(),
            Settable::Enable => {
                from == &serde_json::Value::Bool(false) && to == &serde_json::Value::Bool(true)
            }
            Settable::Never | Settable::AtCreate => false,
        }
    }
}

/// TLS on or off as a `--set` key and value.
pub type TlsSetting = fn(bool) -> (&'static str, &'static str);

/// Provisioned throughput as the `--set` key and RU/s that `create` takes.
pub type ThroughputSetting = fn(super::Throughput) -> (&'static str, u64);

/// The spec fields of one provider and how each is written.
pub struct Fields {
    pub region: Settable,
    pub memory: Settable,
    pub tls: Settable,
    /// Provisioned RU/s, manual or autoscale (Cosmos); read through `Provider::usages`.
    pub throughput: Settable,
    /// The `--set` pair that writes TLS on or off.
    pub tls_setting: Option<TlsSetting>,
    /// The `--set` pair that writes the throughput at create.
    pub throughput_setting: Option<ThroughputSetting>,
    /// Settings `create`/`update` accept that the provider's record reports under the same
    /// top-level key, so `export` writes them and `plan` compares them.
    pub settings: &'static [&'static str],
    /// Databases live in a subscription named by the part of their id before `/`, which
    /// `create` needs (Redis Cloud).
    pub subscription: bool,
}
