use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::Case;
use crate::common::fixture;

/// A valid (base64) master key that only these tests know.
const KEY: &str = "c2hhcmVkLXN1aXRlLWNvc21vcy1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWY=";

pub fn case() -> Case {
    Case {
        provider: "cosmos",
        env: |server| {
            vec![
                ("COSMOS_ENDPOINT", format!("{}/", server.uri())),
                ("COSMOS_KEY", KEY.to_string()),
            ]
        },
        mount_list: |server| {
            Box::pin(async move {
                Mock::given(method("GET"))
                    .and(path("/dbs"))
                    .and(header_exists("authorization"))
                    .and(header_exists("x-ms-date"))
                    .and(header("x-ms-version", "2020-07-15"))
                    .respond_with(
                        ResponseTemplate::new(200)
                            .set_body_raw(fixture("cosmos", "databases.json"), "application/json"),
                    )
                    .mount(server)
                    .await;
            })
        },
        names: &["iot2", "Food DB", "Café 数据"],
        secrets: || vec![KEY.to_string()],
        existing_id: "Food DB",
        mount_get: |server| {
            Box::pin(async move {
                Mock::given(method("GET"))
                    .and(path("/dbs/Food%20DB"))
                    .and(header_exists("authorization"))
                    .respond_with(
                        ResponseTemplate::new(200)
                            .set_body_raw(fixture("cosmos", "database.json"), "application/json"),
                    )
                    .mount(server)
                    .await;
                // `--raw` adds the containers.
                Mock::given(method("GET"))
                    .and(path("/dbs/Food%20DB/colls"))
                    .respond_with(
                        ResponseTemplate::new(200).set_body_raw(
                            fixture("cosmos", "collections.json"),
                            "application/json",
                        ),
                    )
                    .mount(server)
                    .await;
            })
        },
        missing_id: "no such db",
    }
}
