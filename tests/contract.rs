//! The CLI contract a kubectl/gh user expects (issue 15's "Flags and errors" and the write
//! results): each test runs the binary as a user would and reads stdout, stderr and the exit
//! code.
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cases;
use crate::common::{mock, Run, Sandbox};

const UPSTASH_ID: &str = "a1b2c3d4-0000-4000-8000-000000000001";

/// Exactly one JSON error line on stderr, nothing on stdout.
fn json_error(run: &Run) -> Value {
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one stderr line: {}", run.stderr);
    serde_json::from_str::<Value>(lines[0]).expect("a JSON error line")["error"].clone()
}

#[test]
fn request_timeout_works_anywhere_and_timeout_says_where_it_belongs() {
    let sb = Sandbox::new();
    sb.run("--demo db list --request-timeout 5").code(0);
    sb.run("--request-timeout 5 --demo db list").code(0);
    sb.run("--demo --timeout 5 db list")
        .code(2)
        .stderr_has("--request-timeout");
}

/// A refused `--memory` is one line naming the flag, the value and the accepted form, exit 2
/// (a bad flag value, as today), before any request; under --json the same words.
#[tokio::test(flavor = "multi_thread")]
async fn refused_memory_sizes_are_one_clear_line() {
    let server = MockServer::start().await;
    let sb = cases::redis_enterprise::case().sandbox(&server);
    for (value, says) in [
        ("16EiB", "is too large (at most 8 EiB)"),
        ("-1GB", "is not a positive size; give one such as 256MiB"),
        ("0", "is not a positive size; give one such as 256MiB"),
        (
            "1.5.5GB",
            "is not a size; give a number with an optional unit, such as 256MiB",
        ),
        (
            "abc",
            "is not a size; give a number with an optional unit, such as 256MiB",
        ),
        (
            "5XB",
            "has an unknown unit \"XB\"; use B, KB, MB, GB, TB, PB or EB",
        ),
    ] {
        let create = [
            "db",
            "create",
            "--name",
            "x",
            "--memory",
            value,
            "-p",
            "redis-enterprise",
            "--dry-run",
        ];
        let update = ["db", "update", "1", "--memory", value];
        let equals = format!("--memory={value}");
        let update_equals = ["db", "update", "1", equals.as_str()];
        for args in [&create[..], &update, &update_equals] {
            let run = sb.run(args);
            run.code(2);
            let lines: Vec<&str> = run.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{args:?}: one line\n{}", run.stderr);
            assert!(
                lines[0].starts_with(&format!("error: --memory {value} {says}")),
                "{args:?}: {}",
                lines[0]
            );
        }
        let mut json = create.to_vec();
        json.push("--json");
        let error = json_error(&sb.run(&json));
        assert_eq!(error["exit_code"], 2);
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("--memory {value} {says}")),
            "{message}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn usage_errors_are_json_under_json() {
    let sb = Sandbox::new();
    for args in [
        &["db", "get", "--json"][..],
        &["db", "frob", "--json"],
        &["-o", "json", "db", "get"],
    ] {
        let run = sb.run(args);
        run.code(2);
        let error = json_error(&run);
        assert_eq!(error["kind"], "usage", "{args:?}");
        assert_eq!(error["exit_code"], 2);
    }
}

#[test]
fn a_db_subcommand_without_db_is_suggested() {
    Sandbox::new()
        .run("get 1")
        .code(2)
        .stderr_has("did you mean `dbctl db get 1`");
}

#[test]
fn conflicting_output_flags_are_refused() {
    let sb = Sandbox::new();
    sb.run("--demo -o yaml --json db list").code(2);
    sb.run(&[
        "--demo", "db", "url", UPSTASH_ID, "-p", "upstash", "--format", "env", "-o", "json",
    ])
    .code(2)
    .stderr_has("--format env");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_asked_for_and_not_configured_is_exit_3_also_when_others_are() {
    let case = cases::redis_cloud::case();
    let server = case.list_server().await;
    let run = case
        .sandbox(&server)
        .run("db list -p upstash -p redis-cloud --json");
    run.code(3);
    let error = json_error(&run);
    assert_eq!(error["provider"], "upstash");
    assert_eq!(error["profile"], "upstash");
}

#[tokio::test(flavor = "multi_thread")]
async fn already_exists_is_a_conflict() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/v2/redis/database",
        ResponseTemplate::new(400).set_body_string("database already exists"),
    )
    .await;
    cases::upstash::case()
        .sandbox(&server)
        .run("db create --name dup --region us-east-1 -p upstash")
        .code(7)
        .stderr_has("already exists");
}

#[test]
fn errors_name_their_provider_and_profile() {
    let sb = Sandbox::new();
    // A wait that times out (the demo's staging-queue stays pending).
    let run = sb.run("--demo db wait 2145877/51230002 -p redis-cloud --status active --timeout 1 --interval 0.2 --json");
    run.code(11);
    let error = json_error(&run);
    assert_eq!(
        (error["provider"].clone(), error["profile"].clone()),
        ("redis-cloud".into(), "redis-cloud".into())
    );
    // A bare Redis Cloud id, refused (invalid request) before any request.
    let run = sb.run("--demo db get 13008822 -p redis-cloud --json");
    run.code(6);
    let error = json_error(&run);
    assert_eq!(
        (error["provider"].clone(), error["profile"].clone()),
        ("redis-cloud".into(), "redis-cloud".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_names_every_failing_profile() {
    let sb = Sandbox::new();
    sb.config(
        "[profiles.a]\nprovider = \"upstash\"\nemail = \"e\"\napi_key = \"k1\"\nurl = \"http://127.0.0.1:9/v2\"\n\n[profiles.b]\nprovider = \"upstash\"\nemail = \"e\"\napi_key = \"k2\"\nurl = \"http://127.0.0.1:9/v2\"\n",
    );
    let run = sb.run("db list --strict --json --retries 1");
    run.code(10);
    let message = json_error(&run)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("a (upstash)") && message.contains("b (upstash)"),
        "{message}"
    );
}

#[test]
fn network_failures_say_what_to_check() {
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", "e")
        .env("UPSTASH_API_KEY", "k")
        .env("UPSTASH_API_URL", "http://127.0.0.1:9/v2");
    sb.run("db list --retries 1")
        .code(10)
        .stderr_has("UPSTASH_API_URL");
}

#[tokio::test(flavor = "multi_thread")]
async fn https_to_a_plain_http_server_says_so() {
    let server = MockServer::start().await;
    let url = server.uri().replace("http://", "https://");
    Sandbox::new()
        .env("UPSTASH_EMAIL", "e")
        .env("UPSTASH_API_KEY", "k")
        .env("UPSTASH_API_URL", format!("{url}/v2"))
        .run("db list")
        .code(10)
        .stderr_has("plain HTTP")
        .stderr_has("UPSTASH_API_URL");
}

#[test]
fn an_unknown_id_points_at_db_list() {
    let run = Sandbox::new().run("--demo db get no-such-cache -p upstash");
    run.code(5).stderr_has("dbctl db list -p upstash");
    assert!(!run.stderr.contains("(not found)"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_subscription_is_named_as_such() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string(
            r#"{"error":{"type":"SUBSCRIPTION_NOT_FOUND","status":"404 NOT_FOUND","description":"Subscription 12345 was not found"}}"#,
        ))
        .mount(&server)
        .await;
    cases::redis_cloud::case()
        .sandbox(&server)
        .run("db get 12345/67890 -p redis-cloud")
        .code(5)
        .stderr_has("no Pro or Essentials subscription 12345");
}

#[test]
fn sort_takes_a_direction_and_puts_missing_values_last() {
    let run = Sandbox::new().run("--demo db list --sort memory:desc --json");
    run.code(0);
    let sizes: Vec<Option<u64>> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["memory_limit_bytes"].as_u64())
        .collect();
    let known: Vec<u64> = sizes.iter().flatten().copied().collect();
    assert!(known.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let first_missing = sizes.iter().position(Option::is_none).unwrap();
    assert!(
        sizes[first_missing..].iter().all(Option::is_none),
        "{sizes:?}"
    );
    Sandbox::new()
        .run("--demo db list --sort memory:sideways")
        .code(2);
}

#[test]
fn write_results_say_what_happened_and_what_to_run_next() {
    let sb = Sandbox::new();
    let deleted = sb.run(&[
        "--demo", "db", "delete", UPSTASH_ID, "-p", "upstash", "--yes", "--json",
    ]);
    deleted.code(0).stderr_has("not kept");
    assert_eq!(deleted.json()["result"], "deleted");
    sb.run("--demo db update 2145833/13008822 -p redis-cloud --memory 1GB")
        .code(0)
        .stderr_has("dbctl task wait")
        .stderr_has("-p redis-cloud");
    sb.run(&[
        "--demo",
        "db",
        "reset-password",
        UPSTASH_ID,
        "-p",
        "upstash",
        "--yes",
    ])
    .code(0)
    .stderr_has("--show-secrets");
}

#[test]
fn url_env_lines_fit_the_database_kind() {
    let sb = Sandbox::new();
    let run = sb.run("--demo db url 'Food DB' -p cosmos --format env");
    run.code(0);
    assert_eq!(run.stdout.lines().count(), 1);
    assert!(
        run.stdout
            .starts_with("COSMOS_CONNECTION_STRING=AccountEndpoint="),
        "{}",
        run.stdout
    );
    // The JSON names the same user as the URL.
    let run = sb.run("--demo db url 1 -p redis-enterprise -o json");
    run.code(0);
    let url = run.json();
    let user = url["user"].as_str().unwrap_or_default().to_string();
    assert!(
        url["url"].as_str().unwrap().contains(&format!("//{user}:")),
        "{url}"
    );
}

#[test]
fn demo_output_is_the_same_on_every_run() {
    let sb = Sandbox::new();
    let first = sb.run("--demo db list --json");
    let second = sb.run("--demo db list --json");
    first.code(0);
    assert_eq!(first.stdout, second.stdout);
    assert!(!first.stdout.contains("127.0.0.1"), "{}", first.stdout);
}

#[test]
fn a_busy_emulator_port_says_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    Sandbox::new()
        .run(&["emulator", "serve", "--port", &port])
        .code(2)
        .stderr_has("--port 0");
}

#[test]
fn under_json_every_stderr_line_is_json() {
    let sb = Sandbox::new();
    let run = sb.run("--demo --insecure db get nope -p upstash --json");
    run.code(5);
    assert!(run.stdout.is_empty());
    for line in run.stderr.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
    assert!(run.stderr.contains("\"warning\""), "{}", run.stderr);
    let missing = sb.run("--json db");
    missing.code(2);
    assert_eq!(json_error(&missing)["kind"], "usage");
}
