//! `db ping` through the real binary against a real `redis-server` (tests/common/redis_server.rs),
//! with each Redis provider's API played by wiremock giving 127.0.0.1, the server's port and
//! its password; and against the emulator with `--demo`.
use crate::common::redis_server::{free_port, RedisServer};
use crate::common::{mock, reply, Run, Sandbox};
use serde_json::{json, Value};
use wiremock::MockServer;

const RE_USER: &str = "admin@cluster.example.com";
const RE_PASSWORD: &str = "fixture-re-cluster-password";
const UPSTASH_KEY: &str = "fixture-upstash-api-key-123";
const RC_KEY: &str = "fixture-rc-api-key-123";
const RC_SECRET: &str = "fixture-rc-secret-key-456";

/// A Redis Enterprise bdb whose endpoint is the given port on 127.0.0.1.
fn bdb(uid: u64, port: u16, tls: bool, password: &str) -> Value {
    let mut record = crate::common::fixture_json("redis-enterprise", "bdb-1.json");
    record["uid"] = json!(uid);
    record["name"] = json!(format!("db-{uid}"));
    record["port"] = json!(port);
    record["endpoints"][0]["dns_name"] = json!("127.0.0.1");
    record["endpoints"][0]["port"] = json!(port);
    record["tls_mode"] = json!(if tls { "enabled" } else { "disabled" });
    record["authentication_redis_pass"] = json!(password);
    record
}

async fn enterprise(bdbs: &[Value]) -> (MockServer, Sandbox) {
    let server = MockServer::start().await;
    for record in bdbs {
        let route = format!("/v1/bdbs/{}", record["uid"]);
        mock(&server, "GET", route, reply(200, record)).await;
    }
    mock(&server, "GET", "/v1/bdbs", reply(200, bdbs)).await;
    let sandbox = Sandbox::new()
        .env("REDIS_ENTERPRISE_URL", server.uri())
        .env("REDIS_ENTERPRISE_USER", RE_USER)
        .env("REDIS_ENTERPRISE_PASSWORD", RE_PASSWORD);
    (server, sandbox)
}

/// The Upstash API giving one database on 127.0.0.1:`port`; returns its id.
async fn upstash(port: u16, tls: bool, password: &str) -> (MockServer, Sandbox, String) {
    let server = MockServer::start().await;
    let mut record = crate::common::fixture_json("upstash", "database-with-credentials.json");
    let id = record["database_id"].as_str().expect("id").to_string();
    record["endpoint"] = json!("127.0.0.1");
    record["port"] = json!(port);
    record["tls"] = json!(tls);
    record["password"] = json!(password);
    mock(
        &server,
        "GET",
        format!("/v2/redis/database/{id}"),
        reply(200, &record),
    )
    .await;
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", "ops@example.com")
        .env("UPSTASH_API_KEY", UPSTASH_KEY)
        .env("UPSTASH_API_URL", format!("{}/v2", server.uri()));
    (server, sb, id)
}

/// Redis Cloud's record of database 2145833/13008822, on 127.0.0.1:`port`.
fn rc_record(port: u16, tls: bool, password: &str) -> Value {
    let mut record = crate::common::fixture_json("redis-cloud", "database-13008822.json");
    record["publicEndpoint"] = json!(format!("127.0.0.1:{port}"));
    record["security"]["enableTls"] = json!(tls);
    record["security"]["password"] = json!(password);
    record
}

/// The Redis Cloud API giving database 2145833/13008822 on 127.0.0.1:`port`.
async fn redis_cloud(port: u16, tls: bool, password: &str) -> (MockServer, Sandbox, String) {
    let server = MockServer::start().await;
    let record = rc_record(port, tls, password);
    mock(
        &server,
        "GET",
        "/v1/subscriptions/2145833/databases/13008822",
        reply(200, &record),
    )
    .await;
    let sb = Sandbox::new()
        .env("REDIS_CLOUD_API_KEY", RC_KEY)
        .env("REDIS_CLOUD_SECRET_KEY", RC_SECRET)
        .env("REDIS_CLOUD_API_URL", format!("{}/v1", server.uri()));
    (server, sb, "2145833/13008822".to_string())
}

fn ping_json(run: &Run) -> Value {
    let value = run.json();
    assert!(value.is_object(), "one record for one ID: {value}");
    value
}

fn assert_latency(record: &Value) {
    let latency = &record["latency_ms"];
    let (min, avg, max) = (
        latency["min"].as_f64().expect("min"),
        latency["avg"].as_f64().expect("avg"),
        latency["max"].as_f64().expect("max"),
    );
    assert!(
        0.0 < max && min <= avg && avg <= max,
        "min/avg/max {min}/{avg}/{max}"
    );
}

#[tokio::test]
async fn redis_enterprise_plain_ping_with_count() {
    let redis = RedisServer::start();
    let (_api, sb) = enterprise(&[bdb(1, redis.port, false, &redis.password)]).await;
    let run = sb.run("db ping 1 --count 5 --json");
    run.code(0).no_secrets(&[&redis.password, RE_PASSWORD]);
    let record = ping_json(&run);
    assert_eq!(record["ok"], true, "{record}");
    assert_eq!(record["endpoint"], "127.0.0.1");
    assert_eq!(record["port"], redis.port);
    assert_eq!(record["tls"], false);
    assert_eq!(record["name"], "db-1");
    assert_eq!(record["error"], Value::Null);
    assert_latency(&record);
}

#[tokio::test]
async fn redis_enterprise_tls_with_the_profile_ca_file() {
    let redis = RedisServer::start_tls();
    let ca = redis.ca_file.clone().expect("CA");
    let (_api, mut sb) = enterprise(&[bdb(7, redis.port, true, &redis.password)]).await;
    sb.set_env("REDIS_ENTERPRISE_CA_CERT", ca.display().to_string());
    let run = sb.run("db ping 7 --json -v");
    run.code(0).no_secrets(&[&redis.password]);
    let record = ping_json(&run);
    assert_eq!(
        (record["ok"].clone(), record["tls"].clone()),
        (json!(true), json!(true))
    );
    assert_latency(&record);
    run.stderr_has(&format!(
        "connecting to 127.0.0.1:{} (tls: yes)",
        redis.port
    ));
}

#[tokio::test]
async fn tls_without_the_ca_is_a_network_failure_with_the_hint() {
    let redis = RedisServer::start_tls();
    let (_api, sb) = enterprise(&[bdb(7, redis.port, true, &redis.password)]).await;
    let run = sb.run("db ping 7 --json");
    run.code(10).no_secrets(&[&redis.password]);
    let record = ping_json(&run);
    assert_eq!(record["ok"], false);
    assert_eq!(record["latency_ms"], Value::Null);
    let error = record["error"].as_str().expect("error");
    assert!(error.contains("TLS handshake with 127.0.0.1"), "{error}");
    run.stderr_has("REDIS_ENTERPRISE_CA_CERT");
}

#[tokio::test]
async fn upstash_tls_with_insecure() {
    let redis = RedisServer::start_tls();
    let (_api, sb, id) = upstash(redis.port, true, &redis.password).await;
    let run = sb.run(&["--insecure", "db", "ping", &id, "-o", "yaml", "-vv"]);
    run.code(0).no_secrets(&[&redis.password, UPSTASH_KEY]);
    assert!(run.stdout.contains("ok: true"), "{}", run.stdout);
    assert!(run.stdout.contains("tls: true"), "{}", run.stdout);
}

#[tokio::test]
async fn redis_cloud_plain() {
    let redis = RedisServer::start();
    let (_api, sb, id) = redis_cloud(redis.port, false, &redis.password).await;
    let run = sb.run(&["db", "ping", &id, "-o", "csv"]);
    run.code(0).no_secrets(&[&redis.password, RC_SECRET]);
    let mut lines = run.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("provider,profile,database_id,name,endpoint,port,tls,ok,latency_ms,error")
    );
    let row = lines.next().expect("one row");
    assert!(
        row.starts_with(&format!(
            "redis-cloud,redis-cloud,2145833/13008822,sessions-eu,127.0.0.1,{},false,true,",
            redis.port
        )),
        "{row}"
    );
}

/// Every Redis provider, every format, with -vv, answered and refused: no password, no key.
#[tokio::test]
async fn no_secret_reaches_any_output_of_any_provider() {
    let redis = RedisServer::start();
    let wrong = "wrong-dataplane-password-matrix";
    for password in [redis.password.as_str(), wrong] {
        let setups = [
            upstash(redis.port, false, password).await,
            redis_cloud(redis.port, false, password).await,
            {
                let (server, sb) = enterprise(&[bdb(1, redis.port, false, password)]).await;
                (server, sb, "1".to_string())
            },
        ];
        for (_api, sb, id) in &setups {
            for format in ["table", "json", "yaml", "csv"] {
                let run = sb.run(&["db", "ping", id, "-o", format, "-vv"]);
                run.code(if password == wrong { 4 } else { 0 })
                    .no_secrets(&[
                        password,
                        &redis.password,
                        UPSTASH_KEY,
                        RC_KEY,
                        RC_SECRET,
                        RE_PASSWORD,
                    ]);
            }
        }
    }
}

#[tokio::test]
async fn a_wrong_password_is_ok_false_and_exit_4() {
    let redis = RedisServer::start();
    let wrong = "not-the-dataplane-password-9";
    let (_api, sb) = enterprise(&[bdb(1, redis.port, false, wrong)]).await;
    for format in ["json", "table", "yaml", "csv"] {
        let run = sb.run(&["db", "ping", "1", "-o", format, "-vv"]);
        run.code(4)
            .no_secrets(&[wrong, &redis.password, RE_PASSWORD]);
        run.stderr_has("refused the database password");
        if format == "json" {
            let record = ping_json(&run);
            assert_eq!(record["ok"], false);
        } else {
            assert!(
                run.stdout.contains("failed") || run.stdout.contains("false"),
                "{}",
                run.stdout
            );
        }
    }
}

#[tokio::test]
async fn no_password_against_requirepass_is_an_auth_failure() {
    let redis = RedisServer::start();
    let mut record = bdb(1, redis.port, false, "x");
    record["authentication_redis_pass"] = json!("");
    let (_api, sb) = enterprise(&[record]).await;
    let run = sb.run("db ping 1 --json");
    run.code(4)
        .stderr_has("requires a password and the provider gave none");
    assert_eq!(ping_json(&run)["ok"], false);
}

#[tokio::test]
async fn unreachable_is_ok_false_and_exit_10_naming_host_and_port() {
    let port = free_port();
    let (_api, sb) = enterprise(&[bdb(3, port, false, "pw-unreachable-1")]).await;
    let run = sb.run("db ping 3 --json");
    run.code(10).no_secrets(&["pw-unreachable-1"]);
    let record = ping_json(&run);
    assert_eq!(record["ok"], false);
    let error = record["error"].as_str().expect("error");
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    let line: Value = serde_json::from_str(run.stderr.trim()).expect("one JSON error line");
    assert_eq!(line["error"]["exit_code"], 10);
}

#[tokio::test]
async fn every_database_at_once_with_a_partial_failure_is_exit_12() {
    let redis = RedisServer::start();
    let down = free_port();
    let (_api, sb) = enterprise(&[
        bdb(1, redis.port, false, &redis.password),
        bdb(2, down, false, &redis.password),
    ])
    .await;
    let run = sb.run("db ping --json -vv");
    run.code(12).no_secrets(&[&redis.password, RE_PASSWORD]);
    let records = run.json();
    let records = records.as_array().expect("a list");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["database_id"], "1");
    assert_eq!(records[0]["ok"], true);
    assert_latency(&records[0]);
    assert_eq!(records[1]["database_id"], "2");
    assert_eq!(records[1]["ok"], false);
    run.stderr_has("1 of 2 databases failed the ping");

    let table = sb.run("db ping");
    table.code(12).no_secrets(&[&redis.password]);
    assert!(table.stdout.contains("RESULT"), "{}", table.stdout);
    assert!(
        table.stdout.contains(&format!("127.0.0.1:{down}")),
        "{}",
        table.stdout
    );
}

#[tokio::test]
async fn a_timeout_is_exit_11() {
    // A listener that accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let (_api, sb) = enterprise(&[bdb(5, port, false, "pw-silent-5")]).await;
    let run = sb.run("db ping 5 --json --request-timeout 1");
    run.code(11).no_secrets(&["pw-silent-5"]);
    assert_eq!(ping_json(&run)["ok"], false);
    drop(listener);
}

#[test]
fn demo_pings_every_database_with_no_account() {
    let run = Sandbox::new().run("--demo db ping --json");
    run.code(0);
    let records = run.json();
    let records = records.as_array().expect("a list");
    let providers: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r["provider"].as_str().expect("provider"))
        .collect();
    assert_eq!(providers.len(), 4, "{providers:?}");
    for record in records {
        assert_eq!(record["ok"], true, "{record}");
        assert_latency(record);
    }
    // The emulator's printed endpoints are unchanged: its made-up hosts, not the address dialed.
    assert!(records.iter().any(|r| r["endpoint"]
        .as_str()
        .is_some_and(|e| e.ends_with(".upstash.dbctl.localhost"))));
}

#[tokio::test]
async fn tls_against_a_plaintext_port_fails_at_the_connect_timeout_not_never() {
    let redis = RedisServer::start();
    let (_api, sb) = enterprise(&[bdb(8, redis.port, true, &redis.password)]).await;
    let started = std::time::Instant::now();
    let run = sb.run("db ping 8 --json --connect-timeout 1");
    run.code(10).no_secrets(&[&redis.password]);
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_secs(1) && took < std::time::Duration::from_secs(5),
        "{took:?}"
    );
    run.stderr_has("did not finish within 1s");
    let error = ping_json(&run)["error"]
        .as_str()
        .expect("error")
        .to_string();
    assert!(error.contains("TLS handshake with 127.0.0.1"), "{error}");
    run.stderr_has("plaintext never completes the handshake");
}

/// `db connect` under `--demo` runs the real redis-cli against the emulator's data plane (the
/// databases' hosts are made up), and says so.
#[test]
fn demo_connect_runs_redis_cli_against_the_emulator() {
    let sb = Sandbox::new();
    let list = sb.run("--demo db list -p upstash --json").json();
    let id = list[0]["id"].as_str().expect("an id").to_string();
    let run = sb.run(&[
        "--demo", "db", "connect", &id, "-p", "upstash", "--", "PING",
    ]);
    run.code(0)
        .stderr_has("redis-cli reaches the emulator's data plane at 127.0.0.1:")
        .no_secrets(&["demo-password-"]);
    assert_eq!(run.stdout.trim(), "PONG");
}

/// Redis Cloud usage over a fleet: `INFO` reaches each database with the endpoint and password
/// its list record carries, so the API is read once per page, not once more per database.
#[tokio::test]
async fn redis_cloud_usage_reads_info_with_what_the_list_says() {
    let redis = RedisServer::start();
    let (server, sb, _) = redis_cloud(redis.port, false, &redis.password).await;
    let record = rc_record(redis.port, false, &redis.password);
    let answers = [
        (
            "/v1/subscriptions",
            json!({"subscriptions": [{"id": 2145833, "numberOfDatabases": 1}]}),
        ),
        ("/v1/fixed/subscriptions", json!({"subscriptions": []})),
        (
            "/v1/subscriptions/2145833/databases",
            json!({"subscription": [{"subscriptionId": 2145833, "numberOfDatabases": 1,
                                     "databases": [record]}]}),
        ),
    ];
    for (route, body) in answers {
        mock(&server, "GET", route, reply(200, body)).await;
    }
    let run = sb.run("db list --usage --json");
    run.code(0).no_secrets(&[&redis.password, RC_SECRET]);
    let rows = run.json();
    let row = &rows.as_array().expect("rows")[0];
    assert!(row["ops_per_sec"].is_number(), "INFO answered: {row}");
    assert!(row["connections"].as_u64().unwrap_or(0) >= 1, "{row}");
    let single =
        crate::common::requests_to_path(&server, "/v1/subscriptions/2145833/databases/13008822")
            .await;
    assert_eq!(single, 0, "no read of the database itself");
}
