//! `db url` and `db connect`: the password only with --show-secrets, and never in argv.

use crate::cases::upstash::{case, KEY};
use crate::common::{fixture, reply, when, Sandbox};
use serde_json::json;
use wiremock::matchers::query_param_is_missing;
use wiremock::MockServer;

const ID: &str = "96ad0856-03b1-4ee7-9666-e81abd0349e1";
const PASSWORD: &str = "fixture-upstash-password-1";

async fn server_with(record: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    when("GET", format!("/v2/redis/database/{ID}"))
        .and(query_param_is_missing("credentials"))
        .respond_with(reply(200, record))
        .mount(&server)
        .await;
    server
}

fn sandbox(server: &MockServer) -> Sandbox {
    case().sandbox(server)
}

fn record() -> serde_json::Value {
    serde_json::from_str(&fixture("upstash", "database-with-credentials.json")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn url_masks_the_password_unless_asked() {
    let server = server_with(record()).await;
    let sb = sandbox(&server);
    let masked = sb.run(&["db", "url", ID, "-vv"]);
    masked.code(0).no_secrets(&[PASSWORD, KEY]);
    assert_eq!(
        masked.stdout,
        "rediss://default:***@beloved-stallion-58500.upstash.io:6379\n"
    );

    let shown = sb.run(&["db", "url", ID, "--show-secrets", "-vv"]);
    shown.code(0);
    assert_eq!(
        shown.stdout,
        format!("rediss://default:{PASSWORD}@beloved-stallion-58500.upstash.io:6379\n")
    );
    assert!(
        !shown.stderr.contains(PASSWORD),
        "logs never carry the password: {}",
        shown.stderr
    );

    let json = sb.run(&["db", "url", ID, "--json"]);
    json.code(0).no_secrets(&[PASSWORD]);
    assert_eq!(
        json.json(),
        json!({"url": "rediss://default:***@beloved-stallion-58500.upstash.io:6379",
               "host": "beloved-stallion-58500.upstash.io", "port": 6379, "tls": true,
               "user": "default", "database": ID})
    );
    let json = sb.run(&["db", "url", ID, "--json", "--show-secrets"]);
    assert_eq!(json.json()["password"], PASSWORD);

    let env = sb.run(&[
        "db",
        "url",
        ID,
        "--format",
        "env",
        "--var",
        "CACHE_URL",
        "--show-secrets",
    ]);
    assert_eq!(
        env.stdout,
        format!("CACHE_URL=rediss://default:{PASSWORD}@beloved-stallion-58500.upstash.io:6379\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn url_without_tls_or_password() {
    let mut plain = record();
    plain["tls"] = json!(false);
    plain.as_object_mut().unwrap().remove("password");
    let server = server_with(plain).await;
    let run = sandbox(&server).run(&["db", "url", ID, "--show-secrets"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        "redis://beloved-stallion-58500.upstash.io:6379\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn url_brackets_ipv6_hosts() {
    let mut v6 = record();
    v6["endpoint"] = json!("2001:db8::1");
    let server = server_with(v6).await;
    let run = sandbox(&server).run(&["db", "url", ID]);
    run.code(0);
    assert_eq!(run.stdout, "rediss://default:***@[2001:db8::1]:6379\n");
}

/// A stand-in redis-cli that records its argv and password in `redis-cli.log`, and the whole
/// environment it was started with, one `NAME=value` a line, in `redis-cli.env`.
pub fn fake_redis_cli(dir: &std::path::Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("redis-cli");
    let log = dir.join("redis-cli.log");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf 'ARGV:%s\\n' \"$*\" > '{log}'\nprintf 'AUTH:%s\\n' \"$REDISCLI_AUTH\" >> '{log}'\ntr '\\0' '\\n' < /proc/$$/environ > '{env}'\nexit 0\n",
            log = log.display(),
            env = dir.join("redis-cli.env").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    log
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_passes_the_password_through_the_environment_only() {
    let server = server_with(record()).await;
    let sb = sandbox(&server);
    let log = fake_redis_cli(sb.home.path());
    let path = format!(
        "{}:{}",
        sb.home.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = sb
        .cmd()
        .env("PATH", path)
        .args(["db", "connect", ID, "--", "PING"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let recorded = std::fs::read_to_string(log).unwrap();
    let argv = recorded.lines().find(|l| l.starts_with("ARGV:")).unwrap();
    assert_eq!(
        argv,
        "ARGV:-h beloved-stallion-58500.upstash.io -p 6379 --tls PING"
    );
    assert!(!argv.contains(PASSWORD));
    assert!(recorded.contains(&format!("AUTH:{PASSWORD}")));
    assert!(!String::from_utf8_lossy(&output.stdout).contains(PASSWORD));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_without_redis_cli_says_how_to_install_it() {
    let server = server_with(record()).await;
    let sb = sandbox(&server);
    let empty = sb.home.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let output = sb
        .cmd()
        .env("PATH", &empty)
        .args(["db", "connect", ID])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("redis-cli") && stderr.contains("install"),
        "{stderr}"
    );
}
