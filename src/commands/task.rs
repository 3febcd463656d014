//! `task get|wait`.
use std::time::Duration;

use super::{wait, App};
use crate::cli::TaskCommand;
use crate::error::Result;
use crate::provider::Operation;

pub async fn run(app: &App, command: TaskCommand) -> Result<()> {
    match command {
        TaskCommand::Get { id, target } => {
            let provider = app.provider(&target, Operation::Tasks)?;
            let task = provider.task(&id).await?;
            app.print(&app.out.one(&task)?)
        }
        TaskCommand::Wait {
            id,
            target,
            timeout,
            interval,
        } => {
            let provider = app.provider(&target, Operation::Tasks)?;
            let task = wait::task(
                app,
                provider.as_ref(),
                &id,
                Duration::from_secs_f64(timeout),
                Duration::from_secs_f64(interval),
            )
            .await?;
            app.print(&app.out.one(&task)?)
        }
    }
}
