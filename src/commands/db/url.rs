//! `db url` and `db connect`: a database's connection details, the password masked unless
//! `--show-secrets`.
use serde_json::{json, Value};

use super::super::App;
use crate::cli::{Target, UrlFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::output::OutputFormat;
use crate::provider::{Connection, Operation, RedisConnection};
use crate::secret::{Secret, MASK};

pub async fn url(
    app: &App,
    id: &str,
    target: &Target,
    format: UrlFormat,
    var: &str,
    region: Option<&str>,
) -> Result<()> {
    let provider = app.provider(target, Operation::Url)?;
    let connection = provider.connection(id).await?;
    let connection = super::super::region::choose(provider.as_ref(), id, connection, region)?;
    let show = app.shared.show_secrets;
    let url = connection_url(&connection, show);
    let text = match (format, app.out.format()) {
        (UrlFormat::Env, _) => format!("{var}={url}\n"),
        (UrlFormat::Url, OutputFormat::Table) => format!("{url}\n"),
        (UrlFormat::Url, _) => app.out.value(&connection_json(&connection, show))?,
    };
    app.print(&text)
}

pub async fn connect(
    app: &App,
    id: &str,
    target: &Target,
    region: Option<&str>,
    args: &[String],
) -> Result<()> {
    let provider = app.provider(target, Operation::Connect)?;
    let connection = provider.connection(id).await?;
    match super::super::region::choose(provider.as_ref(), id, connection, region)? {
        Connection::Redis(redis) => run_redis_cli(&redis, args),
        Connection::Cosmos(_) => Err(provider.unsupported(Operation::Connect)),
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
fn run_redis_cli(connection: &RedisConnection, extra: &[String]) -> Result<()> {
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
