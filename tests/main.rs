//! The one integration test crate (ripgrep style): each file in tests/ is a module of this
//! binary, so the helpers and the provider cases compile once and `cargo test WORD` filters by
//! module path (`cargo test upstash`). A new test file `tests/NAME.rs` joins with `mod NAME;`
//! below; it reaches the helpers as `crate::common` and a provider's case as `crate::cases`.
mod cases;
mod common;

mod behaviour;
mod configuration;
mod connect;
mod contract;
mod cosmos;
mod cosmos_sdk;
mod credentials;
mod daily;
mod dataplane;
mod desired;
mod emulator_serve;
mod entra;
mod env_hosts_names;
mod faults;
mod finish;
mod flag_ranges;
mod health;
mod help;
mod hostile;
mod hostile_dataplane;
mod hostile_outputs;
mod inventory;
mod layers;
mod local_inputs;
mod lookup;
mod mcp;
mod metrics;
mod outputs;
mod packaging;
mod prune;
mod pty_tables;
mod query;
mod redis_cloud;
mod redis_enterprise;
mod report;
mod shapes;
mod tables;
mod upstash;
mod watch;
