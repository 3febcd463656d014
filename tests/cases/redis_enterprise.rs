use wiremock::matchers::{basic_auth, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::Case;
use crate::common::{fixture, fixture_secrets};

const USER: &str = "admin@cluster.example.com";
const PASSWORD: &str = "fixture-re-cluster-password";

pub fn case() -> Case {
    Case {
        provider: "redis-enterprise",
        env: |server| {
            vec![
                ("REDIS_ENTERPRISE_URL", server.uri()),
                ("REDIS_ENTERPRISE_USER", USER.to_string()),
                ("REDIS_ENTERPRISE_PASSWORD", PASSWORD.to_string()),
            ]
        },
        mount_list: |server| {
            Box::pin(async move {
                Mock::given(method("GET"))
                    .and(path("/v1/bdbs"))
                    .and(basic_auth(USER, PASSWORD))
                    .respond_with(
                        ResponseTemplate::new(200).set_body_raw(
                            fixture("redis-enterprise", "bdbs.json"),
                            "application/json",
                        ),
                    )
                    .mount(server)
                    .await;
            })
        },
        names: &["sessions", "orders-cache", "half-made", "never-born"],
        secrets: || {
            let mut secrets = fixture_secrets("redis-enterprise", "bdbs.json");
            secrets.push(PASSWORD.to_string());
            secrets
        },
        existing_id: "1",
        mount_get: |server| {
            Box::pin(async move {
                Mock::given(method("GET"))
                    .and(path("/v1/bdbs/1"))
                    .and(basic_auth(USER, PASSWORD))
                    .respond_with(ResponseTemplate::new(200).set_body_raw(
                        fixture("redis-enterprise", "bdb-1.json"),
                        "application/json",
                    ))
                    .mount(server)
                    .await;
            })
        },
        missing_id: "999",
    }
}
