use serde_json::json;
use wiremock::matchers::{basic_auth, body_json, query_param};
use wiremock::ResponseTemplate;

use super::{mount, Case, Refusal, Write};
use crate::common::{fixture, fixture_reply, fixture_secrets, when};

pub const USER: &str = "admin@cluster.example.com";
pub const PASSWORD: &str = "fixture-re-cluster-password";

pub fn case() -> Case {
    Case {
        provider: "redis-enterprise",
        env: |uri| {
            vec![
                ("REDIS_ENTERPRISE_URL", uri.to_string()),
                ("REDIS_ENTERPRISE_USER", USER.to_string()),
                ("REDIS_ENTERPRISE_PASSWORD", PASSWORD.to_string()),
            ]
        },
        mount_list: |server| {
            mount(
                server,
                vec![when("GET", "/v1/bdbs")
                    .and(basic_auth(USER, PASSWORD))
                    .respond_with(fixture_reply(200, "redis-enterprise", "bdbs.json"))],
            )
        },
        names: &["sessions", "orders-cache", "half-made", "never-born"],
        secrets: || {
            let mut secrets = fixture_secrets("redis-enterprise", "bdbs.json");
            secrets.extend(fixture_secrets("redis-enterprise", "created.json"));
            secrets.push(PASSWORD.to_string());
            secrets
        },
        existing_id: "1",
        mount_get: |server| {
            mount(
                server,
                vec![when("GET", "/v1/bdbs/1")
                    .and(basic_auth(USER, PASSWORD))
                    .respond_with(fixture_reply(200, "redis-enterprise", "bdb-1.json"))],
            )
        },
        missing_id: "999",
        malformed_ids: &["sessions", "0", "1/2", "1.5"],
        id_form: "positive number",
        list_path: "/v1/bdbs",
        masked_header: "authorization: ***",
        noise: &[],
        broken_lists: Vec::new,
        unauthorized: Refusal {
            status: 401,
            body: || fixture("redis-enterprise", "unauthorized.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["invalid username or password", "REDIS_ENTERPRISE_PASSWORD"],
        },
        not_found: Refusal {
            status: 404,
            body: || fixture("redis-enterprise", "not-found.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["Database 999 does not exist"],
        },
        missing_paths: &["/v1/bdbs/999"],
        missing_commands: &["db delete ID --yes", "db url ID"],
        busy: Refusal {
            status: 503,
            body: || fixture("redis-enterprise", "busy.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["Cluster is busy"],
        },
        throttled: Refusal {
            status: 429,
            body: || "slow down".to_string(),
            content_type: "text/plain",
            retry_after: Some(("retry-after", "0")),
            says: &["429"],
        },
        unsupported: &[
            "backup list ID",
            "backup create ID",
            "backup restore ID b1 --yes",
        ],
        no_credentials_says: &[],
        half_env: &["REDIS_ENTERPRISE_URL"],
        half_says: &["REDIS_ENTERPRISE_USER"],
        writes,
        refused_writes: &[
            ("db create --name x --memory 0", 2, ""),
            ("db create --name x --memory -1GB", 2, ""),
            ("db create --name x --memory lots", 2, ""),
            ("db create --name x --memory 0MB", 2, ""),
            ("db create --name x --memory 1.2.3GB", 2, ""),
            ("db update 1 --memory 0", 2, ""),
            ("db update 1 --memory -1GB", 2, ""),
            ("db update 1 --memory lots", 2, ""),
            ("db update 1 --memory 0MB", 2, ""),
            ("db update 1 --memory 1.2.3GB", 2, ""),
            ("db create --name x --region us-east-1", 6, "--region"),
            ("db create --name x --set Shards-Count=2", 6, "snake_case"),
            ("db update 1", 2, "nothing to change"),
            ("db update 1 --set uid=5", 6, ""),
        ],
    }
}

/// Writes answer the bdb (pending); `--wait` reads it until active, or gone.
fn writes() -> Vec<Write> {
    let fixture = |name| fixture_reply(200, "redis-enterprise", name);
    let secrets: Vec<String> = (case().secrets)();
    let update = || {
        vec![
            when("PUT", "/v1/bdbs/1")
                .and(body_json(
                    json!({"memory_size": 2147483648u64, "shards_count": 4}),
                ))
                .respond_with(fixture("updated.json"))
                .expect(1),
            when("GET", "/v1/bdbs/1")
                .and(basic_auth(USER, PASSWORD))
                .respond_with(fixture("bdb-1.json")),
        ]
    };
    vec![
        Write {
            mocks: vec![when("POST", "/v1/bdbs")
                .and(basic_auth(USER, PASSWORD))
                .and(body_json(json!({
                    "name": "new-cache", "memory_size": 268435456, "shards_count": 2,
                    "replication": true, "eviction_policy": "allkeys-lru"
                })))
                .respond_with(fixture("created.json"))
                .expect(1)],
            requests: 1,
            prints: vec![
                ("/id", json!("7")),
                ("/status", json!("pending")),
                ("/memory_limit_bytes", json!(268435456)),
            ],
            hides: secrets.clone(),
            ..Write::new("db create --name new-cache --memory 256MB --set shards_count=2 --set replication=true --set eviction_policy=allkeys-lru --json")
        },
        Write {
            mocks: update(),
            requests: 1,
            prints: vec![
                ("/status", json!("pending")),
                ("/provider_status", json!("active-change-pending")),
            ],
            hides: secrets.clone(),
            ..Write::new("db update 1 --memory 2GB --set shards_count=4 --json")
        },
        Write {
            mocks: update(),
            requests: 2,
            prints: vec![("/status", json!("active"))],
            hides: secrets.clone(),
            ..Write::new("db update 1 --memory 2GB --set shards_count=4 --wait --json")
        },
        // The cluster's own dry run: asked, and its answer reported.
        Write {
            mocks: vec![when("PUT", "/v1/bdbs/1")
                .and(query_param("dry_run", "true"))
                .and(body_json(json!({"memory_size": 2147483648u64})))
                .respond_with(fixture("dry-run.json"))
                .expect(1)],
            requests: 1,
            prints: vec![
                ("/dry_run", json!(true)),
                ("/requests/0/path", json!("/v1/bdbs/1?dry_run=true")),
                ("/validated", json!(true)),
                ("/answer/shards_count", json!(4)),
                ("/answer/authentication_redis_pass", json!("***")),
            ],
            hides: secrets,
            ..Write::new("db update 1 --memory 2GB --dry-run --json")
        },
        Write {
            mocks: vec![
                when("DELETE", "/v1/bdbs/4")
                    .respond_with(ResponseTemplate::new(200))
                    .expect(1),
                when("GET", "/v1/bdbs/4")
                    .and(basic_auth(USER, PASSWORD))
                    .respond_with(fixture_reply(404, "redis-enterprise", "not-found.json")),
            ],
            requests: 2,
            says: "deleting redis-enterprise database 4",
            ..Write::new("db delete 4 --yes --wait")
        },
    ]
}
