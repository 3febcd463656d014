//! Cosmos in the shared suite, and an implementation of its master-key signature written
//! here, independently of the provider's signer, that checks every signed request.
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use wiremock::matchers::{body_json, header, header_exists};
use wiremock::{Match, Request, ResponseTemplate};

use super::{mount, Case, Refusal, Write};
use crate::common::{fixture, fixture_reply, when};

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
            mount(
                server,
                vec![
                    when("GET", "/dbs")
                        .and(header_exists("authorization"))
                        .and(header_exists("x-ms-date"))
                        .and(header("x-ms-version", "2020-07-15"))
                        .respond_with(fixture_reply(200, "cosmos", "databases.json")),
                    // `export`/`plan` read the throughput of every database from the offers.
                    when("GET", "/offers")
                        .and(header_exists("authorization"))
                        .respond_with(fixture_reply(200, "cosmos", "offers.json")),
                ],
            )
        },
        names: &["iot2", "Food DB", "Café 数据"],
        secrets: || vec![KEY.to_string()],
        existing_id: "Food DB",
        mount_get: |server| {
            mount(
                server,
                vec![
                    when("GET", "/dbs/Food%20DB")
                        .and(header_exists("authorization"))
                        .respond_with(fixture_reply(200, "cosmos", "database.json")),
                    // `--raw` adds the containers.
                    when("GET", "/dbs/Food%20DB/colls").respond_with(fixture_reply(
                        200,
                        "cosmos",
                        "collections.json",
                    )),
                ],
            )
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
        missing_commands: &["db delete ID --yes", "db url ID", "db get ID --collections"],
        busy: Refusal::PLAIN_503,
        throttled: Refusal {
            status: 429,
            body: || fixture("cosmos", "throttled.json"),
            content_type: "application/json",
            retry_after: Some(("x-ms-retry-after-ms", "10")),
            says: &["Request rate is large."],
        },
        unsupported: &[
            "db flush ID --yes",
            "db reset-password ID --yes",
            "backup list ID",
            "backup create ID",
            "backup restore ID b1 --yes",
            "task get 1",
            "db import ID --source-type http --uri http://x --yes",
        ],
        no_credentials_says: &[],
        half_env: &["COSMOS_ENDPOINT"],
        half_says: &["COSMOS_KEY is not set"],
        writes,
        refused_writes: &[
            ("db create --name x --memory 1GB", 6, "throughput"),
            ("db create --name x --region westus", 6, "region"),
            ("db create --name x --set throughput=50", 6, "400"),
            ("db create --name x --set throughput=lots", 6, "400"),
            ("db create --name x --set shards=2", 6, "accepted"),
            (
                "db create --name x --set throughput=400 --set max_throughput=4000",
                6,
                "one of",
            ),
            ("db create --name x --memory 0", 2, ""),
            (
                "db create --name a/b",
                6,
                "is not a valid cosmos database id",
            ),
        ],
    }
}

/// Every write is signed; a create sends the throughput as a header.
fn writes() -> Vec<Write> {
    vec![
        Write {
            mocks: vec![when("POST", "/dbs")
                .and(Signed)
                .and(body_json(json!({"id": "orders"})))
                .and(header("x-ms-offer-throughput", "400"))
                .respond_with(fixture_reply(201, "cosmos", "created.json"))
                .expect(1)],
            requests: 1,
            prints: vec![
                ("/id", json!("orders")),
                ("/created_at", json!("2024-03-13T15:06:06Z")),
            ],
            hides: vec![KEY.into()],
            ..Write::new("db create --name orders --set throughput=400 --json")
        },
        Write {
            prints: vec![(
                "/requests/0",
                json!({"method": "POST", "path": "/dbs",
                    "headers": {"x-ms-cosmos-offer-autopilot-settings": "{\"maxThroughput\":4000}"},
                    "body": {"id": "x y"}}),
            )],
            ..Write::new("db create --name 'x y' --set max_throughput=4000 --dry-run --json")
        },
        Write {
            mocks: vec![when("DELETE", "/dbs/Food%20DB")
                .and(Signed)
                .respond_with(ResponseTemplate::new(204))
                .expect(1)],
            requests: 1,
            says: "deleted cosmos database Food DB",
            ..Write::new("db delete 'Food DB' --yes")
        },
    ]
}

pub fn sign(key: &str, verb: &str, resource_type: &str, link: &str, date: &str) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}\n{}\n{}\n{}\n\n",
            verb.to_lowercase(),
            resource_type.to_lowercase(),
            link,
            date.to_lowercase()
        )
        .as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn authorization(key: &str, verb: &str, resource_type: &str, link: &str, date: &str) -> String {
    let token = format!(
        "type=master&ver=1.0&sig={}",
        sign(key, verb, resource_type, link, date)
    );
    url_encode(&token)
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'~' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// (type, link) a path signs: odd segment count → a feed of the parent, even → one resource.
pub fn resource_of(encoded_path: &str) -> (String, String) {
    let segments: Vec<String> = encoded_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .unwrap()
                .into_owned()
        })
        .collect();
    let n = segments.len();
    // Offers are rid-based: the link is the rid alone, lower-cased (get-an-offer).
    if n == 2 && segments[0] == "offers" {
        return (segments[0].clone(), segments[1].to_lowercase());
    }
    if n % 2 == 1 {
        (segments[n - 1].clone(), segments[..n - 1].join("/"))
    } else {
        (segments[n - 2].clone(), segments.join("/"))
    }
}

/// The expected Authorization header of a received request, from its own x-ms-date.
pub fn expected_authorization(request: &Request) -> Option<String> {
    let date = request.headers.get("x-ms-date")?.to_str().ok()?;
    let (resource_type, link) = resource_of(request.url.path());
    Some(authorization(
        KEY,
        request.method.as_str(),
        &resource_type,
        &link,
        date,
    ))
}

/// Matches only requests signed correctly, dated within 15 minutes, with the API version.
pub struct Signed;

impl Match for Signed {
    fn matches(&self, request: &Request) -> bool {
        signed_ok(request)
    }
}

pub fn signed_ok(request: &Request) -> bool {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let fresh = header("x-ms-date")
        .and_then(|d| httpdate::parse_http_date(&d).ok())
        .is_some_and(|when| {
            let now = std::time::SystemTime::now();
            let skew = now
                .duration_since(when)
                .or_else(|_| when.duration_since(now))
                .unwrap_or_default();
            skew.as_secs() < 15 * 60
        });
    fresh
        && header("x-ms-version").as_deref() == Some("2020-07-15")
        && header("authorization").is_some()
        && header("authorization") == expected_authorization(request)
}
