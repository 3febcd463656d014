//! The ground floor: the normalized model every provider converts into, and the provider
//! vocabulary every layer shares. Nothing here imports anything of dbctl's above `secret`.
mod connection;
mod database;
mod facts;
mod health;
mod kind;
mod ping;
mod values;

pub use connection::{Connection, CosmosConnection, RedisConnection, RegionConnection};
pub use database::{Backup, Database, Region, Status, Task, TaskStatus, WaitTarget};
pub use facts::{Provisioning, Throughput};
pub use health::{Finding, Rule, Severity, Usage};
pub use kind::ProviderKind;
pub use ping::{Latency, Ping};
pub use values::{now_rfc3339, rfc3339_from_text, rfc3339_from_unix, ByteSize};
