//! `db ...`: one database at a time (lists live in `list.rs`).
use std::time::Duration;

use serde_json::{json, Value};

use super::wait::{self, Step};
use super::{list, stats, App};
use crate::cli::{DbCommand, UrlFormat, WaitArgs, WaitStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Database, Status};
use crate::output::OutputFormat;
use crate::provider::{
    Change, Connection, CreateRequest, ImportRequest, Operation, Provider, RedisConnection,
    Throughput, UpdateRequest,
};
use crate::secret::{Secret, MASK};

pub async fn run(app: &App, command: DbCommand) -> Result<()> {
    match command {
        DbCommand::List(args) => list::run(app, &args).await,
        DbCommand::Stats { id, list } => stats::run(app, id, &list).await,
        DbCommand::Get {
            id,
            target,
            collections,
        } => {
            let provider = app.provider(&target, Operation::Get)?;
            let mut db = provider.get(&id).await?;
            if collections || (app.shared.raw && provider.kind().supports(Operation::Collections)) {
                provider.require(Operation::Collections)?;
                db.collections = Some(provider.collections(&id).await?);
            }
            app.print(&app.out.one(&db)?)
        }
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
            let provider = app.provider(&target, Operation::Create)?;
            let request = CreateRequest {
                name,
                memory_bytes: memory,
                region,
                subscription,
                settings,
                dry_run,
            };
            let change = provider.create(&request).await?;
            finish(app, provider.as_ref(), change, None, false, &wait).await
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
            let throughput = throughput_flag(throughput, autoscale_max)?;
            let provider = app.provider(&target, Operation::Update)?;
            if throughput.is_some() {
                provider.require(Operation::Throughput)?;
            }
            let request = UpdateRequest {
                name,
                memory_bytes: memory,
                settings,
                throughput,
                dry_run,
            };
            let change = provider.update(&id, &request).await?;
            finish(app, provider.as_ref(), change, Some(&id), false, &wait).await
        }
        DbCommand::Delete {
            id,
            target,
            yes,
            wait,
        } => {
            let provider = app.provider(&target, Operation::Delete)?;
            app.confirm(yes, &format!("delete {} database", provider.kind()), &id)?;
            let change = provider.delete(&id).await?;
            finish(app, provider.as_ref(), change, Some(&id), true, &wait).await
        }
        DbCommand::Flush { id, target, yes } => {
            let provider = app.provider(&target, Operation::Flush)?;
            app.confirm(
                yes,
                &format!("delete every key of {} database", provider.kind()),
                &id,
            )?;
            let change = provider.flush(&id).await?;
            print_change(app, &change)
        }
        DbCommand::ResetPassword { id, target, yes } => {
            let provider = app.provider(&target, Operation::ResetPassword)?;
            app.confirm(
                yes,
                &format!("reset the password of {} database", provider.kind()),
                &id,
            )?;
            let change = provider.reset_password(&id).await?;
            print_change(app, &change)
        }
        DbCommand::Import {
            id,
            target,
            source_type,
            uris,
            yes,
            wait,
        } => {
            let provider = app.provider(&target, Operation::Import)?;
            app.confirm(
                yes,
                &format!("replace the data of {} database", provider.kind()),
                &id,
            )?;
            let change = provider
                .import(&id, &ImportRequest { source_type, uris })
                .await?;
            finish(app, provider.as_ref(), change, Some(&id), false, &wait).await
        }
        DbCommand::Wait {
            id,
            target,
            all,
            status,
            timeout,
            interval,
        } => {
            let timeout = Duration::from_secs_f64(timeout);
            let interval = Duration::from_secs_f64(interval);
            if all {
                return wait_all(app, &target, status, timeout, interval).await;
            }
            let provider = app.provider(&target, Operation::Get)?;
            let id = id.unwrap_or_default();
            wait_one(app, provider.as_ref(), &id, status, timeout, interval).await
        }
        DbCommand::Url {
            id,
            target,
            format,
            var,
        } => {
            let provider = app.provider(&target, Operation::Url)?;
            let connection = provider.connection(&id).await?;
            let show = app.shared.show_secrets;
            let url = connection_url(&connection, show);
            let text = match (format, app.out.format()) {
                (UrlFormat::Env, _) => format!("{var}={url}\n"),
                (UrlFormat::Url, OutputFormat::Table) => format!("{url}\n"),
                (UrlFormat::Url, _) => app.out.value(&connection_json(&connection, show))?,
            };
            app.print(&text)
        }
        DbCommand::Connect { id, target, args } => {
            let provider = app.provider(&target, Operation::Connect)?;
            match provider.connection(&id).await? {
                Connection::Redis(redis) => connect(&redis, &args),
                Connection::Cosmos(_) => Err(provider.unsupported(Operation::Connect)),
            }
        }
    }
}

/// `--throughput` / `--autoscale-max` (clap keeps them exclusive); zero or negative is
/// refused (exit 6) before any request.
fn throughput_flag(manual: Option<i64>, autoscale: Option<i64>) -> Result<Option<Throughput>> {
    let (ru, flag, make): (i64, &str, fn(u64) -> Throughput) = match (manual, autoscale) {
        (Some(ru), _) => (ru, "--throughput", Throughput::Manual),
        (None, Some(ru)) => (ru, "--autoscale-max", Throughput::Autoscale),
        (None, None) => return Ok(None),
    };
    match u64::try_from(ru) {
        Ok(ru) if ru > 0 => Ok(Some(make(ru))),
        _ => Err(Error::invalid(format!(
            "{flag} must be a positive number of RU/s; got {ru}"
        ))),
    }
}

/// Prints a change; with `--wait`, follows it to the end first.
async fn finish(
    app: &App,
    provider: &dyn Provider,
    change: Change,
    id: Option<&str>,
    gone: bool,
    wait: &WaitArgs,
) -> Result<()> {
    let change = if wait.wait && !matches!(change, Change::DryRun(_)) {
        let timeout = Duration::from_secs_f64(wait.wait_timeout);
        wait::change(app, provider, change, id, gone, timeout).await?
    } else {
        change
    };
    print_change(app, &change)
}

pub fn print_change(app: &App, change: &Change) -> Result<()> {
    let text = match change {
        Change::Database(db) => app.out.one(db)?,
        Change::Task(task) => app.out.one(task)?,
        Change::DryRun(value) => app.out.value(&json!({"dry_run": true, "request": value}))?,
        Change::Accepted(message) => match app.out.format() {
            OutputFormat::Table => format!("{message}\n"),
            _ => app
                .out
                .value(&json!({"result": "accepted", "message": message}))?,
        },
    };
    app.print(&text)
}

fn reached(db: &Database, wanted: WaitStatus) -> bool {
    let status = match wanted {
        WaitStatus::Active => Status::Active,
        WaitStatus::Pending => Status::Pending,
        WaitStatus::Suspended => Status::Suspended,
        WaitStatus::Deleting => Status::Deleting,
        WaitStatus::Failed => Status::Failed,
        WaitStatus::Unknown => Status::Unknown,
        WaitStatus::Deleted => return false,
    };
    db.status == status
}

async fn wait_one(
    app: &App,
    provider: &dyn Provider,
    id: &str,
    wanted: WaitStatus,
    timeout: Duration,
    interval: Duration,
) -> Result<()> {
    let what = format!(
        "{} database {id} to be {}",
        provider.kind(),
        wait_word(wanted)
    );
    let db = wait::until(app, &what, timeout, interval, || async {
        match provider.get(id).await {
            Ok(db) if reached(&db, wanted) => Ok(Step::Done(Some(db))),
            Ok(db) => Ok(Step::Waiting(status_word(&db))),
            Err(e) if e.kind == ErrorKind::NotFound && wanted == WaitStatus::Deleted => {
                Ok(Step::Done(None))
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    match db {
        Some(db) => app.print(&app.out.one(&db)?),
        None => {
            eprintln!("{} database {id} is gone", provider.kind());
            Ok(())
        }
    }
}

async fn wait_all(
    app: &App,
    target: &crate::cli::Target,
    wanted: WaitStatus,
    timeout: Duration,
    interval: Duration,
) -> Result<()> {
    let providers: Vec<_> = target.provider.into_iter().collect();
    let names: Vec<_> = target.profile.iter().cloned().collect();
    let built = app
        .select(&providers, &names)?
        .into_iter()
        .map(|p| app.build(p))
        .collect::<Result<Vec<_>>>()?;
    let what = format!("every selected database to be {}", wait_word(wanted));
    let databases = wait::until(app, &what, timeout, interval, || async {
        let lists = futures::future::try_join_all(built.iter().map(|p| p.list())).await?;
        let all: Vec<Database> = lists.into_iter().flatten().collect();
        let behind: Vec<String> = all
            .iter()
            .filter(|db| !reached(db, wanted))
            .map(|db| format!("{}={}", db.name, status_word(db)))
            .collect();
        Ok(
            if all.is_empty() || (behind.is_empty() && wanted != WaitStatus::Deleted) {
                Step::Done(all)
            } else {
                Step::Waiting(format!("{} not yet: {}", behind.len(), behind.join(", ")))
            },
        )
    })
    .await?;
    app.print(&app.out.list(&databases)?)
}

fn wait_word(wanted: WaitStatus) -> &'static str {
    match wanted {
        WaitStatus::Active => "active",
        WaitStatus::Pending => "pending",
        WaitStatus::Suspended => "suspended",
        WaitStatus::Deleting => "deleting",
        WaitStatus::Failed => "failed",
        WaitStatus::Unknown => "unknown",
        WaitStatus::Deleted => "deleted",
    }
}

fn status_word(db: &Database) -> String {
    match &db.provider_status {
        Some(word) if word != db.status.as_str() => format!("{} ({word})", db.status),
        _ => db.status.to_string(),
    }
}

/// Characters escaped in a URL's user and password: all but RFC 3986 unreserved ones.
const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `rediss://default:***@host:port`, or a Cosmos connection string.
fn connection_url(connection: &Connection, show_secret: bool) -> String {
    let secret = |s: &Secret| {
        if show_secret {
            s.expose().to_string()
        } else {
            MASK.to_string()
        }
    };
    let port = |port: Option<u16>| port.map(|p| format!(":{p}")).unwrap_or_default();
    match connection {
        Connection::Cosmos(cosmos) => format!(
            "AccountEndpoint={}://{}{}/;AccountKey={};Database={}",
            if cosmos.tls { "https" } else { "http" },
            cosmos.host,
            port(cosmos.port),
            secret(&cosmos.key),
            cosmos.database
        ),
        Connection::Redis(redis) => {
            let host = if redis.host.contains(':') {
                format!("[{}]", redis.host)
            } else {
                redis.host.clone()
            };
            let userinfo = match &redis.password {
                None => String::new(),
                Some(password) => format!(
                    "{}:{}@",
                    percent_encoding::utf8_percent_encode(
                        redis.user.as_deref().unwrap_or("default"),
                        USERINFO
                    ),
                    if show_secret {
                        percent_encoding::utf8_percent_encode(password.expose(), USERINFO)
                            .to_string()
                    } else {
                        MASK.to_string()
                    }
                ),
            };
            let scheme = if redis.tls { "rediss" } else { "redis" };
            format!("{scheme}://{userinfo}{host}{}", port(redis.port))
        }
    }
}

fn connection_json(connection: &Connection, show: bool) -> Value {
    let url = connection_url(connection, show);
    match connection {
        Connection::Redis(redis) => {
            let mut value = json!({
                "url": url,
                "host": redis.host,
                "port": redis.port,
                "tls": redis.tls,
                "user": redis.user,
                "database": redis.database,
            });
            if show {
                value["password"] = json!(redis.password.as_ref().map(|p| p.expose()));
            }
            value
        }
        Connection::Cosmos(cosmos) => {
            let mut value = json!({
                "url": url,
                "host": cosmos.host,
                "port": cosmos.port,
                "tls": cosmos.tls,
                "user": null,
                "database": cosmos.database,
            });
            if show {
                value["password"] = json!(cosmos.key.expose());
            }
            value
        }
    }
}

/// Runs redis-cli with the password in REDISCLI_AUTH, never on its command line.
fn connect(connection: &RedisConnection, extra: &[String]) -> Result<()> {
    let mut command = std::process::Command::new("redis-cli");
    command.arg("-h").arg(&connection.host);
    if let Some(port) = connection.port {
        command.arg("-p").arg(port.to_string());
    }
    if connection.tls {
        command.arg("--tls");
    }
    if let Some(user) = connection.user.as_deref().filter(|u| *u != "default") {
        command.arg("--user").arg(user);
    }
    if let Some(password) = &connection.password {
        command.env("REDISCLI_AUTH", password.expose());
    }
    command.args(extra);
    let status = command.status().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::invalid("redis-cli is not installed or not on PATH")
                .with_hint("install it with `apt-get install redis-tools` or `brew install redis`")
        } else {
            Error::internal(format!("cannot run redis-cli: {e}"))
        }
    })?;
    match status.code() {
        Some(0) => Ok(()),
        code => Err(Error::new(
            ErrorKind::Provider,
            format!(
                "redis-cli exited with {}",
                code.map(|c| c.to_string())
                    .unwrap_or_else(|| "a signal".into())
            ),
        )),
    }
}
