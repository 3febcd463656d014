//! dbctl: one CLI for databases on Upstash, Redis Cloud, Redis Enterprise and Azure Cosmos DB.
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
mod health;
mod http;
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
