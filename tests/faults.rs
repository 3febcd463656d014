//! Fault injection through the real binary: retries, deadlines, hostile bodies, Ctrl-C.

use std::time::{Duration, Instant};

use crate::cases::upstash::{case, KEY};
use crate::cases::{redis_cloud, redis_enterprise};
use crate::common::{mock, reply, when, Sandbox};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIST: &str = "/v2/redis/databases";

fn sandbox(server: &MockServer) -> Sandbox {
    case().sandbox(server)
}

fn ok_list() -> ResponseTemplate {
    reply(
        200,
        json!([{"database_id": "d1", "database_name": "one", "state": "active", "password": "fault-pw"}]),
    )
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// Mounts `failures` answers of `failure`, then OK forever.
async fn flaky(failure: ResponseTemplate, failures: u64) -> MockServer {
    let server = MockServer::start().await;
    when("GET", LIST)
        .respond_with(failure)
        .up_to_n_times(failures)
        .mount(&server)
        .await;
    mock(&server, "GET", LIST, ok_list()).await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_once_is_retried_and_logged_with_v() {
    let server = flaky(ResponseTemplate::new(500), 1).await;
    let run = sandbox(&server).run("db list --json -v");
    run.code(0)
        .stderr_has("retrying GET /redis/databases")
        .no_secrets(&[KEY, "fault-pw"]);
    assert_eq!(count(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_html_and_retry_after_waits_then_succeeds() {
    let throttled = ResponseTemplate::new(429)
        .insert_header("retry-after", "1")
        .set_body_raw("<html><title>Too Many Requests</title></html>", "text/html");
    let server = flaky(throttled, 1).await;
    let started = Instant::now();
    sandbox(&server).run("db list --json").code(0);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured"
    );
    assert_eq!(count(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_503_three_times_then_ok_succeeds_on_the_fourth_attempt() {
    let server = flaky(ResponseTemplate::new(503), 3).await;
    sandbox(&server).run("db list").code(0);
    assert_eq!(count(&server).await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_503_forever_gives_up_after_the_attempts_within_the_deadline() {
    let server = flaky(ResponseTemplate::new(503), u64::MAX).await;
    let started = Instant::now();
    let run = sandbox(&server).run("db list");
    run.code(8).stderr_has("503").stderr_has("after 4 attempts");
    assert_eq!(count(&server).await, 4);
    assert!(started.elapsed() < Duration::from_secs(10));
    // --retries sets the attempts.
    let server = flaky(ResponseTemplate::new(503), u64::MAX).await;
    sandbox(&server).run("db list --retries 2").code(8);
    assert_eq!(count(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_forever_is_exit_9() {
    let server = flaky(
        ResponseTemplate::new(429).insert_header("retry-after", "0"),
        u64::MAX,
    )
    .await;
    sandbox(&server).run("db list --retries 3").code(9);
    assert_eq!(count(&server).await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_exit_10() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let sb = case().sandbox_at(&format!("http://{addr}"));
    sb.run("db list --retries 2")
        .code(10)
        .stderr_has("cannot connect")
        .no_secrets(&[KEY]);
}

/// A refused connection and a name that does not resolve are one readable line naming the
/// host, the port and why, plus the hint naming the URL variable (exit 10); reqwest's whole
/// chain shows only under -v, and a password in the URL never shows.
#[tokio::test(flavor = "multi_thread")]
async fn connection_failures_are_one_readable_line() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let sb = case().sandbox_at(&format!("http://{addr}"));
    let run = sb.run("db list --retries 1");
    run.code(10);
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [
            format!("error: upstash: cannot connect to {addr} (connection refused)").as_str(),
            "hint: check that the server is up and that UPSTASH_API_URL is right"
        ],
    );
    sb.run("db list --retries 1 -v")
        .code(10)
        .stderr_has(&format!("cannot connect to {addr} (connection refused)"))
        .stderr_has("tcp connect error");

    let with_password =
        redis_enterprise::case().sandbox_at(&format!("http://admin:url-pass-77@{addr}"));
    for extra in [&[][..], &["-vv"]] {
        let mut args = vec!["db", "list", "--retries", "1"];
        args.extend_from_slice(extra);
        with_password
            .run(&args)
            .code(10)
            .stderr_has(&format!(
                "error: redis-enterprise: cannot connect to {addr} (connection refused)"
            ))
            .stderr_has("REDIS_ENTERPRISE_URL")
            .no_secrets(&["url-pass-77"]);
    }

    // `.invalid` never resolves (RFC 6761).
    let sb = case().sandbox_at("http://no-such-host.invalid");
    let run = sb.run("db list --retries 1");
    run.code(10)
        .stderr_has("error: upstash: cannot connect to no-such-host.invalid:80 (DNS lookup failed");
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    for noise in [
        "dns error",
        "error sending request",
        "client error",
        "os error",
    ] {
        assert!(!run.stderr.contains(noise), "{noise} in {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_provider_hits_the_whole_command_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_list().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let started = Instant::now();
    let run = sandbox(&server).run("db list --request-timeout 1");
    run.code(11)
        .stderr_has("timed out after 1s waiting for GET /redis/databases");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_bodies_are_exit_8_without_panics() {
    let huge = vec![b'['; 40 * 1024 * 1024];
    let cases: Vec<(&str, ResponseTemplate)> = vec![
        (
            "truncated",
            ResponseTemplate::new(200).set_body_raw(
                "[{\"database_id\": \"x\", \"password\": \"fault-pw\"",
                "application/json",
            ),
        ),
        (
            "40 MB",
            ResponseTemplate::new(200).set_body_raw(huge, "application/json"),
        ),
        (
            "invalid UTF-8",
            ResponseTemplate::new(200)
                .set_body_raw(vec![0xff, 0xfe, b'[', 0xc3, b']'], "application/json"),
        ),
        ("wrong shape", reply(200, json!({"databases": "nope"}))),
        (
            "wrong content type",
            ResponseTemplate::new(200).set_body_raw("plain words", "text/plain"),
        ),
        ("array of strings", reply(200, json!(["a", 1, null]))),
    ];
    for (name, template) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(template)
            .mount(&server)
            .await;
        let run = sandbox(&server).run("db list --json");
        run.code(8).no_secrets(&["fault-pw"]);
        assert!(run.stdout.is_empty(), "{name}: stdout must stay empty");
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
        assert_eq!(
            run.stderr.lines().count(),
            1,
            "{name}: one error line: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fields_of_unexpected_types_still_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(reply(200, json!([
            {"database_id": 42, "database_name": null, "state": {"x": 1}, "port": "not a port", "tls": "yes",
             "db_memory_threshold": 1e30, "creation_time": -99999999999999i64, "endpoint": [], "type": true},
            {"database_id": "weird-state", "database_name": "w", "state": "hibernating"}
        ])))
        .mount(&server)
        .await;
    let run = sandbox(&server).run("db list --json");
    run.code(0);
    let dbs = run.json();
    assert_eq!(dbs[0]["id"], "42");
    assert_eq!(dbs[0]["tls"], true);
    assert_eq!(dbs[0]["port"], serde_json::Value::Null);
    let weird = dbs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "weird-state")
        .unwrap();
    assert_eq!(weird["status"], "unknown");
    assert_eq!(weird["provider_status"], "hibernating");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_post_is_sent_exactly_once_even_on_a_500() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/v2/redis/database",
        reply(500, json!({"error": "internal"})),
    )
    .await;
    let run = sandbox(&server).run("db create --name x --region us-east-1");
    run.code(8);
    assert_eq!(count(&server).await, 1, "a POST is never blindly retried");
    // 503 too.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    sandbox(&server)
        .run("db create --name x --region us-east-1")
        .code(8);
    assert_eq!(count(&server).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_wait_exits_130_naming_the_operation() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(reply(
            200,
            json!({"database_id": "w", "database_name": "w", "state": "pending"}),
        ))
        .mount(&server)
        .await;
    let child = sandbox(&server)
        .command()
        .args(["db", "wait", "w", "--status", "active", "--interval", "0.1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("still running"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_not_followed_so_key_headers_stay_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(reply(200, json!({"subscriptions": []})))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/v1/subscriptions", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let run = redis_cloud::case().sandbox(&server).run("db list");
    run.code(8)
        .stderr_has("302")
        .stderr_has("redirects")
        .no_secrets(&[redis_cloud::KEY, redis_cloud::SECRET]);
    assert_eq!(count(&elsewhere).await, 0, "nothing reached the other host");
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_inside_urls_in_provider_errors_are_masked() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(reply(
            400,
            json!({"error": "cannot fetch ftp://backup:pa/ss?w#rd@files.example.com/x.rdb"}),
        ))
        .mount(&server)
        .await;
    for extra in [&[][..], &["--json"][..], &["-vv"][..]] {
        let mut args = vec!["db", "list"];
        args.extend_from_slice(extra);
        let run = sandbox(&server).run(&args);
        run.code(6)
            .stderr_has("ftp://backup:***@files.example.com/x.rdb")
            .no_secrets(&["pa/ss?w#rd"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flush_is_never_resent_after_a_503() {
    let server = MockServer::start().await;
    mock(
        &server,
        "PUT",
        "/v1/bdbs/1/flush",
        ResponseTemplate::new(503),
    )
    .await;
    let run = redis_enterprise::case()
        .sandbox(&server)
        .run("db flush 1 --yes");
    run.code(8).no_secrets(&[redis_enterprise::PASSWORD]);
    assert_eq!(count(&server).await, 1, "an action is sent once");
}
