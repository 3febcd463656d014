//! `task list|get|wait`.
use std::time::Duration;

use super::{wait, App};
use crate::cli::TaskCommand;
use crate::error::Result;
use crate::fleet;
use crate::model::Task;
use crate::provider::registry::Registered;
use crate::provider::Operation;

pub async fn run(app: &App, command: TaskCommand) -> Result<()> {
    match command {
        TaskCommand::List { target } => {
            let selected = app.selected(&target)?;
            let able: Vec<_> = selected
                .iter()
                .copied()
                .filter(|p| p.provider.supports(Operation::Tasks))
                .collect();
            if able.is_empty() {
                return Err(app.build(selected[0])?.unsupported(Operation::Tasks));
            }
            let (lists, failures) = fleet::each_built(&able, &app.shared, |provider| async move {
                provider.tasks().await
            })
            .await;
            let unread = failures.len();
            let tasks: Vec<Task> = lists.into_iter().flatten().collect();
            if tasks.is_empty() && unread == able.len() {
                return Err(fleet::every_failure(failures));
            }
            app.print(&app.out.list(&tasks)?)?;
            fleet::incomplete(app.json(), &failures, unread, able.len())
        }
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
