use wiremock::matchers::{header, query_param};
use wiremock::MockServer;

use super::{Case, Refusal};
use crate::common::{fixture, fixture_reply, fixture_secrets, when};

pub const KEY: &str = "fixture-rc-account-key-123";
pub const SECRET: &str = "fixture-rc-secret-key-456";

async fn page(server: &MockServer, route: &str, name: &str) {
    when("GET", route)
        .and(query_param("offset", "0"))
        .and(header("x-api-key", KEY))
        .and(header("x-api-secret-key", SECRET))
        .respond_with(fixture_reply(200, "redis-cloud", name))
        .mount(server)
        .await;
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
            Box::pin(async move {
                when("GET", "/v1/subscriptions")
                    .and(header("x-api-key", KEY))
                    .respond_with(fixture_reply(200, "redis-cloud", "subscriptions.json"))
                    .mount(server)
                    .await;
                when("GET", "/v1/fixed/subscriptions")
                    .and(header("x-api-secret-key", SECRET))
                    .respond_with(fixture_reply(
                        200,
                        "redis-cloud",
                        "fixed-subscriptions.json",
                    ))
                    .mount(server)
                    .await;
                page(
                    server,
                    "/v1/subscriptions/2145833/databases",
                    "databases-2145833.json",
                )
                .await;
                page(
                    server,
                    "/v1/subscriptions/2145877/databases",
                    "databases-2145877.json",
                )
                .await;
                page(
                    server,
                    "/v1/fixed/subscriptions/2231009/databases",
                    "fixed-databases-2231009.json",
                )
                .await;
            })
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
            Box::pin(async move {
                when("GET", "/v1/subscriptions/2145833/databases/13008822")
                    .and(header("x-api-key", KEY))
                    .respond_with(fixture_reply(200, "redis-cloud", "database-13008822.json"))
                    .mount(server)
                    .await;
            })
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
        missing_commands: &[&["db", "delete", "ID", "--yes"], &["db", "url", "ID"]],
        busy: Refusal::PLAIN_503,
        throttled: Refusal {
            status: 429,
            body: || "{\"error\":{\"description\":\"quota\"}}".to_string(),
            content_type: "application/json",
            retry_after: Some(("retry-after", "0")),
            says: &["quota"],
        },
        unsupported: &[
            &["db", "flush", "ID", "--yes"],
            &["db", "reset-password", "ID", "--yes"],
            &["backup", "list", "ID"],
            &["backup", "restore", "ID", "b1", "--yes"],
        ],
        no_credentials_says: &["REDIS_CLOUD_API_KEY"],
        half_env: &["REDIS_CLOUD_API_KEY"],
        half_says: &["REDIS_CLOUD_SECRET_KEY", "REDIS_CLOUD_API_SECRET"],
    }
}
