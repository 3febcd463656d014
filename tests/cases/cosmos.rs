use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::Case;
use crate::common::fixture;

/// A valid master key known only to these tests (Microsoft's documentation vector key).
pub const KEY: &str =
    "dsZQi3KtZmCv1ljt3VNWNm7sQUF1y5rJfC6kv5JiwvW0EndXdDku/dkKBp8/ufDToSxLzR4y+O/0H/t4bQtVNw==";

pub fn case() -> Case {
    Case {
        provider: "cosmos",
        env: |uri| {
            vec![
                ("COSMOS_ENDPOINT", format!("{uri}/")),
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
