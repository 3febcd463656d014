//! Azure Cosmos DB through the real binary against wiremock servers fed from fixtures/cosmos,
//! and against the built-in emulator. Every signed request is checked by recomputing its
//! master-key signature here, independently of the provider's signer.

use crate::cases::cosmos::{authorization, case, resource_of, sign, signed_ok, Signed, KEY};
use crate::common::{fixture, header_of, mock, requests, when, Sandbox, Served};
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// The emulator's well-known key.
const EMULATOR_KEY: &str =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

fn sandbox(server: &MockServer) -> Sandbox {
    case().sandbox(server)
}

fn port(server: &MockServer) -> u16 {
    server.address().port()
}

/// Matches requests without a continuation header (the first page).
struct FirstPage;

impl Match for FirstPage {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key("x-ms-continuation")
    }
}

fn json_response(status: u16, body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into(), "application/json")
}

// ---- the tests ----

#[test]
fn the_test_signer_reproduces_the_official_vectors() {
    let date = "Thu, 27 Apr 2017 00:51:12 GMT";
    assert_eq!(
        sign(KEY, "GET", "dbs", "dbs/ToDoList", date),
        "c09PEVJrgp2uQRkr934kFbTqhByc7TVr3OHyqlu+c+c="
    );
    assert_eq!(
        sign(KEY, "GET", "dbs", "", date),
        "oMt68ghyVEcS70kOZOWyTYEgUkWNd441wEjKJu6kvcA="
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_follows_the_continuation_over_2500_databases() {
    let server = MockServer::start().await;
    let template: Value = serde_json::from_str(&fixture("cosmos", "database.json")).unwrap();
    let page = |from: usize, to: usize| {
        let items: Vec<Value> = (from..to)
            .map(|i| {
                let mut db = template.clone();
                db["id"] = json!(format!("db-{i:04}"));
                db["_rid"] = json!(format!("r{i:04}AA=="));
                db
            })
            .collect();
        json!({"_rid": "", "Databases": items, "_count": to - from}).to_string()
    };
    let tokens = [
        "+RID:~qicAAA==#RT:1#TRC:1000#ISV:2#IEO:65567#QCF:8",
        "+RID:~KI0YAA==#RT:2#TRC:2000#ISV:2#IEO:65567#QCF:8",
    ];
    when("GET", "/dbs")
        .and(Signed)
        .and(FirstPage)
        .and(header("x-ms-max-item-count", "1000"))
        .respond_with(
            json_response(200, page(0, 1000)).insert_header("x-ms-continuation", tokens[0]),
        )
        .expect(1)
        .mount(&server)
        .await;
    when("GET", "/dbs")
        .and(Signed)
        .and(header("x-ms-continuation", tokens[0]))
        .and(header("x-ms-max-item-count", "1000"))
        .respond_with(
            json_response(200, page(1000, 2000)).insert_header("x-ms-continuation", tokens[1]),
        )
        .expect(1)
        .mount(&server)
        .await;
    when("GET", "/dbs")
        .and(Signed)
        .and(header("x-ms-continuation", tokens[1]))
        .and(header("x-ms-max-item-count", "1000"))
        .respond_with(json_response(200, page(2000, 2500)))
        .expect(1)
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db list --json");
    run.code(0).no_secrets(&[KEY]);
    let listed = run.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2500);
    let ids: std::collections::BTreeSet<&str> =
        listed.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2500, "no page read twice");
    assert!(ids.contains("db-0000") && ids.contains("db-2499"));
    let received = requests(&server).await;
    assert_eq!(received.len(), 3);
    assert_eq!(header_of(&received[0], "x-ms-continuation"), None);
    assert_eq!(
        header_of(&received[1], "x-ms-continuation").as_deref(),
        Some(tokens[0])
    );
    assert_eq!(
        header_of(&received[2], "x-ms-continuation").as_deref(),
        Some(tokens[1])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_normalizes_the_documented_feed() {
    let server = MockServer::start().await;
    when("GET", "/dbs")
        .and(Signed)
        .respond_with(json_response(200, fixture("cosmos", "databases.json")))
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db list --json");
    run.code(0).no_secrets(&[KEY]);
    let dbs = run.json();
    let dbs = dbs.as_array().unwrap();
    assert_eq!(dbs.len(), 4, "the record without an id is left out");
    let food = dbs.iter().find(|d| d["id"] == "Food DB").unwrap();
    assert_eq!(
        food,
        &json!({
            "provider": "cosmos", "profile": "cosmos", "id": "Food DB", "name": "Food DB",
            "status": "active", "provider_status": "online", "region": null,
            "endpoint": "127.0.0.1", "port": port(&server), "tls": false,
            "memory_limit_bytes": null, "plan": null, "created_at": "2015-09-17T17:40:02Z",
            "regions": null
        })
    );
    let unicode = dbs.iter().find(|d| d["id"] == "Café 数据").unwrap();
    assert_eq!(unicode["created_at"], Value::Null);
    // --raw keeps the Cosmos record.
    let raw = sandbox(&server).run("db list --json --raw");
    raw.code(0);
    let raw = raw.json();
    let iot = raw
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "iot2")
        .unwrap();
    assert_eq!(iot["raw"]["_rid"], "qicAAA==");
    assert_eq!(iot["raw"]["_self"], "dbs/qicAAA==/");
    assert_eq!(
        iot["raw"]["_etag"],
        "\"00001800-0000-0000-0000-563324f30000\""
    );
    // The table shows the account endpoint.
    let table = sandbox(&server).run("list");
    table
        .code(0)
        .stdout_has("Café 数据")
        .stdout_has(&format!("127.0.0.1:{}", port(&server)));
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_with_spaces_and_unicode_are_encoded_in_the_path_and_signed_plain() {
    let server = MockServer::start().await;
    for (encoded, id) in [
        ("/dbs/Food%20DB", "Food DB"),
        ("/dbs/Caf%C3%A9%20%E6%95%B0%E6%8D%AE", "Café 数据"),
    ] {
        let mut record: Value = serde_json::from_str(&fixture("cosmos", "database.json")).unwrap();
        record["id"] = json!(id);
        when("GET", encoded)
            .and(Signed)
            .respond_with(json_response(200, record.to_string()))
            .mount(&server)
            .await;
        when("GET", format!("{encoded}/colls"))
            .and(Signed)
            .and(header("x-ms-max-item-count", "1000"))
            .respond_with(json_response(200, fixture("cosmos", "collections.json")))
            .mount(&server)
            .await;
    }
    let sb = sandbox(&server);
    for id in ["Food DB", "Café 数据"] {
        let run = sb.run(&["db", "get", id, "--json"]);
        run.code(0).no_secrets(&[KEY]);
        assert_eq!(run.json()["id"], id);
        assert!(run.json().get("collections").is_none());
        let with = sb.run(&["db", "get", id, "--collections", "--json"]);
        with.code(0);
        assert_eq!(
            with.json()["collections"],
            json!(["recipes", "pantry items"])
        );
    }
    // --raw brings the record and the containers.
    let raw = sb.run("db get 'Food DB' --raw --json");
    raw.code(0);
    let raw = raw.json();
    assert_eq!(raw["raw"]["_rid"], "vdoeAA==");
    assert_eq!(raw["collections"], json!(["recipes", "pantry items"]));
    // Signatures were over the unencoded links.
    for request in requests(&server).await {
        let (resource_type, link) = resource_of(request.url.path());
        assert!(link == "dbs/Food DB" || link == "dbs/Café 数据", "{link}");
        assert!(resource_type == "dbs" || resource_type == "colls");
        assert!(signed_ok(&request));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_signs_the_parent_feed_and_409_is_exit_7() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/dbs",
        json_response(201, fixture("cosmos", "created.json")),
    )
    .await;
    sandbox(&server).run("db create --name orders").code(0);
    // The signature of a create is over the parent feed: POST, dbs, "".
    let post = &requests(&server).await[0];
    assert_eq!(
        header_of(post, "authorization"),
        Some(authorization(
            KEY,
            "POST",
            "dbs",
            "",
            &header_of(post, "x-ms-date").unwrap()
        ))
    );

    let taken = MockServer::start().await;
    when("POST", "/dbs")
        .respond_with(json_response(409, fixture("cosmos", "conflict.json")))
        .expect(1)
        .mount(&taken)
        .await;
    let run = sandbox(&taken).run("db create --name orders");
    run.code(7)
        .stderr_has("Entity with the specified id already exists in the system.");
    assert!(!run.stderr.contains("ActivityId"), "{}", run.stderr);
    assert!(!run.stderr.contains("RequestStartTime"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn clock_skew_is_exit_4_with_a_clock_hint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_response(403, fixture("cosmos", "clock-skew.json")))
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db get 'Food DB'");
    run.code(4)
        .stderr_has("not valid at the current time")
        .stderr_has("system clock")
        .no_secrets(&[KEY]);
    // A 403 for another reason gets no clock hint.
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_response(
            403,
            r#"{"code":"Forbidden","message":"Request originated from IP 203.0.113.9 through public internet. This is blocked by your Cosmos DB account firewall settings."}"#,
        ))
        .mount(&other)
        .await;
    let run = sandbox(&other).run("db list");
    run.code(4).stderr_has("firewall");
    assert!(!run.stderr.contains("clock"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_list_is_retried_with_a_fresh_signature() {
    let server = MockServer::start().await;
    when("GET", "/dbs")
        .and(Signed)
        .respond_with(
            json_response(429, fixture("cosmos", "throttled.json"))
                .insert_header("x-ms-retry-after-ms", "1100"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    when("GET", "/dbs")
        .and(Signed)
        .respond_with(json_response(200, fixture("cosmos", "databases.json")))
        .with_priority(2)
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db list --json");
    run.code(0).no_secrets(&[KEY]);
    assert_eq!(run.json().as_array().unwrap().len(), 4);
    let received = requests(&server).await;
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(signed_ok));
    let dates: Vec<String> = received
        .iter()
        .map(|r| header_of(r, "x-ms-date").unwrap())
        .collect();
    assert_ne!(
        dates[0], dates[1],
        "the retry waited x-ms-retry-after-ms and was signed afresh"
    );
    assert_ne!(
        header_of(&received[0], "authorization"),
        header_of(&received[1], "authorization")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_create_is_retried() {
    let server = MockServer::start().await;
    when("POST", "/dbs")
        .respond_with(
            json_response(429, fixture("cosmos", "throttled.json"))
                .insert_header("x-ms-retry-after-ms", "20"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    when("POST", "/dbs")
        .and(Signed)
        .respond_with(json_response(201, fixture("cosmos", "created.json")))
        .with_priority(2)
        .mount(&server)
        .await;
    sandbox(&server).run("db create --name orders").code(0);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_is_not_base64_is_a_config_error_naming_the_profile() {
    let bad = "not*base64!!this-is-the-secret";
    let run = Sandbox::new()
        .env("COSMOS_ENDPOINT", "https://acct.documents.azure.com:443/")
        .env("COSMOS_KEY", bad)
        .run("db list");
    run.code(3)
        .stderr_has("COSMOS_KEY")
        .stderr_has("base64")
        .no_secrets(&[bad, "this-is-the-secret"]);
    assert!(!run.stderr.contains("panicked"));

    let sb = Sandbox::new();
    sb.config(&format!(
        "[profiles.prod-cosmos]\nprovider = \"cosmos\"\nendpoint = \"https://acct.documents.azure.com:443/\"\nkey = \"{bad}\"\n"
    ));
    let run = sb.run("db get x");
    run.code(3)
        .stderr_has("prod-cosmos")
        .stderr_has("'key'")
        .no_secrets(&[bad, "this-is-the-secret"]);
    sb.run("config validate")
        .code(3)
        .no_secrets(&[bad, "this-is-the-secret"]);

    let no_url = Sandbox::new()
        .env("COSMOS_ENDPOINT", "acct.documents.azure.com")
        .env("COSMOS_KEY", KEY);
    no_url.run("db list").code(3).no_secrets(&[KEY]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_can_read_its_key_from_another_variable() {
    let server = MockServer::start().await;
    when("GET", "/dbs")
        .and(Signed)
        .respond_with(json_response(200, fixture("cosmos", "databases.json")))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new().env("PROD_COSMOS_KEY", KEY);
    sb.config(&format!(
        "[profiles.prod-cosmos]\nprovider = \"cosmos\"\nendpoint = \"{}/\"\nkey_env = \"PROD_COSMOS_KEY\"\n",
        server.uri()
    ));
    let run = sb.run("db list --json");
    run.code(0).no_secrets(&[KEY]);
    assert_eq!(run.json()[0]["profile"], "prod-cosmos");
}

#[tokio::test(flavor = "multi_thread")]
async fn url_masks_the_key_unless_asked_and_connect_is_refused() {
    let server = MockServer::start().await;
    when("GET", "/dbs/Food%20DB")
        .and(Signed)
        .respond_with(json_response(200, fixture("cosmos", "database.json")))
        .mount(&server)
        .await;
    let sb = sandbox(&server);
    let run = sb.run("db url 'Food DB'");
    run.code(0).no_secrets(&[KEY]);
    assert_eq!(
        run.stdout.trim(),
        format!(
            "AccountEndpoint=http://127.0.0.1:{}/;AccountKey=***;Database=Food DB",
            port(&server)
        )
    );
    sb.run("db url 'Food DB' --show-secrets")
        .code(0)
        .stdout_has(&format!("AccountKey={KEY};"));
    sb.run("db connect 'Food DB'").code(6).no_secrets(&[KEY]);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_without_throughput_is_refused_and_capabilities_name_collections() {
    let server = MockServer::start().await;
    let sb = sandbox(&server);
    sb.run("db update x --name y").code(6).stderr_has("cosmos");
    assert!(requests(&server).await.is_empty());
    let providers = sb.run("providers --json");
    providers.code(0);
    let cosmos = providers
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "cosmos")
        .cloned()
        .unwrap();
    assert_eq!(
        cosmos["capabilities"],
        serde_json::json!(["collections", "usage", "throughput"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_continuation_token_stops_the_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            json_response(200, fixture("cosmos", "databases.json"))
                .insert_header("x-ms-continuation", "same"),
        )
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db list");
    run.code(8).stderr_has("continuation");
    assert_eq!(requests(&server).await.len(), 2);
}

// ---- the emulator ----

#[tokio::test(flavor = "multi_thread")]
async fn demo_lists_the_seeded_cosmos_databases() {
    let sb = Sandbox::new();
    let run = sb.run("--demo db list -p cosmos --json");
    run.code(0).no_secrets(&[EMULATOR_KEY]);
    let names: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"Food DB".to_string()), "{names:?}");
    assert!(names.contains(&"télémétrie".to_string()), "{names:?}");
    let run = sb.run("--demo db get 'Food DB' -p cosmos --collections --json");
    run.code(0);
    assert_eq!(
        run.json()["collections"],
        json!(["recipes", "pantry items"])
    );
    sb.run("--demo db get nope -p cosmos").code(5);
    sb.run("--demo db create -p cosmos --name inventory")
        .code(7)
        .stderr_has("already exists");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_keeps_state_across_create_list_get_delete() {
    let served = Served::start(&[]);
    assert_eq!(served.var("COSMOS_KEY"), EMULATOR_KEY);
    let sb = served.sandbox_for("COSMOS_");
    let created = sb.run("db create --name 'Ünïcødé orders' --set throughput=400 --json");
    created.code(0).no_secrets(&[EMULATOR_KEY]);
    assert_eq!(created.json()["status"], "active");
    let list = sb.run("db list --json");
    list.code(0);
    assert!(list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == "Ünïcødé orders"));
    let got = sb.run("db get 'Ünïcødé orders' --collections --json");
    got.code(0);
    assert_eq!(got.json()["collections"], json!([]));
    sb.run("db create --name 'Ünïcødé orders'").code(7);
    sb.run("db create --name tiny --set throughput=100").code(6);
    sb.run("db delete 'Ünïcødé orders' --yes").code(0);
    sb.run("db get 'Ünïcødé orders'").code(5);
    sb.run("db delete 'Ünïcødé orders' --yes").code(5);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_checks_signatures_dates_and_pages() {
    let served = Served::start(&[]);
    // A wrong (but well-formed) key: 401 and the key hint.
    let wrong = Sandbox::new()
        .env("COSMOS_ENDPOINT", served.var("COSMOS_ENDPOINT"))
        .env("COSMOS_KEY", KEY);
    wrong
        .run("db list")
        .code(4)
        .stderr_has("hint: check COSMOS_KEY")
        .no_secrets(&[KEY]);

    let endpoint = served.var("COSMOS_ENDPOINT");
    let client = reqwest::Client::new();
    let send = |date: String, max: &'static str, continuation: Option<String>| {
        let auth = authorization(EMULATOR_KEY, "GET", "dbs", "", &date);
        let mut request = client
            .get(format!("{endpoint}dbs"))
            .header("x-ms-date", date)
            .header("x-ms-version", "2020-07-15")
            .header("x-ms-max-item-count", max)
            .header("authorization", auth);
        if let Some(token) = continuation {
            request = request.header("x-ms-continuation", token);
        }
        request.send()
    };
    // A date 20 minutes old, correctly signed: 403.
    let old = httpdate::fmt_http_date(
        std::time::SystemTime::now() - std::time::Duration::from_secs(20 * 60),
    );
    let stale = send(old, "10", None).await.unwrap();
    assert_eq!(stale.status(), 403);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["code"], "Forbidden");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("not valid at the current time"));
    // Pages of three, following the continuation.
    let now = || httpdate::fmt_http_date(std::time::SystemTime::now());
    let first = send(now(), "3", None).await.unwrap();
    assert_eq!(first.status(), 200);
    let token = first
        .headers()
        .get("x-ms-continuation")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .expect("a continuation after a short page");
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["_count"], 3);
    let second = send(now(), "3", Some(token)).await.unwrap();
    assert!(second.headers().get("x-ms-continuation").is_none());
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["_count"], 1, "four seeded databases");
    // And dbctl itself reads all of them through the real signer.
    let run = served.sandbox_for("COSMOS_").run("db list --json");
    run.code(0);
    assert_eq!(run.json().as_array().unwrap().len(), 4);
}

// ---- offers: usage and throughput ----

async fn mount_offers(server: &MockServer) {
    when("GET", "/offers")
        .and(Signed)
        .respond_with(json_response(200, fixture("cosmos", "offers.json")))
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_read_manual_and_autoscale_offers_in_one_signed_request() {
    let server = MockServer::start().await;
    (case().mount_list)(&server).await;
    mount_offers(&server).await;
    let run = sandbox(&server).run("db stats --json");
    run.code(0).no_secrets(&[KEY]);
    let usage: Vec<Value> = run.json().as_array().unwrap().clone();
    let by_id = |id: &str| {
        usage
            .iter()
            .find(|u| u["database_id"] == id)
            .unwrap()
            .clone()
    };
    // Food DB (_rid vdoeAA==): manual 400. iot2 (qicAAA==): autoscale, 400 now, max 4000.
    assert_eq!(by_id("Food DB")["throughput_ru"], 400);
    assert_eq!(by_id("Food DB")["throughput_max_ru"], Value::Null);
    assert_eq!(by_id("iot2")["throughput_ru"], 400);
    assert_eq!(by_id("iot2")["throughput_max_ru"], 4000);
    // TestDB2 has no offer of its own (only a container's): no figures, not an error.
    assert_eq!(by_id("TestDB2")["throughput_ru"], Value::Null);
    assert_eq!(by_id("TestDB2")["memory_used_bytes"], Value::Null);
    let offers: Vec<_> = requests(&server)
        .await
        .into_iter()
        .filter(|r| r.url.path() == "/offers")
        .collect();
    assert_eq!(offers.len(), 1, "one offers feed for every database");
    assert!(
        signed_ok(&offers[0]),
        "the feed signs type offers, empty link"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throughput_replaces_the_offer_signed_with_the_lower_cased_rid() {
    let server = MockServer::start().await;
    (case().mount_get)(&server).await;
    mount_offers(&server).await;
    when("PUT", "/offers/Hu%2Bt")
        .and(Signed)
        .respond_with(json_response(
            200,
            r#"{"id":"Hu+t","_rid":"Hu+t","content":{"offerThroughput":800}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db update 'Food DB' --throughput 800");
    run.code(0).stdout_has("800 RU/s").no_secrets(&[KEY]);
    let put = requests(&server)
        .await
        .into_iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("a PUT");
    // The link signed is "hu+t": recomputed here independently.
    let date = header_of(&put, "x-ms-date").unwrap();
    assert_eq!(
        header_of(&put, "authorization").unwrap(),
        authorization(KEY, "PUT", "offers", "hu+t", &date)
    );
    let body: Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(body["content"], json!({"offerThroughput": 800}));
    for field in [
        "id",
        "_rid",
        "_etag",
        "_self",
        "offerResourceId",
        "resource",
    ] {
        assert_eq!(body[field], fixture_offer("Hu+t")[field], "{field} is kept");
    }
    assert_eq!(body["offerVersion"], "V2");
}

fn fixture_offer(rid: &str) -> Value {
    let offers: Value = serde_json::from_str(&fixture("cosmos", "offers.json")).unwrap();
    offers["Offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == rid)
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_to_autoscale_migrates_first_then_sets_the_maximum() {
    let server = MockServer::start().await;
    (case().mount_get)(&server).await;
    mount_offers(&server).await;
    let migrated = {
        let mut offer = fixture_offer("Hu+t");
        offer["content"] =
            json!({"offerThroughput": 400, "offerAutopilotSettings": {"maxThroughput": 4000}});
        offer["_etag"] = json!("\"new\"");
        offer
    };
    when("PUT", "/offers/Hu%2Bt")
        .and(header("x-ms-cosmos-migrate-offer-to-autopilot", "true"))
        .and(Signed)
        .respond_with(json_response(200, migrated.to_string()))
        .expect(1)
        .mount(&server)
        .await;
    when("PUT", "/offers/Hu%2Bt").and(body_json(json!({
            "resource": "dbs/vdoeAA==/", "offerType": "Invalid", "offerResourceId": "vdoeAA==",
            "offerVersion": "V2", "content": {"offerAutopilotSettings": {"maxThroughput": 8000}},
            "id": "Hu+t", "_rid": "Hu+t", "_self": "offers/Hu+t/", "_etag": "\"new\"", "_ts": 1442511602,
        }))).and(Signed).respond_with(json_response(200, migrated.to_string())).expect(1).mount(&server).await;
    sandbox(&server)
        .run("db update 'Food DB' --autoscale-max 8000")
        .code(0)
        .stdout_has("autoscale up to 8000 RU/s");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_throughput_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let sb = sandbox(&server);
    for (args, code) in [
        (&["--throughput", "0"][..], 6),
        (&["--throughput", "-400"], 6),
        (&["--throughput", "450"], 6),
        (&["--throughput", "300"], 6),
        (&["--autoscale-max", "1500"], 6),
        (&["--autoscale-max", "500"], 6),
        (&["--throughput", "400", "--autoscale-max", "4000"], 2),
        (&["--throughput", "400", "--name", "x"], 6),
    ] {
        let mut full = vec!["db", "update", "Food DB"];
        full.extend_from_slice(args);
        sb.run(&full).code(code);
    }
    sb.run("db update 'Food DB' --memory 1GB")
        .code(6)
        .stderr_has("--throughput");
    assert!(requests(&server).await.is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_throughput_changes_show_in_stats() {
    let sb = Sandbox::new();
    sb.run("--demo db update inventory -p cosmos --throughput 800")
        .code(0);
    // Each --demo run starts a fresh emulator; within one run the PUT is checked by the
    // emulator's signature verification (a wrong link would be exit 4).
    let stats = sb.run("--demo db stats inventory -p cosmos --json");
    stats.code(0);
    assert_eq!(stats.json()["throughput_ru"], 400);
}
