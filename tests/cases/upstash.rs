use serde_json::json;
use wiremock::matchers::{basic_auth, body_json};

use super::{mount, Case, Refusal, Write};
use crate::common::{fixture, fixture_reply, fixture_secrets, reply, when};

pub const EMAIL: &str = "ops@example.com";
pub const KEY: &str = "fixture-upstash-api-key-123";

pub fn case() -> Case {
    Case {
        provider: "upstash",
        env: |uri| {
            vec![
                ("UPSTASH_EMAIL", EMAIL.to_string()),
                ("UPSTASH_API_KEY", KEY.to_string()),
                ("UPSTASH_API_URL", format!("{uri}/v2")),
            ]
        },
        mount_list: |server| {
            mount(
                server,
                vec![when("GET", "/v2/redis/databases")
                    .and(basic_auth(EMAIL, KEY))
                    .respond_with(fixture_reply(200, "upstash", "databases.json"))],
            )
        },
        names: &["MyRedis", "sleepy"],
        secrets: || {
            let mut secrets = fixture_secrets("upstash", "databases.json");
            secrets.push(KEY.to_string());
            secrets
        },
        existing_id: "96ad0856-03b1-4ee7-9666-e81abd0349e1",
        mount_get: |server| {
            mount(
                server,
                vec![when(
                    "GET",
                    "/v2/redis/database/96ad0856-03b1-4ee7-9666-e81abd0349e1",
                )
                .and(basic_auth(EMAIL, KEY))
                .respond_with(fixture_reply(
                    200,
                    "upstash",
                    "database-with-credentials.json",
                ))],
            )
        },
        missing_id: "00000000-dead-beef-0000-000000000000",
        malformed_ids: &["a/b", "96ad0856 03b1", "x?y"],
        id_form: "UUID",
        list_path: "/v2/redis/databases",
        masked_header: "authorization: ***",
        noise: &["<html>"],
        broken_lists: || {
            vec![
                (fixture("upstash", "truncated.json"), "application/json"),
                ("<html>maintenance</html>".to_string(), "text/html"),
                (String::new(), "application/json"),
                ("{\"not\": \"a list\"}".to_string(), "application/json"),
            ]
        },
        unauthorized: Refusal {
            status: 401,
            body: || fixture("upstash", "unauthorized.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["invalid api key", "UPSTASH_API_KEY"],
        },
        not_found: Refusal {
            status: 404,
            body: || fixture("upstash", "not-found.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["database not found"],
        },
        missing_paths: &["/v2/redis/database/00000000-dead-beef-0000-000000000000"],
        missing_commands: &["db delete ID --yes", "db url ID"],
        busy: Refusal::PLAIN_503,
        throttled: Refusal {
            status: 429,
            body: || fixture("upstash", "rate-limited.html"),
            content_type: "text/html",
            retry_after: Some(("retry-after", "0")),
            says: &["429 Too Many Requests"],
        },
        unsupported: &[
            "db flush ID --yes",
            "task get 1",
            "db import ID --source-type http --uri http://x --yes",
        ],
        no_credentials_says: &["UPSTASH_EMAIL", "UPSTASH_API_KEY", "config.toml"],
        half_env: &["UPSTASH_EMAIL"],
        half_says: &["UPSTASH_API_KEY is not set"],
        writes,
        refused_writes: &[
            ("db create --name x", 6, "--region"),
            ("db create --name x --region us-east-1 --memory 0", 2, ""),
            ("db create --name x --region us-east-1 --memory -1GB", 2, ""),
            (
                "db create --name x --region us-east-1 --set shards=2",
                6,
                "accepted",
            ),
        ],
    }
}

/// The database the update writes change.
const ID: &str = "96ad0856-03b1-4ee7-9666-e81abd0349e1";

fn writes() -> Vec<Write> {
    // An update is one request per change, each to its own endpoint; then the record is read.
    let changes = [
        (
            "POST",
            format!("/v2/redis/rename/{ID}"),
            json!({"name": "renamed"}),
        ),
        (
            "POST",
            format!("/v2/redis/change-plan/{ID}"),
            json!({"plan_name": "pro"}),
        ),
        (
            "PATCH",
            format!("/v2/redis/update-budget/{ID}"),
            json!({"budget": 100}),
        ),
    ];
    let mut update = changes
        .into_iter()
        .map(|(verb, route, body)| {
            when(verb, route)
                .and(body_json(body))
                .respond_with(reply(200, "OK"))
                .expect(1)
        })
        .collect::<Vec<_>>();
    update.push(
        when("GET", format!("/v2/redis/database/{ID}")).respond_with(fixture_reply(
            200,
            "upstash",
            "database-hidden.json",
        )),
    );
    vec![
        Write {
            mocks: vec![when("POST", "/v2/redis/database")
                .and(body_json(json!({
                    "database_name": "new-cache", "platform": "gcp", "primary_region": "us-east-1",
                    "tls": true, "plan": "payg", "budget": 50, "read_regions": ["us-west-1", "eu-west-1"]
                })))
                .respond_with(fixture_reply(200, "upstash", "created.json"))
                .expect(1)],
            requests: 1,
            prints: vec![
                ("/id", json!("c0ffee00-0000-4000-8000-000000000042")),
                ("/endpoint", json!("fresh-newt-42.upstash.io")),
            ],
            hides: vec![
                "fixture-upstash-password-new".into(),
                "fixture-upstash-rest-token-new".into(),
            ],
            ..Write::new("db create --name new-cache --region us-east-1 --set platform=gcp --set plan=payg --set budget=50 --set read_regions=us-west-1,eu-west-1 --json")
        },
        Write {
            mocks: update,
            requests: 4,
            prints: vec![("/id", json!(ID))],
            ..Write::new(format!("db update {ID} --name renamed --set plan=pro --set budget=100 --json"))
        },
        Write {
            prints: vec![("/requests/0/path", json!(format!("/redis/enable-tls/{ID}")))],
            ..Write::new(format!("db update {ID} --set tls=true --dry-run --json"))
        },
        Write {
            mocks: vec![when("DELETE", "/v2/redis/database/abc")
                .respond_with(reply(200, "OK"))
                .expect(1)],
            requests: 1,
            says: "deleted",
            ..Write::new("db delete abc --yes")
        },
    ]
}
