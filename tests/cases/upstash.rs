use wiremock::matchers::basic_auth;

use super::{Case, Refusal};
use crate::common::{fixture, fixture_reply, fixture_secrets, when};

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
            Box::pin(async move {
                when("GET", "/v2/redis/databases")
                    .and(basic_auth(EMAIL, KEY))
                    .respond_with(fixture_reply(200, "upstash", "databases.json"))
                    .mount(server)
                    .await;
            })
        },
        names: &["MyRedis", "sleepy"],
        secrets: || {
            let mut secrets = fixture_secrets("upstash", "databases.json");
            secrets.push(KEY.to_string());
            secrets
        },
        existing_id: "96ad0856-03b1-4ee7-9666-e81abd0349e1",
        mount_get: |server| {
            Box::pin(async move {
                when(
                    "GET",
                    "/v2/redis/database/96ad0856-03b1-4ee7-9666-e81abd0349e1",
                )
                .and(basic_auth(EMAIL, KEY))
                .respond_with(fixture_reply(
                    200,
                    "upstash",
                    "database-with-credentials.json",
                ))
                .mount(server)
                .await;
            })
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
        missing_commands: &[&["db", "delete", "ID", "--yes"], &["db", "url", "ID"]],
        busy: Refusal::PLAIN_503,
        throttled: Refusal {
            status: 429,
            body: || fixture("upstash", "rate-limited.html"),
            content_type: "text/html",
            retry_after: Some(("retry-after", "0")),
            says: &["429 Too Many Requests"],
        },
        unsupported: &[
            &["db", "flush", "ID", "--yes"],
            &["task", "get", "1"],
            &[
                "db",
                "import",
                "ID",
                "--source-type",
                "http",
                "--uri",
                "http://x",
                "--yes",
            ],
        ],
        no_credentials_says: &["UPSTASH_EMAIL", "UPSTASH_API_KEY", "config.toml"],
        half_env: &["UPSTASH_EMAIL"],
        half_says: &["UPSTASH_API_KEY is not set"],
    }
}
