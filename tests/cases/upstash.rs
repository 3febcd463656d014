use wiremock::matchers::{basic_auth, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::Case;
use crate::common::{fixture, fixture_secrets};

const EMAIL: &str = "ops@example.com";
const KEY: &str = "fixture-upstash-api-key-123";

pub fn case() -> Case {
    Case {
        provider: "upstash",
        env: |server| {
            vec![
                ("UPSTASH_EMAIL", EMAIL.to_string()),
                ("UPSTASH_API_KEY", KEY.to_string()),
                ("UPSTASH_API_URL", format!("{}/v2", server.uri())),
            ]
        },
        mount_list: |server| {
            Box::pin(async move {
                Mock::given(method("GET"))
                    .and(path("/v2/redis/databases"))
                    .and(basic_auth(EMAIL, KEY))
                    .respond_with(
                        ResponseTemplate::new(200)
                            .set_body_raw(fixture("upstash", "databases.json"), "application/json"),
                    )
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
                Mock::given(method("GET"))
                    .and(path(
                        "/v2/redis/database/96ad0856-03b1-4ee7-9666-e81abd0349e1",
                    ))
                    .and(basic_auth(EMAIL, KEY))
                    .respond_with(ResponseTemplate::new(200).set_body_raw(
                        fixture("upstash", "database-with-credentials.json"),
                        "application/json",
                    ))
                    .mount(server)
                    .await;
            })
        },
        missing_id: "00000000-dead-beef-0000-000000000000",
    }
}
