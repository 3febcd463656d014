use wiremock::matchers::basic_auth;

use super::{Case, Refusal};
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
            Box::pin(async move {
                when("GET", "/v1/bdbs")
                    .and(basic_auth(USER, PASSWORD))
                    .respond_with(fixture_reply(200, "redis-enterprise", "bdbs.json"))
                    .mount(server)
                    .await;
            })
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
            Box::pin(async move {
                when("GET", "/v1/bdbs/1")
                    .and(basic_auth(USER, PASSWORD))
                    .respond_with(fixture_reply(200, "redis-enterprise", "bdb-1.json"))
                    .mount(server)
                    .await;
            })
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
        missing_commands: &[&["db", "delete", "ID", "--yes"], &["db", "url", "ID"]],
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
            &["backup", "list", "ID"],
            &["backup", "create", "ID"],
            &["backup", "restore", "ID", "b1", "--yes"],
        ],
        no_credentials_says: &[],
        half_env: &["REDIS_ENTERPRISE_URL"],
        half_says: &["REDIS_ENTERPRISE_USER"],
    }
}
