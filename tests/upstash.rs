//! Upstash through the real binary against wiremock servers fed from fixtures/upstash.

use crate::cases::upstash::case;
use crate::common::{fixture_reply, mock, refs, reply, when, Sandbox};
use serde_json::json;
use wiremock::matchers::{body_json, query_param};
use wiremock::MockServer;

fn sandbox(server: &MockServer) -> Sandbox {
    case().sandbox(server)
}

fn secrets() -> Vec<String> {
    (case().secrets)()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_normalizes_every_quirk() {
    let server = case().list_server().await;
    let sb = sandbox(&server);
    let run = sb.run("db list --json");
    run.code(0).no_secrets(&refs(&secrets()));
    let dbs = run.json();
    let dbs = dbs.as_array().expect("bare array");
    assert_eq!(dbs.len(), 3);
    let first = dbs.iter().find(|d| d["name"] == "MyRedis").unwrap();
    assert_eq!(
        first,
        &json!({
            "provider": "upstash", "profile": "upstash", "id": "96ad0856-03b1-4ee7-9666-e81abd0349e1",
            "name": "MyRedis", "status": "active", "provider_status": "active", "region": "us-east-1",
            "endpoint": "beloved-stallion-58500.upstash.io", "port": 6379, "tls": true,
            "memory_limit_bytes": 3221225472u64, "plan": "paid", "created_at": "2025-07-16T07:06:42Z",
            "regions": null
        })
    );
    let odd = dbs
        .iter()
        .find(|d| d["id"] == "7f3c1a2b-1111-4c2d-9e8f-000000000002")
        .unwrap();
    assert_eq!(odd["status"], "suspended");
    assert_eq!(odd["tls"], false, "string boolean");
    assert_eq!(
        odd["endpoint"], "eu2-sharp-owl-31337.upstash.io",
        "full host kept"
    );
    assert_eq!(odd["name"], "Café Ünïcødé 缓存, \"quoted\"");
    let sleepy = dbs.iter().find(|d| d["name"] == "sleepy").unwrap();
    assert_eq!(sleepy["status"], "suspended");
    assert_eq!(sleepy["provider_status"], "passive");
    assert_eq!(sleepy["port"], 6379, "port given as a string");
    assert_eq!(sleepy["memory_limit_bytes"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_alias_prints_a_table_in_stable_order() {
    let server = case().list_server().await;
    let run = sandbox(&server).run("list --provider upstash");
    run.code(0).no_secrets(&refs(&secrets()));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0]
        .split_whitespace()
        .eq(["PROVIDER", "PROFILE", "ID", "NAME", "STATUS", "REGION", "ENDPOINT", "MEMORY"]));
    assert!(lines[1].contains("Café Ünïcødé 缓存"), "{}", run.stdout);
    assert!(
        lines[2].contains("MyRedis")
            && lines[2].contains("3 GiB")
            && lines[2].contains("beloved-stallion-58500.upstash.io:6379")
    );
    assert!(lines[3].contains("sleepy"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_is_what_operators_read() {
    let server = case().list_server().await;
    let run = sandbox(&server).run("db list");
    run.code(0);
    insta::assert_snapshot!(
        "upstash_list_table",
        run.stdout.replace(&server.uri(), "SERVER")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unicode_survives_yaml_and_csv_quotes_correctly() {
    let server = case().list_server().await;
    let sb = sandbox(&server);
    let yaml = sb.run("db list -o yaml");
    yaml.code(0).no_secrets(&refs(&secrets()));
    let parsed: serde_yaml::Value = serde_yaml::from_str(&yaml.stdout).unwrap();
    assert!(parsed
        .as_sequence()
        .unwrap()
        .iter()
        .any(|d| d["name"].as_str() == Some("Café Ünïcødé 缓存, \"quoted\"")));

    let csv = sb.run("db list -o csv");
    csv.code(0).no_secrets(&refs(&secrets()));
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().take(4).collect::<Vec<_>>(),
        ["provider", "profile", "id", "name"]
    );
    let names: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[3].to_string())
        .collect();
    assert!(
        names.contains(&"Café Ünïcødé 缓存, \"quoted\"".to_string()),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_hides_credentials_and_raw_redacts() {
    let server = MockServer::start().await;
    when(
        "GET",
        "/v2/redis/database/96ad0856-03b1-4ee7-9666-e81abd0349e1",
    )
    .and(query_param("credentials", "hide"))
    .respond_with(fixture_reply(
        200,
        "upstash",
        "database-with-credentials.json",
    ))
    .expect(2)
    .mount(&server)
    .await;
    let sb = sandbox(&server);
    let run = sb.run("db get 96ad0856-03b1-4ee7-9666-e81abd0349e1 --json --raw");
    run.code(0).no_secrets(&refs(&secrets()));
    let db = run.json();
    assert_eq!(db["raw"]["password"], "***");
    assert_eq!(db["raw"]["rest_token"], "***");
    assert_eq!(db["raw"]["database_name"], "MyRedis");
    let shown = sb.run("db get 96ad0856-03b1-4ee7-9666-e81abd0349e1 --json --raw --show-secrets");
    shown.code(0).stdout_has("fixture-upstash-password-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_list_create_restore() {
    let server = MockServer::start().await;
    let id = "96ad0856-03b1-4ee7-9666-e81abd0349e1";
    mock(
        &server,
        "GET",
        format!("/v2/redis/list-backup/{id}"),
        fixture_reply(200, "upstash", "backups.json"),
    )
    .await;
    when("POST", format!("/v2/redis/create-backup/{id}"))
        .and(body_json(json!({"name": "nightly"})))
        .respond_with(reply(200, "OK"))
        .expect(1)
        .mount(&server)
        .await;
    when("POST", format!("/v2/redis/restore-backup/{id}"))
        .and(body_json(json!({"backup_id": "2e73q56c"})))
        .respond_with(reply(200, "OK"))
        .expect(1)
        .mount(&server)
        .await;
    let sb = sandbox(&server);
    let list = sb.run(&["backup", "list", id, "--json"]);
    list.code(0);
    let backups = list.json();
    assert_eq!(backups[0]["created_at"], "2025-09-04T15:45:16Z");
    assert_eq!(
        backups[1]["created_at"], "2025-09-04T15:45:16Z",
        "milliseconds read as such"
    );
    assert_eq!(backups[0]["size_bytes"], 52428800);
    // The record as listed after it is taken: its id is what `backup restore` takes.
    sb.run(&["backup", "create", id, "--name", "nightly"])
        .code(0)
        .stdout_has("1d62p45b-c567-1239-b23e-449ads33a62e");
    sb.run(&["backup", "restore", id, "2e73q56c"]).code(6);
    sb.run(&["backup", "restore", id, "2e73q56c", "--yes"])
        .code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_provider_value_is_a_usage_error() {
    Sandbox::new().run("db list -p mongo").code(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_stdout_ends_quietly() {
    let server = case().list_server().await;
    let mut child = sandbox(&server)
        .command()
        .args(["db", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
