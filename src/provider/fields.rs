//! What `plan`/`apply` may write on a provider's databases: each provider declares it in its
//! registry entry, so the desired-state commands never name a provider.
use serde_json::Value;

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
    pub fn in_place(self, from: &Value, to: &Value) -> bool {
        match self {
            Settable::InPlace => true,
            Settable::Adjust => !from.is_null(),
            Settable::Enable => from == &Value::Bool(false) && to == &Value::Bool(true),
            Settable::Never | Settable::AtCreate => false,
        }
    }
}

/// A field the spec manages with a key of its own, never through `[database.settings]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Managed {
    Name,
    Region,
    Subscription,
    Memory,
    Tls,
    Throughput,
}

impl Managed {
    pub const ALL: [Managed; 6] = [
        Managed::Name,
        Managed::Region,
        Managed::Subscription,
        Managed::Memory,
        Managed::Tls,
        Managed::Throughput,
    ];

    /// Its key in a spec file.
    pub fn key(self) -> &'static str {
        match self {
            Managed::Name => "name",
            Managed::Region => "region",
            Managed::Subscription => "subscription",
            Managed::Memory => "memory",
            Managed::Tls => "tls",
            Managed::Throughput => "throughput",
        }
    }
}

/// The spec fields of one provider and how each is written.
pub struct Fields {
    pub region: Settable,
    pub memory: Settable,
    pub tls: Settable,
    /// Provisioned RU/s, manual or autoscale (Cosmos); read by `Provider::throughput`.
    pub throughput: Settable,
    /// Settings `create`/`update` accept that the provider's converter reports back (in
    /// `Facts::settings`, under the same keys), so `export` writes them and `plan` compares.
    pub settings: &'static [&'static str],
    /// Databases live in a subscription named by the part of their id before `/`, which
    /// `create` needs (Redis Cloud).
    pub subscription: bool,
    /// The provider's own names for the managed fields: the keys its records, its requests
    /// and its `--set` use for them. `[database.settings]` may name none of any provider's.
    pub spellings: &'static [(Managed, &'static str)],
}

impl Fields {
    /// How a managed field is written (a name is given at create only).
    pub fn settable(&self, field: Managed) -> Settable {
        match field {
            Managed::Name => Settable::AtCreate,
            Managed::Region => self.region,
            Managed::Subscription if self.subscription => Settable::AtCreate,
            Managed::Subscription => Settable::Never,
            Managed::Memory => self.memory,
            Managed::Tls => self.tls,
            Managed::Throughput => self.throughput,
        }
    }
}
