use wiremock::matchers::{header, header_exists};

use super::{Case, Refusal};
use crate::common::{fixture, fixture_reply, mock, when};

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
                when("GET", "/dbs")
                    .and(header_exists("authorization"))
                    .and(header_exists("x-ms-date"))
                    .and(header("x-ms-version", "2020-07-15"))
                    .respond_with(fixture_reply(200, "cosmos", "databases.json"))
                    .mount(server)
                    .await;
                // `export`/`plan` read the throughput of every database from the offers.
                when("GET", "/offers")
                    .and(header_exists("authorization"))
                    .respond_with(fixture_reply(200, "cosmos", "offers.json"))
                    .mount(server)
                    .await;
            })
        },
        names: &["iot2", "Food DB", "Café 数据"],
        secrets: || vec![KEY.to_string()],
        existing_id: "Food DB",
        mount_get: |server| {
            Box::pin(async move {
                when("GET", "/dbs/Food%20DB")
                    .and(header_exists("authorization"))
                    .respond_with(fixture_reply(200, "cosmos", "database.json"))
                    .mount(server)
                    .await;
                // `--raw` adds the containers.
                mock(
                    server,
                    "GET",
                    "/dbs/Food%20DB/colls",
                    fixture_reply(200, "cosmos", "collections.json"),
                )
                .await;
            })
        },
        missing_id: "no such db",
        malformed_ids: &["a/b", "a\\b", "a?b", "a#b"],
        id_form: "/ \\ ? #",
        list_path: "/dbs",
        masked_header: "authorization: ***",
        noise: &["ActivityId", "payload", "/apps/", "RequestStartTime"],
        broken_lists: || {
            [
                r#"{"_rid": "", "Databases": "nope", "_count": 0}"#,
                r#"{"_rid": "", "_count": 0}"#,
                r#"[{"id": "a"}]"#,
                r#"{"_rid": "", "Databases": [{"id": "a"}"#,
                "",
            ]
            .into_iter()
            .map(|body| (body.to_string(), "application/json"))
            .collect()
        },
        unauthorized: Refusal {
            status: 401,
            body: || fixture("cosmos", "unauthorized.json"),
            content_type: "application/json",
            retry_after: None,
            says: &[
                "The input authorization token can't serve the request.",
                "hint: check COSMOS_KEY",
                "x-ms-date",
            ],
        },
        not_found: Refusal {
            status: 404,
            body: || fixture("cosmos", "not-found.json"),
            content_type: "application/json",
            retry_after: None,
            says: &["\"no such db\"", "Resource Not Found."],
        },
        missing_paths: &["/dbs/no%20such%20db", "/dbs/no%20such%20db/colls"],
        missing_commands: &[
            &["db", "delete", "ID", "--yes"],
            &["db", "url", "ID"],
            &["db", "get", "ID", "--collections"],
        ],
        busy: Refusal::PLAIN_503,
        throttled: Refusal {
            status: 429,
            body: || fixture("cosmos", "throttled.json"),
            content_type: "application/json",
            retry_after: Some(("x-ms-retry-after-ms", "10")),
            says: &["Request rate is large."],
        },
        unsupported: &[
            &["db", "flush", "ID", "--yes"],
            &["db", "reset-password", "ID", "--yes"],
            &["backup", "list", "ID"],
            &["backup", "create", "ID"],
            &["backup", "restore", "ID", "b1", "--yes"],
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
        no_credentials_says: &[],
        half_env: &["COSMOS_ENDPOINT"],
        half_says: &["COSMOS_KEY is not set"],
    }
}
