//! Shapes seen in real provider answers (issue 15): Redis Cloud Active-Active databases, whose
//! endpoints, sizes and security live per region under `crdbDatabases[]`, and older Upstash
//! records that name their plan only in `database_type`.

use crate::cases::{redis_cloud, upstash};
use crate::common::{fixture, fixture_secrets, mock, refs, when, Sandbox};
use serde_json::{json, Value};
use wiremock::matchers::header;
use wiremock::{MockServer, ResponseTemplate};

const ACTIVE_ACTIVE: &str = "2190412/7001";
const PENDING: &str = "2190412/7002";

fn body(text: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(text, "application/json")
}

/// An account with one Active-Active subscription: its list page and one database record.
async fn active_active_server() -> MockServer {
    let server = MockServer::start().await;
    let answers = [
        ("/v1/subscriptions", "subscriptions-active-active.json"),
        (
            "/v1/subscriptions/2190412/databases",
            "databases-2190412.json",
        ),
        (
            "/v1/subscriptions/2190412/databases/7001",
            "database-2190412-7001.json",
        ),
    ];
    for (route, name) in answers {
        when("GET", route)
            .and(header("x-api-key", redis_cloud::KEY))
            .and(header("x-api-secret-key", redis_cloud::SECRET))
            .respond_with(body(fixture("redis-cloud", name)))
            .mount(&server)
            .await;
    }
    mock(
        &server,
        "GET",
        "/v1/fixed/subscriptions",
        body(r#"{"accountId": 1304871, "subscriptions": []}"#.into()),
    )
    .await;
    server
}

fn sandbox(server: &MockServer) -> Sandbox {
    redis_cloud::case().sandbox(server)
}

/// Every password in the Active-Active fixtures, and the account's keys.
fn secrets() -> Vec<String> {
    let mut secrets = fixture_secrets("redis-cloud", "databases-2190412.json");
    secrets.extend(fixture_secrets("redis-cloud", "database-2190412-7001.json"));
    secrets.push(redis_cloud::KEY.into());
    secrets.push(redis_cloud::SECRET.into());
    secrets
}

fn by_id<'a>(dbs: &'a Value, id: &str) -> &'a Value {
    dbs.as_array()
        .expect("bare array")
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from {dbs:#}"))
}

fn regions() -> Value {
    json!([
        {"region": "us-east-1", "endpoint": "redis-14383.mc1204-0.us-east-1-mz.ec2.cloud.rlrcp.com",
         "port": 14383, "tls": true, "memory_used_bytes": 31451932},
        {"region": "eu-west-1", "endpoint": "redis-14383.mc1204-1.eu-west-1-mz.ec2.cloud.rlrcp.com",
         "port": 14383, "tls": true, "memory_used_bytes": 31435050},
        {"region": "ap-southeast-1", "endpoint": "redis-14384.mc1204-2.ap-southeast-1-mz.ec2.cloud.rlrcp.com",
         "port": 14384, "tls": false, "memory_used_bytes": 31458538}
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn active_active_lists_with_its_first_region() {
    let server = active_active_server().await;
    let run = sandbox(&server).run("db list --json");
    run.code(0).no_secrets(&refs(&secrets()));
    let dbs = run.json();
    assert_eq!(
        by_id(&dbs, ACTIVE_ACTIVE),
        &json!({
            "provider": "redis-cloud", "profile": "redis-cloud", "id": ACTIVE_ACTIVE,
            "name": "global-sessions", "status": "active", "provider_status": "active",
            "region": "us-east-1",
            "endpoint": "redis-14383.mc1204-0.us-east-1-mz.ec2.cloud.rlrcp.com",
            "port": 14383, "tls": true, "memory_limit_bytes": 2147483648u64, "plan": "pro",
            "created_at": "2024-05-08T08:10:02Z", "regions": regions()
        })
    );
    // Still being created: the regions are known, their endpoints not yet.
    let pending = by_id(&dbs, PENDING);
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["region"], "us-east-1");
    assert_eq!(pending["endpoint"], Value::Null);
    assert_eq!(pending["tls"], true);
    assert_eq!(pending["memory_limit_bytes"], 536870912);
    assert_eq!(
        pending["regions"],
        json!([
            {"region": "us-east-1", "endpoint": null, "port": null, "tls": true, "memory_used_bytes": null},
            {"region": "eu-west-1", "endpoint": null, "port": null, "tls": true, "memory_used_bytes": null}
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn active_active_table_counts_the_other_regions_and_region_filters_match_any() {
    let server = active_active_server().await;
    let sb = sandbox(&server);
    let run = sb.run("db list");
    run.code(0).no_secrets(&refs(&secrets()));
    let row = run
        .stdout
        .lines()
        .find(|l| l.contains("global-sessions"))
        .unwrap_or_else(|| panic!("no row:\n{}", run.stdout));
    for cell in [
        "us-east-1 +2",
        "redis-14383.mc1204-0.us-east-1-mz.ec2.cloud.rlrcp.com:14383",
        "2 GiB",
    ] {
        assert!(row.contains(cell), "{cell} missing from {row}");
    }
    // A database is in every one of its regions.
    let run = sb.run("db list --region ap-southeast-1 --json");
    run.code(0);
    let listed = run.json();
    let names: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["name"])
        .collect();
    assert_eq!(names, [&json!("global-sessions")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn active_active_get_shows_every_region() {
    let server = active_active_server().await;
    let sb = sandbox(&server);
    let run = sb.run(&["db", "get", ACTIVE_ACTIVE, "--json"]);
    run.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(run.json()["regions"], regions());
    assert_eq!(run.json()["region"], "us-east-1");
    let table = sb.run(&["db", "get", ACTIVE_ACTIVE]);
    table.code(0).no_secrets(&refs(&secrets()));
    // REGIONS is an indented block: its row and the lines under it with no field name.
    let lines: Vec<&str> = table.stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with("REGIONS"))
        .unwrap_or_else(|| panic!("no REGIONS row:\n{}", table.stdout));
    let block = std::iter::once(lines[start])
        .chain(
            lines[start + 1..]
                .iter()
                .copied()
                .take_while(|l| l.starts_with("   ")),
        )
        .collect::<Vec<_>>()
        .join("\n");
    for region in ["us-east-1", "eu-west-1", "ap-southeast-1"] {
        assert!(block.contains(region), "{region} missing from {block}");
    }
    // --raw keeps the per-region records, passwords masked.
    let raw = sb.run(&["db", "get", ACTIVE_ACTIVE, "--json", "--raw"]);
    raw.code(0).no_secrets(&refs(&secrets()));
    let raw = raw.json();
    assert_eq!(
        raw["raw"]["crdbDatabases"][1]["security"]["password"],
        "***"
    );
    assert_eq!(raw["raw"]["globalPassword"], "***");
}

#[tokio::test(flavor = "multi_thread")]
async fn active_active_url_is_the_first_region_unless_asked() {
    let server = active_active_server().await;
    let sb = sandbox(&server);
    // -vv logs the provider's answer: no region's password may show in it.
    let first = sb.run(&["db", "url", ACTIVE_ACTIVE, "-vv"]);
    first.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(
        first.stdout,
        "rediss://default:***@redis-14383.mc1204-0.us-east-1-mz.ec2.cloud.rlrcp.com:14383\n"
    );
    first
        .stderr_has("us-east-1, eu-west-1, ap-southeast-1")
        .stderr_has("this is us-east-1")
        .stderr_has("--region");
    let europe = sb.run(&["db", "url", ACTIVE_ACTIVE, "--region", "EU-WEST-1"]);
    europe.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(
        europe.stdout,
        "rediss://default:***@redis-14383.mc1204-1.eu-west-1-mz.ec2.cloud.rlrcp.com:14383\n"
    );
    assert_eq!(europe.stderr, "", "an asked region needs no note");
    // Each region's own password; the global one where a region sets none.
    let shown = sb.run(&[
        "db",
        "url",
        ACTIVE_ACTIVE,
        "--region",
        "eu-west-1",
        "--show-secrets",
    ]);
    shown.code(0).stdout_has("fixture-rc-aa-password-euw1@");
    let asia = sb.run(&[
        "db",
        "url",
        ACTIVE_ACTIVE,
        "--region",
        "ap-southeast-1",
        "-o",
        "json",
        "--show-secrets",
    ]);
    asia.code(0);
    let asia = asia.json();
    assert_eq!(
        asia["host"],
        "redis-14384.mc1204-2.ap-southeast-1-mz.ec2.cloud.rlrcp.com"
    );
    assert_eq!(
        (asia["port"].clone(), asia["tls"].clone()),
        (json!(14384), json!(false))
    );
    assert_eq!(asia["password"], "fixture-rc-aa-global-password");
    assert!(asia["url"].as_str().unwrap().starts_with("redis://"));
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_reaches_the_asked_region_with_its_password_in_the_environment() {
    let server = active_active_server().await;
    let sb = sandbox(&server);
    let log = crate::connect::fake_redis_cli(sb.home.path());
    let path = format!(
        "{}:{}",
        sb.home.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = crate::common::Run::from(
        sb.cmd()
            .env("PATH", path)
            .args([
                "db",
                "connect",
                ACTIVE_ACTIVE,
                "--region",
                "eu-west-1",
                "--",
                "PING",
            ])
            .output()
            .unwrap(),
    );
    run.code(0).no_secrets(&refs(&secrets()));
    let recorded = std::fs::read_to_string(log).unwrap();
    assert_eq!(
        recorded,
        "ARGV:-h redis-14383.mc1204-1.eu-west-1-mz.ec2.cloud.rlrcp.com -p 14383 --tls PING\n\
         AUTH:fixture-rc-aa-password-euw1\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_region_is_refused_naming_the_regions() {
    let server = active_active_server().await;
    let sb = sandbox(&server);
    let run = sb.run(&["db", "url", ACTIVE_ACTIVE, "--region", "mars-north-1"]);
    run.code(6).no_secrets(&refs(&secrets()));
    assert_eq!(run.stdout, "");
    run.stderr_has("mars-north-1")
        .stderr_has("us-east-1, eu-west-1, ap-southeast-1");
    let json = sb.run(&[
        "db",
        "url",
        ACTIVE_ACTIVE,
        "--region",
        "mars-north-1",
        "--json",
    ]);
    json.code(6);
    let error: Value = serde_json::from_str(json.stderr.trim()).expect("one JSON error line");
    assert_eq!(error["error"]["kind"], "invalid");
    assert_eq!(error["error"]["provider"], "redis-cloud");
}

#[tokio::test(flavor = "multi_thread")]
async fn region_on_a_single_region_database_is_refused() {
    let case = redis_cloud::case();
    let server = MockServer::start().await;
    (case.mount_get)(&server).await;
    let run = case
        .sandbox(&server)
        .run(&["db", "url", case.existing_id, "--region", "eu-west-1"]);
    run.code(6).stderr_has("not Active-Active");
    assert_eq!(run.stdout, "");
    // Without --region nothing changes, and no note.
    let run = case.sandbox(&server).run(&["db", "url", case.existing_id]);
    run.code(0).stdout_has("rediss://default:***@");
    assert_eq!(run.stderr, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn older_upstash_records_take_their_plan_from_database_type() {
    let server = MockServer::start().await;
    mock(
        &server,
        "GET",
        "/v2/redis/databases",
        body(fixture("upstash", "databases-legacy.json")),
    )
    .await;
    let run = upstash::case()
        .sandbox(&server)
        .run("db list --json --sort name");
    run.code(0)
        .no_secrets(&refs(&fixture_secrets("upstash", "databases-legacy.json")));
    let dbs = run.json();
    let plans: Vec<(&str, &str)> = dbs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap(),
                d["plan"].as_str().unwrap_or("null"),
            )
        })
        .collect();
    assert_eq!(
        plans,
        [
            ("both-words", "paid"),
            ("old-free", "free"),
            ("old-payg", "payg"),
            ("old-pro", "pro"),
        ],
        "`type` wins where both are given"
    );
    let payg = by_id(&dbs, "3d1b0f5e-5555-4a1b-8c2d-000000000011");
    assert_eq!(payg["region"], "eu-west-1");
    assert_eq!(payg["tls"], true, "string boolean");
    assert_eq!(payg["regions"], Value::Null);
    assert_eq!(payg["endpoint"], "eu1-lasting-gull-37521.upstash.io");
}
