//! dbctl: one CLI for databases on Upstash, Redis Cloud, Redis Enterprise and Azure Cosmos DB.
//!
//! Imports run one way, top to bottom; no module imports one above it, and no files import
//! each other in a circle (`tests/layers.rs` holds both):
//!
//! ```text
//! main, lib        parse, run, map the one error to an exit code
//! commands         one file or folder per command (`db/` holds every `db` subcommand)
//! cli              the clap tree: the vocabulary commands receive (as uv's uv-cli)
//! fleet, emulator  the fleet engine; the emulator, a plug-in no provider knows of
//! provider         the Provider trait, one folder per provider, the registry
//! http, dataplane  one HTTP layer; one Redis data plane
//! config, output, context, tls, paging, index
//!                  profiles; renderers; run settings; TLS; list bounds; the name index
//! error            the one error type
//! sanitize         escaping untrusted text, the stderr writer
//! model, credentials
//!                  the normalized model and `ProviderKind`; the credentials scrubbed by value
//! secret, files    secret values and redaction by name; bounded file reads
//! ```
pub mod cli;
mod commands;
mod config;
mod context;
mod credentials;
mod dataplane;
#[cfg(feature = "emulator")]
mod emulator;
pub mod error;
mod files;
mod fleet;
mod http;
mod index;
mod model;
mod output;
mod paging;
mod provider;
mod sanitize;
mod secret;
mod tls;

/// Builds the runtime and runs the parsed command line.
pub fn run(cli: cli::Cli) -> error::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| error::Error::internal(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(commands::dispatch(cli));
    // Lookups or connections given up on (a data plane that did not answer in time) may
    // still be running on blocking threads: the answer is out, so do not wait for them.
    runtime.shutdown_background();
    result
}
