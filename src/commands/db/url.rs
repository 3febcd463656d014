//! `db url` and `db connect`: a database's connection details, the password masked unless
//! `--show-secrets`.
use serde_json::{json, Value};

use super::super::{Acted, App};
use crate::cli::{Profiles, UrlFormat};
use crate::credentials::UNRESERVED;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Connection, CosmosConnection, RedisConnection};
use crate::provider::{self, Operation};
use crate::sanitize::is_unsafe_char;
use crate::secret::MASK;
use crate::tls::TlsOptions;

pub async fn url(
    app: &App,
    key: &str,
    target: &Profiles,
    format: UrlFormat,
    var: Option<&str>,
    region: Option<&str>,
) -> Result<()> {
    let Acted {
        provider,
        id,
        answer,
    } = app
        .act(target, Operation::Url, key, |provider, id| async move {
            provider::connection(provider.as_ref(), &id).await
        })
        .await?;
    let connection = super::super::region::choose(provider.as_ref(), &id, answer, region)?;
    let show = app.shared.show_secrets;
    let text = match format {
        UrlFormat::Env => {
            app.out.text_only("--format env prints one VAR=URL line")?;
            env_line(var.unwrap_or(connection.env_var()), &connection, show)?
        }
        UrlFormat::Url => app.out.message(
            &connection_url(&connection, show)?,
            &connection_json(&connection, show)?,
        )?,
    };
    app.print(&text)
}

pub async fn connect(
    app: &App,
    key: &str,
    target: &Profiles,
    region: Option<&str>,
    args: &[String],
) -> Result<()> {
    let Acted {
        provider,
        id,
        answer,
    } = app
        .act(target, Operation::Connect, key, |provider, id| async move {
            provider::connection(provider.as_ref(), &id).await
        })
        .await?;
    match super::super::region::choose(provider.as_ref(), &id, answer, region)? {
        Connection::Redis(redis) => {
            // The profile's CA file and insecure switch, as `db ping` uses them.
            let tls = provider.source().tls()?;
            let insecure = tls.insecure || app.shared.http.insecure;
            run(redis_cli(&dialed(app, redis).await, &tls, insecure, args))
        }
        Connection::Cosmos(_) => Err(provider.unsupported(Operation::Connect)),
    }
}

/// The connection redis-cli can reach: under `--demo` the databases' hosts are made up, so
/// it dials the emulator's data plane (plaintext, answering PING, INFO and AUTH), and says so.
/// A `localhost` name is dialed in plaintext at 127.0.0.1, or at ::1 when only that answers,
/// as the data plane does.
async fn dialed(app: &App, mut redis: RedisConnection) -> RedisConnection {
    if let Some(addr) = app.shared.http.dial_override.get() {
        crate::say!(
            "note: --demo: redis-cli reaches the emulator's data plane at {addr}, which answers PING, INFO and AUTH only"
        );
        redis.host = addr.ip().to_string();
        redis.port = Some(addr.port());
        redis.tls = false;
    } else if crate::sanitize::is_loopback_name(&redis.host) {
        let port = redis.port.unwrap_or(crate::dataplane::DEFAULT_PORT);
        redis.host = crate::dataplane::accepting_loopback(port)
            .await
            .ip()
            .to_string();
        redis.tls = false;
    }
    redis
}

/// `VAR=url` for `$GITHUB_ENV`, `docker --env-file` and dotenv files, which take the value
/// unquoted and whole (a quote would stay part of it): exactly one line, or a refusal naming
/// the field that would break it (exit 8); a masked password is printed only with a warning.
/// Not for `eval` in a shell, where `;` ends a command.
fn env_line(var: &str, connection: &Connection, show: bool) -> Result<String> {
    if var.is_empty() || var.chars().any(is_unsafe_char) || var.contains('=') {
        return Err(Error::usage(format!(
            "--var {var:?} is not a variable name"
        )));
    }
    let url = connection_url(connection, show)?;
    let (user, database) = match connection {
        Connection::Redis(redis) => (redis.user.as_deref().unwrap_or_default(), &redis.database),
        Connection::Cosmos(cosmos) => ("", &cosmos.database),
    };
    let fields = [
        ("host", connection.host()),
        ("user", user),
        ("database", database.as_str()),
        ("url", url.as_str()),
    ];
    if let Some((field, _)) = fields.iter().find(|(_, v)| v.chars().any(is_unsafe_char)) {
        return Err(Error::provider_error(format!(
            "refusing to print {var}: the database's {field} holds a line break or control character"
        ))
        .with_hint("an env line must be one line; inspect the database with `dbctl db get ID --json`"));
    }
    // A value starts with a scheme or a key; a trailing space (a Cosmos id may end with one)
    // is dropped by dotenv and kept by $GITHUB_ENV.
    if url.trim_end() != url {
        return Err(Error::provider_error(format!(
            "refusing to print {var}: its value ends with a space, which dotenv drops and $GITHUB_ENV keeps"
        ))
        .with_hint("print the value alone with `dbctl db url ID` (without --format env)"));
    }
    if !show && connection.secret().is_some() {
        crate::sanitize::warn(&format!("the password in {var} is masked as {MASK}; add --show-secrets to put the real one in the environment"));
    }
    Ok(format!("{var}={url}\n"))
}

/// `rediss://default:***@host:port`, or a Cosmos connection string.
fn connection_url(connection: &Connection, show_secret: bool) -> Result<String> {
    match connection {
        Connection::Cosmos(cosmos) => cosmos_connection_string(cosmos, show_secret),
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
                        UNRESERVED
                    ),
                    if show_secret {
                        percent_encoding::utf8_percent_encode(password.expose(), UNRESERVED)
                            .to_string()
                    } else {
                        MASK.to_string()
                    }
                ),
            };
            let scheme = if redis.tls { "rediss" } else { "redis" };
            Ok(format!("{scheme}://{userinfo}{host}{}", port(redis.port)))
        }
    }
}

/// `:port`, or nothing.
fn port(port: Option<u16>) -> String {
    port.map(|p| format!(":{p}")).unwrap_or_default()
}

/// `AccountEndpoint=https://host:port/;AccountKey=***;Database=id`, built only from an account
/// host and a database id that cannot change its structure: one holding `;`, `=`, a quote or a
/// control character would add or override a key for whatever reads the string, so it is
/// refused (exit 8), never printed.
fn cosmos_connection_string(cosmos: &CosmosConnection, show_secret: bool) -> Result<String> {
    let breaks = |text: &str| {
        text.chars()
            .any(|c| matches!(c, ';' | '=' | '"' | '\'') || is_unsafe_char(c))
    };
    let fields = [
        (
            "account host",
            &cosmos.host,
            "check the profile's endpoint with `dbctl config show`",
        ),
        (
            "database id",
            &cosmos.database,
            "a connection string is KEY=VALUE pairs split at `;`: connect with the endpoint, \
             key and database id instead",
        ),
    ];
    if let Some((field, _, hint)) = fields.iter().find(|(_, value, _)| breaks(value)) {
        return Err(Error::provider_error(format!(
            "refusing to print the connection string: the cosmos {field} holds `;`, `=`, a quote or a control character, which would change its structure"
        ))
        .with_hint(*hint));
    }
    Ok(format!(
        "AccountEndpoint={}://{}{}/;AccountKey={};Database={}",
        if cosmos.tls { "https" } else { "http" },
        cosmos.host,
        port(cosmos.port),
        if show_secret {
            cosmos.key.expose()
        } else {
            MASK
        },
        cosmos.database
    ))
}

fn connection_json(connection: &Connection, show: bool) -> Result<Value> {
    let (port, tls, user, database) = match connection {
        Connection::Redis(redis) => (
            redis.port,
            redis.tls,
            // The URL names `default` when a password is given without a user.
            redis
                .user
                .as_deref()
                .or(redis.password.as_ref().map(|_| "default")),
            &redis.database,
        ),
        Connection::Cosmos(cosmos) => (cosmos.port, cosmos.tls, None, &cosmos.database),
    };
    let mut value = json!({
        "url": connection_url(connection, show)?,
        "host": connection.host(),
        "port": port,
        "tls": tls,
        "user": user,
        "database": database,
    });
    if show {
        value["password"] = json!(connection.secret().map(|s| s.expose()));
    }
    Ok(value)
}

/// redis-cli for a connection: TLS as the provider says, verified with the profile's CA file
/// (or not at all when `insecure`), the password in REDISCLI_AUTH and never on its command
/// line, and only the environment a terminal needs: no provider credential or dbctl setting
/// reaches it.
fn redis_cli(
    connection: &RedisConnection,
    tls: &TlsOptions,
    insecure: bool,
    extra: &[String],
) -> std::process::Command {
    let mut command = std::process::Command::new("redis-cli");
    command.arg("-h").arg(&connection.host);
    if let Some(port) = connection.port {
        command.arg("-p").arg(port.to_string());
    }
    if connection.tls {
        command.arg("--tls");
        if insecure {
            command.arg("--insecure");
        } else if let Some(ca_cert) = &tls.ca_cert {
            command.arg("--cacert").arg(ca_cert);
        }
    }
    if let Some(user) = connection.user.as_deref().filter(|u| *u != "default") {
        command.arg("--user").arg(user);
    }
    command.env_clear();
    command.envs(std::env::vars_os().filter(|(name, _)| {
        name.to_str().is_some_and(|name| {
            matches!(name, "PATH" | "HOME" | "TERM" | "LANG") || name.starts_with("LC_")
        })
    }));
    if let Some(password) = &connection.password {
        command.env("REDISCLI_AUTH", password.expose());
    }
    command.args(extra);
    command
}

/// Runs redis-cli in the foreground; its exit status is the command's.
fn run(mut command: std::process::Command) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn cosmos(host: &str, database: &str) -> CosmosConnection {
        CosmosConnection {
            host: host.into(),
            port: Some(443),
            tls: true,
            key: Secret::new("K3y=="),
            database: database.into(),
        }
    }

    #[test]
    fn a_connection_string_is_built_only_from_values_that_keep_its_structure() {
        assert_eq!(
            cosmos_connection_string(&cosmos("acct.documents.azure.com", "orders"), false).unwrap(),
            "AccountEndpoint=https://acct.documents.azure.com:443/;AccountKey=***;Database=orders"
        );
        for (host, database, field) in [
            ("a;AccountKey=x", "orders", "account host"),
            ("acct\"", "orders", "account host"),
            ("acct", "o;AccountEndpoint=https://evil/", "database id"),
            ("acct", "a=b", "database id"),
            ("acct", "a'b", "database id"),
            ("acct", "a\nb", "database id"),
            ("acct", "a\u{202e}b", "database id"),
        ] {
            let error = cosmos_connection_string(&cosmos(host, database), true).unwrap_err();
            assert_eq!(error.exit_code(), 8);
            assert!(
                error.message.contains(&format!("the cosmos {field} holds")),
                "{}",
                error.message
            );
        }
    }
}
