//! `dbctl emulator serve`.
use crate::cli::EmulatorCommand;
use crate::emulator::{Emulator, Options};
use crate::error::{Error, Result};

pub async fn run(command: EmulatorCommand) -> Result<()> {
    let EmulatorCommand::Serve {
        port,
        bind,
        seed,
        latency_ms,
        fault,
        speed,
    } = command;
    let options = Options {
        port,
        bind,
        seeded: seed == crate::cli::Seed::Demo,
        latency: std::time::Duration::from_millis(latency_ms),
        fault: fault
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(Error::usage)?,
        fixed_ports: false,
        speed,
    };
    let emulator = Emulator::start(options).await?;
    let stopped = super::stop_signal();
    let mut text = String::new();
    for (name, value) in emulator.env() {
        text.push_str(&format!("export {name}={value}\n"));
    }
    // The comment line ends the block, so a reader knows every variable has been printed.
    text.push_str(&format!(
        "# dbctl emulator on {}, Redis data plane on {} (Ctrl-C or SIGTERM stops it)\n",
        emulator.base_url(),
        emulator.redis_addr()
    ));
    crate::output::emit(&text)?;
    stopped.await;
    Ok(())
}
