use serde_json::json;
use wiremock::matchers::{body_json, header, query_param};
use wiremock::Mock;

use super::{mount, Case, Refusal, Write};
use crate::common::{fixture, fixture_reply, fixture_secrets, reply, when};

pub const KEY: &str = "fixture-rc-account-key-123";
pub const SECRET: &str = "fixture-rc-secret-key-456";
/// The task `task-accepted.json` starts.
pub const TASK: &str = "e02e5a1c-4f5d-4b6e-9a41-7c1f0b2d9e11";

fn page(route: &str, name: &str) -> Mock {
    when("GET", route)
        .and(query_param("offset", "0"))
        .and(header("x-api-key", KEY))
        .and(header("x-api-secret-key", SECRET))
        .respond_with(fixture_reply(200, "redis-cloud", name))
}

pub fn case() -> Case {
    Case {
        provider: "redis-cloud",
        env: |uri| {
            vec![
                ("REDIS_CLOUD_API_KEY", KEY.to_string()),
                ("REDIS_CLOUD_SECRET_KEY", SECRET.to_string()),
                ("REDIS_CLOUD_API_URL", format!("{uri}/v1")),
            ]
        },
        mount_list: |server| {
            mount(
                server,
                vec![
                    when("GET", "/v1/subscriptions")
                        .and(header("x-api-key", KEY))
                        .respond_with(fixture_reply(200, "redis-cloud", "subscriptions.json")),
                    when("GET", "/v1/fixed/subscriptions")
                        .and(header("x-api-secret-key", SECRET))
                        .respond_with(fixture_reply(
                            200,
                            "redis-cloud",
                            "fixed-subscriptions.json",
                        )),
                    page(
                        "/v1/subscriptions/2145833/databases",
                        "databases-2145833.json",
                    ),
                    page(
                        "/v1/subscriptions/2145877/databases",
                        "databases-2145877.json",
                    ),
                    page(
                        "/v1/fixed/subscriptions/2231009/databases",
                        "fixed-databases-2231009.json",
                    ),
                ],
            )
        },
        names: &["sessions-eu", "staging-cache", "side-project-db"],
        secrets: || {
            let mut secrets = Vec::new();
            for name in [
                "databases-2145833.json",
                "databases-2145877.json",
                "fixed-databases-2231009.json",
            ] {
                secrets.extend(fixture_secrets("redis-cloud", name));
            }
            secrets.push(KEY.to_string());
            secrets.push(SECRET.to_string());
            secrets
        },
        existing_id: "2145833/13008822",
        mount_get: |server| {
            mount(
                server,
                vec![when("GET", "/v1/subscriptions/2145833/databases/13008822")
                    .and(header("x-api-key", KEY))
                    .respond_with(fixture_reply(200, "redis-cloud", "database-13008822.json"))],
            )
        },
        missing_id: "1/999",
        malformed_ids: &["13008822", "2145833/", "a/b", "1/2/3"],
        id_form: "SUBSCRIPTION/DATABASE",
        list_path: "/v1/subscriptions",
        masked_header: "x-api-key: ***",
        noise: &[],
        broken_lists: Vec::new,
        unauthorized: Refusal {
            status: 401,
            body: || fixture("redis-cloud", "unauthorized.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["Request was not authorized", "REDIS_CLOUD_SECRET_KEY"],
        },
        not_found: Refusal {
            status: 404,
            body: || fixture("redis-cloud", "not-found.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["Database 999 was not found"],
        },
        missing_paths: &[
            "/v1/subscriptions/1/databases/999",
            "/v1/fixed/subscriptions/1/databases/999",
        ],
        missing_commands: &["db delete ID --yes", "db url ID"],
        busy: Refusal::PLAIN_503,
        throttled: Refusal {
            status: 429,
            body: || "{\"error\":{\"description\":\"quota\"}}".to_string(),
            content_type: "application/json",
            retry_after: Some(("retry-after", "0")),
            says: &["quota"],
        },
        unsupported: &[
            "db flush ID --yes",
            "db reset-password ID --yes",
            "backup list ID",
            "backup restore ID b1 --yes",
        ],
        no_credentials_says: &["REDIS_CLOUD_API_KEY"],
        half_env: &["REDIS_CLOUD_API_KEY"],
        half_says: &["REDIS_CLOUD_SECRET_KEY", "REDIS_CLOUD_API_SECRET"],
        writes,
        refused_writes: &[
            ("db update 2145833/13008822", 2, "nothing to change"),
            ("db create --name x", 2, "--subscription"),
            (
                "db create --name x --subscription 2145833 --region eu",
                6,
                "region",
            ),
            ("db create --name x --subscription 1 --memory 0", 2, ""),
        ],
    }
}

/// Writes answer a task (202); `--wait` follows it to the database.
fn writes() -> Vec<Write> {
    let accepted = || fixture_reply(202, "redis-cloud", "task-accepted.json");
    let task = json!({"taskId": TASK, "status": "pending", "provider_status": "received"});
    vec![
        Write {
            mocks: vec![when("PUT", "/v1/subscriptions/2145833/databases/13008822")
                .and(header("x-api-key", KEY))
                .and(body_json(json!({
                    "name": "renamed", "replication": true, "dataPersistence": "aof-every-1-second",
                    "throughputMeasurement": {"by": "operations-per-second", "value": 25000},
                    "datasetSizeInGb": 1.5
                })))
                .respond_with(accepted())
                .expect(1)],
            requests: 1,
            prints: vec![
                ("/id", task["taskId"].clone()),
                ("/status", task["status"].clone()),
                ("/provider_status", task["provider_status"].clone()),
            ],
            ..Write::new("db update 2145833/13008822 --memory 1.5GB --name renamed --set replication=true --set dataPersistence=aof-every-1-second --set throughputMeasurement.by=operations-per-second --set throughputMeasurement.value=25000 --json")
        },
        Write {
            prints: vec![
                ("/requests/0/body", json!({"datasetSizeInGb": 0.25})),
                ("/requests/0/method", json!("PUT")),
            ],
            ..Write::new("db update 2145833/13008822 --memory 256MB --dry-run --json")
        },
        Write {
            mocks: vec![
                when("POST", "/v1/subscriptions/2145833/databases")
                    .and(body_json(json!({
                        "name": "orders", "protocol": "memcached", "datasetSizeInGb": 2, "replication": false
                    })))
                    .respond_with(accepted())
                    .expect(1),
                when("GET", format!("/v1/tasks/{TASK}")).respond_with(reply(200, json!({
                    "taskId": TASK, "status": "processing-completed", "response": {"resourceId": 777}
                }))),
                when("GET", "/v1/subscriptions/2145833/databases/777").respond_with(reply(200, json!({
                    "databaseId": 777, "name": "orders", "status": "active",
                    "publicEndpoint": "redis-777.example.cloud:17777",
                    "security": {"password": "fixture-rc-password-orders", "enableTls": true}
                }))),
            ],
            requests: 3,
            prints: vec![("/id", json!("2145833/777")), ("/status", json!("active"))],
            hides: vec!["fixture-rc-password-orders".into()],
            ..Write::new("db create --subscription 2145833 --name orders --memory 2GB --set protocol=memcached --set replication=false --wait --json")
        },
        Write {
            mocks: vec![when("DELETE", "/v1/subscriptions/2145833/databases/13008822")
                .respond_with(accepted())
                .expect(1)],
            requests: 1,
            prints: vec![("/id", json!(TASK))],
            ..Write::new("db delete 2145833/13008822 --yes --json")
        },
    ]
}
