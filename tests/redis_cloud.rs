//! Redis Cloud through the real binary against wiremock servers fed from fixtures/redis-cloud.

use std::time::{Duration, Instant};

use crate::cases::redis_cloud::{case, KEY, SECRET, TASK};
use crate::common::{
    fixture, fixture_reply, header_of, mock, refs, reply, requests, requests_to_path,
    requests_with_method, timed, when, Sandbox, Served,
};
use serde_json::{json, Value};
use wiremock::matchers::{body_json, method, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const FX: &str = "redis-cloud";

fn sandbox(server: &MockServer) -> Sandbox {
    case().sandbox(server)
}

fn secrets() -> Vec<String> {
    (case().secrets)()
}

fn answer(status: u16, name: &str) -> ResponseTemplate {
    fixture_reply(status, FX, name)
}

/// An account whose Pro subscriptions are `subscriptions` and which has no Essentials ones
/// (404).
async fn pro_only(subscriptions: Value) -> MockServer {
    let server = MockServer::start().await;
    mock(
        &server,
        "GET",
        "/v1/subscriptions",
        reply(200, subscriptions),
    )
    .await;
    let none = answer(404, "subscription-not-found.json");
    mock(&server, "GET", "/v1/fixed/subscriptions", none).await;
    server
}

/// [`TASK`] answers each of `answers` once, in order, and the last one from then on; its path.
async fn task_answers<const N: usize>(
    server: &MockServer,
    answers: [ResponseTemplate; N],
) -> String {
    let route = format!("/v1/tasks/{TASK}");
    let last = N - 1;
    for (n, answer) in answers.into_iter().enumerate() {
        let mock = when("GET", route.clone()).respond_with(answer);
        match n == last {
            true => mock.mount(server).await,
            false => mock.up_to_n_times(1).mount(server).await,
        }
    }
    route
}

fn query(request: &Request, key: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A page of `count` synthetic Pro databases starting at `first`.
fn synthetic_page(subscription: u64, first: u64, count: u64) -> Value {
    let databases: Vec<Value> = (first..first + count)
        .map(|n| {
            json!({
                "databaseId": 90_000 + n, "name": format!("bulk-{n:03}"), "status": "active",
                "datasetSizeInGb": 1, "publicEndpoint": format!("redis-{n}.example.cloud:{}", 10_000 + n),
                "security": {"password": format!("bulk-secret-{n}"), "enableTls": true}
            })
        })
        .collect();
    json!({"accountId": 1, "subscription": [{"subscriptionId": subscription, "numberOfDatabases": 250, "databases": databases}]})
}

#[tokio::test(flavor = "multi_thread")]
async fn list_covers_pro_and_essentials_and_normalizes_every_quirk() {
    let server = case().list_server().await;
    let run = sandbox(&server).run("db list --json");
    run.code(0).no_secrets(&refs(&secrets()));
    let dbs = run.json();
    let dbs = dbs.as_array().expect("bare array");
    assert_eq!(dbs.len(), 6, "{dbs:#?}");
    let by_id = |id: &str| {
        dbs.iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
            .clone()
    };
    assert_eq!(
        by_id("2145833/13008822"),
        json!({
            "provider": "redis-cloud", "profile": "redis-cloud", "id": "2145833/13008822",
            "name": "sessions-eu", "status": "active", "provider_status": "active",
            "region": "eu-west-1", "endpoint": "redis-12000.c284.eu-west-1-2.ec2.cloud.redislabs.com",
            "port": 12000, "tls": true, "memory_limit_bytes": 2684354560u64, "plan": "pro",
            "created_at": "2024-03-11T09:41:27Z", "regions": null
        })
    );
    // A broken port keeps the host; a string boolean; an offset timestamp → UTC.
    let limiter = by_id("2145833/13008823");
    assert_eq!(limiter["status"], "pending");
    assert_eq!(
        limiter["endpoint"],
        "redis-12001.c284.eu-west-1-2.ec2.cloud.redislabs.com"
    );
    assert_eq!(limiter["port"], Value::Null);
    assert_eq!(limiter["tls"], false);
    assert_eq!(limiter["memory_limit_bytes"], 536870912);
    assert_eq!(limiter["created_at"], "2024-06-20T14:02:01Z");
    // Unknown status, empty endpoint, no size, `security` not an object: listed with nulls.
    let odd = by_id("2145833/13008824");
    assert_eq!(odd["name"], "analytics-é缓存");
    assert_eq!(odd["status"], "unknown");
    assert_eq!(odd["provider_status"], "rcp-sideways");
    for field in [
        "endpoint",
        "port",
        "tls",
        "memory_limit_bytes",
        "created_at",
    ] {
        assert_eq!(odd[field], Value::Null, "{field}");
    }
    assert_eq!(odd["region"], "eu-west-1", "the subscription's region");
    // Older records: memoryLimitInGb; region from the subscription's cloudDetails.
    let staging = by_id("2145877/51230001");
    assert_eq!(staging["memory_limit_bytes"], 1073741824);
    assert_eq!(staging["region"], "us-central1");
    assert_eq!(staging["tls"], false);
    assert_eq!(by_id("2145877/51230002")["status"], "failed");
    assert_eq!(by_id("2145877/51230002")["memory_limit_bytes"], 107374182);
    // Essentials: its own path, plan size in MB.
    let fixed = by_id("2231009/12890441");
    assert_eq!(fixed["plan"], "essentials");
    assert_eq!(fixed["memory_limit_bytes"], 262144000);
    assert_eq!(fixed["region"], "us-east-1");
    assert_eq!(fixed["port"], 18544);

    let received = requests(&server).await;
    assert_eq!(received.len(), 5);
    for request in &received {
        assert_eq!(header_of(request, "x-api-key").as_deref(), Some(KEY));
        assert_eq!(
            header_of(request, "x-api-secret-key").as_deref(),
            Some(SECRET)
        );
        if request.url.path().ends_with("/databases") {
            assert_eq!(query(request, "offset").as_deref(), Some("0"));
            assert_eq!(query(request, "limit").as_deref(), Some("100"));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_of_every_subscription_and_404_is_empty() {
    let server = pro_only(json!({
        "accountId": 1,
        "subscriptions": [{"id": 300, "name": "big"}, {"id": 301, "name": "empty"}, {"id": 302, "name": "exact"}]
    }))
    .await;
    for (offset, count) in [(0u64, 100u64), (100, 100), (200, 50)] {
        when("GET", "/v1/subscriptions/300/databases")
            .and(query_param("offset", offset.to_string()))
            .and(query_param("limit", "100"))
            .respond_with(reply(200, synthetic_page(300, offset, count)))
            .expect(1)
            .mount(&server)
            .await;
    }
    mock(
        &server,
        "GET",
        "/v1/subscriptions/301/databases",
        answer(404, "subscription-not-found.json"),
    )
    .await;
    // Exactly one full page: the next page is empty and ends the list.
    when("GET", "/v1/subscriptions/302/databases")
        .and(query_param("offset", "0"))
        .respond_with(reply(200, synthetic_page(302, 1000, 100)))
        .mount(&server)
        .await;
    when("GET", "/v1/subscriptions/302/databases")
        .and(query_param("offset", "100"))
        .respond_with(reply(
            200,
            json!({"subscription": [{"subscriptionId": 302, "databases": []}]}),
        ))
        .mount(&server)
        .await;

    let run = sandbox(&server).run("db list --json");
    run.code(0)
        .no_secrets(&["bulk-secret-1", "bulk-secret-249"]);
    let dbs = run.json();
    let dbs = dbs.as_array().unwrap();
    assert_eq!(dbs.len(), 350);
    assert_eq!(
        dbs.iter()
            .filter(|d| d["id"].as_str().unwrap().starts_with("300/"))
            .count(),
        250
    );
    assert!(dbs.iter().any(|d| d["id"] == "300/90249"));
    assert!(dbs.iter().any(|d| d["id"] == "302/91099"));

    let received = requests(&server).await;
    let offsets = |sub: &str| {
        let mut o: Vec<String> = received
            .iter()
            .filter(|r| r.url.path() == format!("/v1/subscriptions/{sub}/databases"))
            .filter_map(|r| query(r, "offset"))
            .collect();
        o.sort_by_key(|s| s.parse::<u64>().unwrap_or(0));
        o
    };
    assert_eq!(offsets("300"), ["0", "100", "200"]);
    assert_eq!(offsets("301"), ["0"], "a 404 ends the subscription");
    assert_eq!(offsets("302"), ["0", "100"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_are_listed_concurrently() {
    let server = MockServer::start().await;
    let delay = Duration::from_millis(400);
    let subs: Vec<Value> = (1..=10).map(|i| json!({"id": 500 + i})).collect();
    mock(
        &server,
        "GET",
        "/v1/subscriptions",
        reply(200, json!({"subscriptions": subs})).set_delay(delay),
    )
    .await;
    mock(
        &server,
        "GET",
        "/v1/fixed/subscriptions",
        reply(200, json!({"subscriptions": []})).set_delay(delay),
    )
    .await;
    for i in 1..=10u64 {
        mock(
            &server,
            "GET",
            format!("/v1/subscriptions/{}/databases", 500 + i),
            reply(200, synthetic_page(500 + i, i * 10, 3)).set_delay(delay),
        )
        .await;
    }
    let (run, took) = timed(|| sandbox(&server).run("db list --json"));
    run.code(0);
    assert_eq!(run.json().as_array().unwrap().len(), 30);
    // One after another would take 11 × 400 ms; concurrently about 2 × 400 ms.
    assert!(took < Duration::from_millis(2800), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_tries_pro_then_essentials_and_explains_the_id_format() {
    let server = MockServer::start().await;
    mock(
        &server,
        "GET",
        "/v1/subscriptions/2145833/databases/13008822",
        answer(200, "database-13008822.json"),
    )
    .await;
    mock(
        &server,
        "GET",
        "/v1/subscriptions/2231009/databases/12890441",
        answer(404, "subscription-not-found.json"),
    )
    .await;
    let fixed = fixture("redis-cloud", "fixed-databases-2231009.json");
    let fixed: Value = serde_json::from_str(&fixed).unwrap();
    mock(
        &server,
        "GET",
        "/v1/fixed/subscriptions/2231009/databases/12890441",
        reply(200, fixed["subscription"]["databases"][0].clone()),
    )
    .await;
    let sb = sandbox(&server);
    let run = sb.run("db get 2145833/13008822 --json --raw");
    run.code(0).no_secrets(&refs(&secrets()));
    let db = run.json();
    assert_eq!(
        db["endpoint"],
        "redis-12000.c284.eu-west-1-2.ec2.cloud.redislabs.com"
    );
    assert_eq!(db["raw"]["security"]["password"], "***");

    let run = sb.run("db get 2231009/12890441 --json");
    run.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(run.json()["plan"], "essentials");
    assert_eq!(run.json()["id"], "2231009/12890441");

    // Every id `db list` prints works; a bare database id, no database's name either, is
    // refused (exit 6) after the lookup of that name, which only reads.
    let before = requests(&server).await.len();
    for args in [
        &["db", "get", "13008822"][..],
        &["db", "delete", "13008822", "--yes"],
        &["db", "update", "13008822", "--name", "x"],
        &["db", "wait", "13008822", "--status", "active"],
        &["backup", "create", "13008822"],
        &[
            "db",
            "import",
            "13008822",
            "--source-type",
            "http",
            "--uri",
            "http://x/y.rdb",
            "--yes",
        ],
    ] {
        sb.run(args)
            .code(6)
            .stderr_has("SUBSCRIPTION/DATABASE")
            .stderr_has("2145833/13008822");
    }
    let sent = requests(&server).await;
    assert!(sent[before..].iter().all(|r| r.method.as_str() == "GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_listed_id_is_accepted_by_get() {
    let server = case().list_server().await;
    let sb = sandbox(&server);
    let listed = sb.run("db list --json");
    listed.code(0);
    for db in listed.json().as_array().unwrap() {
        let id = db["id"].as_str().unwrap();
        let (sub, database) = id.split_once('/').unwrap();
        let family = if db["plan"] == "essentials" {
            "/v1/fixed/subscriptions"
        } else {
            "/v1/subscriptions"
        };
        let mut record = db.clone();
        record["databaseId"] = json!(database.parse::<u64>().unwrap());
        mock(
            &server,
            "GET",
            &format!("{family}/{sub}/databases/{database}"),
            reply(200, record),
        )
        .await;
        if family.contains("fixed") {
            mock(
                &server,
                "GET",
                &format!("/v1/subscriptions/{sub}/databases/{database}"),
                answer(404, "subscription-not-found.json"),
            )
            .await;
        }
        let got = sb.run(&["db", "get", id, "--json"]);
        got.code(0);
        assert_eq!(got.json()["id"], id);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn task_wait_follows_the_lifecycle() {
    let server = MockServer::start().await;
    task_answers(
        &server,
        [
            "task-initialized.json",
            "task-in-progress.json",
            "task-completed.json",
        ]
        .map(|name| answer(200, name)),
    )
    .await;
    let sb = sandbox(&server);
    let started = Instant::now();
    let run = sb.run(&["task", "wait", TASK, "--interval", "0.2", "--json"]);
    run.code(0);
    let task = run.json();
    assert_eq!(task["status"], "completed");
    assert_eq!(task["resource_id"], "2145833/13008822");
    assert!(
        run.stderr.is_empty(),
        "no progress without a terminal: {}",
        run.stderr
    );
    // Polls back off: 0.2 s, then 0.3 s (by default 2 s, then 3 s).
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let polls = requests(&server).await;
    assert_eq!(polls.len(), 3);
    sb.run("task wait -h")
        .code(0)
        .stdout_has("Seconds between polls (backs off up to 4x) [default: 2]");

    let get = sb.run(&["task", "get", TASK, "--json"]);
    get.code(0);
    assert_eq!(get.json()["status"], "completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn task_states_map_and_a_wait_times_out() {
    let server = MockServer::start().await;
    let route = format!("/v1/tasks/{TASK}");
    mock(&server, "GET", &route, answer(200, "task-in-progress.json")).await;
    let sb = sandbox(&server);
    let run = sb.run(&["task", "get", TASK, "--json"]);
    run.code(0);
    assert_eq!(run.json()["status"], "running");
    let started = Instant::now();
    sb.run(&["task", "wait", TASK, "--timeout", "1"])
        .code(11)
        .stderr_has("processing-in-progress");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_wait_treats_a_fresh_task_404_as_pending() {
    let server = MockServer::start().await;
    when("DELETE", "/v1/subscriptions/2145833/databases/13008822")
        .respond_with(answer(202, "task-accepted.json"))
        .expect(1)
        .mount(&server)
        .await;
    let route = task_answers(
        &server,
        [
            answer(404, "not-found.json"),
            answer(200, "task-completed.json"),
        ],
    )
    .await;
    mock(
        &server,
        "GET",
        "/v1/subscriptions/2145833/databases/13008822",
        answer(404, "not-found.json"),
    )
    .await;
    mock(
        &server,
        "GET",
        "/v1/fixed/subscriptions/2145833/databases/13008822",
        answer(404, "subscription-not-found.json"),
    )
    .await;
    let sb = sandbox(&server);
    let run = sb.run("db delete 2145833/13008822 --yes --wait --json");
    run.code(0);
    assert_eq!(run.json()["status"], "completed");
    assert_eq!(
        requests_to_path(&server, &route).await,
        2,
        "404 once, then completed"
    );
    assert_eq!(requests_with_method(&server, "DELETE").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_task_is_exit_8_with_its_description() {
    let server = MockServer::start().await;
    when(
        "POST",
        "/v1/subscriptions/2145833/databases/13008822/backup",
    )
    .respond_with(answer(202, "task-accepted.json"))
    .expect(2)
    .mount(&server)
    .await;
    task_answers(
        &server,
        [
            answer(200, "task-in-progress.json"),
            answer(200, "task-error.json"),
        ],
    )
    .await;
    let sb = sandbox(&server);
    // Without --wait: the task, exit 0.
    let run = sb.run("backup create 2145833/13008822 --json");
    run.code(0);
    assert_eq!(run.json()["id"], TASK);
    let run = sb.run("backup create 2145833/13008822 --wait");
    run.code(8)
        .stderr_has("exceeds the subscription's remaining memory");
    assert!(run.stdout.is_empty());
    let get = sb.run(&["task", "get", TASK, "--json"]);
    assert_eq!(get.json()["status"], "failed");
    assert_eq!(
        get.json()["error"],
        "The requested dataset size exceeds the subscription's remaining memory"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_sends_the_source_and_412_is_exit_6() {
    let server = MockServer::start().await;
    when(
        "POST",
        "/v1/subscriptions/2145833/databases/13008822/import",
    )
    .and(body_json(json!({
        "sourceType": "http", "importFromUri": ["https://example.com/dump.rdb"]
    })))
    .respond_with(answer(202, "task-accepted.json"))
    .expect(1)
    .mount(&server)
    .await;
    mock(
        &server,
        "POST",
        "/v1/subscriptions/2145833/databases/13008822/import",
        answer(412, "feature-flag.json"),
    )
    .await;
    let sb = sandbox(&server);
    let import = |source: &str, uri: &str| {
        sb.run(&[
            "db",
            "import",
            "2145833/13008822",
            "--source-type",
            source,
            "--uri",
            uri,
            "--yes",
            "--json",
        ])
    };
    let run = import("http", "https://example.com/dump.rdb");
    run.code(0);
    assert_eq!(run.json()["id"], TASK);
    import("aws-s3", "s3://bucket/dump.rdb")
        .code(6)
        .stderr_has("Import from this source type is disabled");
    let before = requests(&server).await.len();
    import("floppy", "a:/dump.rdb").code(6).stderr_has("aws-s3");
    assert_eq!(requests(&server).await.len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_list_explains_and_url_builds_from_the_password() {
    let server = case().list_server().await;
    mock(
        &server,
        "GET",
        "/v1/subscriptions/2145833/databases/13008822",
        answer(200, "database-13008822.json"),
    )
    .await;
    let sb = sandbox(&server);
    sb.run("backup list 2145833/13008822")
        .code(6)
        .stderr_has("no backup history");
    let url = sb.run("db url 2145833/13008822");
    url.code(0).no_secrets(&["fixture-rc-password-sessions"]);
    assert_eq!(
        url.stdout.trim(),
        "rediss://default:***@redis-12000.c284.eu-west-1-2.ec2.cloud.redislabs.com:12000"
    );
    let shown = sb.run("db url 2145833/13008822 --show-secrets");
    assert_eq!(
        shown.stdout.trim(),
        "rediss://default:fixture-rc-password-sessions@redis-12000.c284.eu-west-1-2.ec2.cloud.redislabs.com:12000"
    );
    // TLS off → redis://
    mock(
        &server,
        "GET",
        "/v1/subscriptions/2145877/databases/51230001",
        reply(
            200,
            serde_json::from_str::<Value>(&fixture("redis-cloud", "databases-2145877.json"))
                .unwrap()["subscription"][0]["databases"][0]
                .clone(),
        ),
    )
    .await;
    let plain = sb.run("db url 2145877/51230001");
    plain.code(0);
    assert!(
        plain.stdout.starts_with("redis://default:***@redis-15301."),
        "{}",
        plain.stdout
    );
    let providers = sb.run("providers --json");
    providers.code(0).stdout_has("tasks");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_database_refuses_an_update_with_exit_7() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(answer(409, "conflict.json"))
        .mount(&server)
        .await;
    sandbox(&server)
        .run("db update 2145833/13008822 --name x")
        .code(7)
        .stderr_has("busy");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_is_retried_with_retry_after_but_post_never_blindly() {
    let server = MockServer::start().await;
    let route = "/v1/subscriptions/2145833/databases/13008822";
    when("GET", route)
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_raw(
                    "{\"error\":{\"description\":\"quota\"}}",
                    "application/json",
                ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    when("GET", route)
        .respond_with(ResponseTemplate::new(503).set_body_raw("busy", "text/plain"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mock(&server, "GET", route, answer(200, "database-13008822.json")).await;
    mock(
        &server,
        "POST",
        format!("{route}/backup"),
        ResponseTemplate::new(503).set_body_raw("busy", "text/plain"),
    )
    .await;
    let sb = sandbox(&server);
    let started = Instant::now();
    let run = sb.run("db get 2145833/13008822 --json --retries 3");
    run.code(0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 honoured"
    );
    let gets = requests(&server).await;
    assert_eq!(gets.len(), 3, "429, 503, then 200");

    sb.run("backup create 2145833/13008822 --retries 3").code(8);
    assert_eq!(
        requests_with_method(&server, "POST").await,
        1,
        "a POST answered 503 is not sent again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_from_alias_and_profile() {
    let server = case().list_server().await;
    let alias = Sandbox::new()
        .env("REDIS_CLOUD_API_KEY", KEY)
        .env("REDIS_CLOUD_API_SECRET", SECRET)
        .env("REDIS_CLOUD_API_URL", format!("{}/v1", server.uri()));
    alias.run("db list --json").code(0);

    let profile = Sandbox::new()
        .env("MY_RC_KEY", KEY)
        .env("MY_RC_SECRET", SECRET);
    profile.config(&format!(
        "[profiles.cloud]\nprovider = \"redis-cloud\"\napi_key_env = \"MY_RC_KEY\"\nsecret_key_env = \"MY_RC_SECRET\"\nurl = \"{}/v1\"\n",
        server.uri()
    ));
    let run = profile.run("db list --profile cloud --json");
    run.code(0).no_secrets(&refs(&secrets()));
    assert_eq!(run.json()[0]["profile"], "cloud");
    for request in requests(&server).await {
        assert_eq!(header_of(&request, "x-api-key").as_deref(), Some(KEY));
        assert_eq!(
            header_of(&request, "x-api-secret-key").as_deref(),
            Some(SECRET)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_lists_redis_cloud_databases() {
    let run = Sandbox::new().run("--demo db list -p redis-cloud --json");
    run.code(0);
    let dbs = run.json();
    let dbs = dbs.as_array().unwrap();
    assert!(dbs.len() >= 5, "{dbs:#?}");
    assert!(dbs.iter().any(|d| d["plan"] == "essentials"));
    assert!(dbs
        .iter()
        .all(|d| d["id"].as_str().is_some_and(|id| id.contains('/'))));
    assert!(!run.stdout.contains("demo-rc-password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_create_list_get_delete() {
    let served = Served::fast(&[]);
    let sb = served.sandbox_for("REDIS_CLOUD_");
    let listed = sb.run("db list --json");
    listed.code(0);
    let first = listed.json().as_array().unwrap().len();
    let sub = listed.json()[0]["id"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();

    let created = sb.run(&[
        "db",
        "create",
        "--subscription",
        &sub,
        "--name",
        "dbctl-e2e",
        "--memory",
        "512MB",
        "--json",
    ]);
    created.code(0);
    let task = created.json()["id"].as_str().unwrap().to_string();
    let done = sb.run(&["task", "wait", &task, "--interval", "0.05", "--json"]);
    done.code(0);
    let id = done.json()["resource_id"].as_str().unwrap().to_string();
    assert!(id.starts_with(&format!("{sub}/")), "{id}");

    let listed = sb.run("db list --json");
    listed.code(0);
    assert_eq!(listed.json().as_array().unwrap().len(), first + 1);
    let got = sb.run(&["db", "get", &id, "--json"]);
    got.code(0);
    assert_eq!(got.json()["name"], "dbctl-e2e");
    assert_eq!(got.json()["memory_limit_bytes"], 536870912);
    let got = sb.run(&[
        "db",
        "wait",
        &id,
        "--status",
        "active",
        "--interval",
        "0.2",
        "--json",
    ]);
    got.code(0);

    // A second create with the same name: the task fails (exit 8 with its description).
    sb.run(&[
        "db",
        "create",
        "--subscription",
        &sub,
        "--name",
        "dbctl-e2e",
        "--wait",
    ])
    .code(8)
    .stderr_has("already");

    sb.run(&["db", "delete", &id, "--yes", "--wait"]).code(0);
    sb.run(&["db", "get", &id]).code(5);
    // The emulator checks both headers.
    Sandbox::new()
        .env("REDIS_CLOUD_API_KEY", "wrong")
        .env("REDIS_CLOUD_SECRET_KEY", "wrong")
        .env("REDIS_CLOUD_API_URL", served.var("REDIS_CLOUD_API_URL"))
        .run("db list")
        .code(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_up_to_the_subscription_count_are_asked_at_once() {
    let server = pro_only(json!({
        "subscriptions": [{"id": 300, "numberOfDatabases": 250}, {"id": 303, "numberOfDatabases": 50}]
    }))
    .await;
    let delay = Duration::from_millis(1500);
    for (offset, count) in [(0u64, 100u64), (100, 100), (200, 50)] {
        when("GET", "/v1/subscriptions/300/databases")
            .and(query_param("offset", offset.to_string()))
            .respond_with(reply(200, synthetic_page(300, offset, count)).set_delay(delay))
            .expect(1)
            .mount(&server)
            .await;
    }
    // A stale count (50, but 150 there): the full first page is followed one page at a time.
    for (offset, count) in [(0u64, 100u64), (100, 50)] {
        when("GET", "/v1/subscriptions/303/databases")
            .and(query_param("offset", offset.to_string()))
            .respond_with(reply(200, synthetic_page(303, 5000 + offset, count)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (run, took) = timed(|| sandbox(&server).run("db list --json"));
    run.code(0);
    assert_eq!(run.json().as_array().unwrap().len(), 400);
    // Page after page would take 3 × 1.5 s; all three at once about 1.5 s.
    assert!(took < Duration::from_millis(3500), "took {took:?}");
}
