//! `db ...`: every `db` subcommand, one file per group.
use super::App;
use crate::cli::DbCommand;
use crate::error::Result;

mod list;
pub(super) mod ping;
pub(super) mod stats;
mod status;
mod url;
pub(super) mod write;

pub use list::run as list;

pub use write::print_change;

pub async fn run(app: &App, command: DbCommand) -> Result<()> {
    match command {
        DbCommand::List(args) => list::run(app, &args).await,
        DbCommand::Stats { id, list } => stats::run(app, id, &list).await,
        DbCommand::Get {
            id,
            target,
            collections,
            watch,
        } => status::get(app, &id, &target, collections, &watch).await,
        DbCommand::Create {
            target,
            name,
            memory,
            region,
            subscription,
            settings,
            dry_run,
            wait,
        } => {
            let request = crate::provider::CreateRequest {
                name,
                memory_bytes: memory,
                region,
                subscription,
                settings: typed(settings),
                dry_run,
                ..Default::default()
            };
            write::create(app, &target, &request, &wait).await
        }
        DbCommand::Update {
            id,
            target,
            memory,
            throughput,
            autoscale_max,
            name,
            settings,
            dry_run,
            wait,
        } => {
            let request = crate::provider::UpdateRequest {
                name,
                memory_bytes: memory,
                settings: typed(settings),
                throughput: write::throughput_flag(throughput, autoscale_max)?,
                dry_run,
                ..Default::default()
            };
            write::update(app, &id, &target, &request, &wait).await
        }
        DbCommand::Delete {
            id,
            target,
            yes,
            wait,
        } => write::delete(app, &id, &target, yes, &wait).await,
        DbCommand::Flush { id, target, yes } => write::flush(app, &id, &target, yes).await,
        DbCommand::ResetPassword { id, target, yes } => {
            write::reset_password(app, &id, &target, yes).await
        }
        DbCommand::Import {
            id,
            target,
            source_type,
            uris,
            uri_envs,
            yes,
            wait,
        } => {
            let uris = write::import_sources(&uris, &uri_envs)?;
            let request = crate::provider::ImportRequest { source_type, uris };
            write::import(app, &id, &target, &request, yes, &wait).await
        }
        DbCommand::Wait {
            id,
            target,
            all,
            status,
            timeout,
            interval,
        } => {
            let timing = status::Timing::from_secs(timeout, interval);
            match id {
                Some(id) if !all => status::wait_one(app, &id, &target, status, timing).await,
                _ => status::wait_all(app, &target, status, timing).await,
            }
        }
        DbCommand::Url {
            id,
            target,
            format,
            var,
            region,
        } => url::url(app, &id, &target, format, var.as_deref(), region.as_deref()).await,
        DbCommand::Ping { id, target, count } => ping::run(app, id, &target, count).await,
        DbCommand::Connect {
            id,
            target,
            region,
            args,
        } => url::connect(app, &id, &target, region.as_deref(), &args).await,
    }
}

/// `--set key=value` pairs with each value read as [`crate::provider::setting_value`] reads it.
fn typed(settings: Vec<(String, String)>) -> Vec<(String, serde_json::Value)> {
    settings
        .into_iter()
        .map(|(key, value)| {
            let value = crate::provider::setting_value(&value);
            (key, value)
        })
        .collect()
}
