//! `backup list|create|restore`.
use std::time::Duration;

use super::db::print_change;
use super::{wait, App};
use crate::cli::BackupCommand;
use crate::error::Result;
use crate::provider::{Change, Operation};

pub async fn run(app: &App, command: BackupCommand) -> Result<()> {
    match command {
        BackupCommand::List { db, target } => {
            let provider = app.provider_for(&target, Operation::BackupList, &db)?;
            let backups = provider.backups(&db).await?;
            app.print(&app.out.list(&backups)?)
        }
        BackupCommand::Create {
            db,
            target,
            name,
            wait,
        } => {
            let provider = app.provider_for(&target, Operation::BackupCreate, &db)?;
            let change = provider.create_backup(&db, name.as_deref()).await?;
            let change = match change {
                Change::Task(task) if wait.wait => Change::Task(
                    wait::task(
                        app,
                        provider.as_ref(),
                        &task.id,
                        Duration::from_secs_f64(wait.wait_timeout),
                        wait::POLL,
                    )
                    .await?,
                ),
                other => other,
            };
            print_change(app, &change)
        }
        BackupCommand::Restore {
            db,
            backup_id,
            target,
            yes,
            wait,
        } => {
            let provider = app.provider_for(&target, Operation::BackupRestore, &db)?;
            app.confirm(
                yes,
                &format!(
                    "overwrite with backup {backup_id} the {} database",
                    provider.kind()
                ),
                &db,
            )?;
            let change = provider.restore_backup(&db, &backup_id).await?;
            let change = if wait.wait {
                wait::change(
                    app,
                    provider.as_ref(),
                    change,
                    Some(&db),
                    false,
                    Duration::from_secs_f64(wait.wait_timeout),
                )
                .await?
            } else {
                change
            };
            print_change(app, &change)
        }
    }
}
