//! `backup list|create|restore`.
use std::time::Duration;

use super::db::print_change;
use super::{wait, Acted, App};
use crate::cli::BackupCommand;
use crate::error::Result;
use crate::provider::{BackupTaken, Change, Operation};

pub async fn run(app: &App, command: BackupCommand) -> Result<()> {
    match command {
        BackupCommand::List { db, target } => {
            let acted = app
                .act(
                    &target,
                    Operation::BackupList,
                    &db,
                    |provider, id| async move { provider.backups(&id).await },
                )
                .await?;
            app.print(&app.out.list(&acted.answer)?)
        }
        BackupCommand::Create {
            db,
            target,
            name,
            wait,
        } => {
            let name = name.as_deref();
            let Acted {
                provider, answer, ..
            } = app
                .act(
                    &target,
                    Operation::BackupCreate,
                    &db,
                    |provider, id| async move { provider.create_backup(&id, name).await },
                )
                .await?;
            match answer {
                BackupTaken::Backup(backup) => app.print(&app.out.one(&backup)?),
                BackupTaken::Task(task) if wait.wait => {
                    let timeout = Duration::from_secs_f64(wait.wait_timeout);
                    let done =
                        wait::task(app, provider.as_ref(), &task.id, timeout, wait::POLL).await?;
                    print_change(app, &Change::Task(done))
                }
                BackupTaken::Task(task) => print_change(app, &Change::Task(task)),
            }
        }
        BackupCommand::Restore {
            db,
            backup_id,
            target,
            yes,
            wait,
        } => {
            let backup_id = backup_id.as_str();
            let Acted {
                provider,
                id,
                answer,
            } = app
                .change(
                    &target,
                    Operation::BackupRestore,
                    (&db, yes),
                    &format!("overwrite with backup {backup_id}"),
                    |provider, id| async move { provider.restore_backup(&id, backup_id).await },
                )
                .await?;
            let change = if wait.wait {
                let timeout = Duration::from_secs_f64(wait.wait_timeout);
                wait::change(app, provider.as_ref(), answer, Some(&id), false, timeout).await?
            } else {
                answer
            };
            print_change(app, &change)
        }
    }
}
