//! One inventory across profiles: concurrency, order, partial failures, filters, `db wait`,
//! `providers` and `config`.

use crate::cases::upstash;
use crate::common::{fixture_reply, mock, reply, when, Sandbox};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn upstash_server(body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    mock(&server, "GET", "/v2/redis/databases", reply(200, body)).await;
    server
}

fn db(id: &str, name: &str, state: &str, region: &str, memory: u64) -> serde_json::Value {
    json!({"database_id": id, "database_name": name, "state": state, "primary_region": region,
           "db_memory_threshold": memory, "endpoint": format!("{id}-slug"), "port": 6379, "tls": true,
           "creation_time": 1_700_000_000 + memory / 1024, "password": format!("pw-{id}")})
}

fn two_accounts(a: &MockServer, b_url: &str, c_url: &str) -> String {
    format!(
        r#"
[profiles.team-a]
provider = "upstash"
email = "a@example.com"
api_key_env = "TEAM_A_KEY"
url = "{}/v2"

[profiles.team-b]
provider = "upstash"
email = "b@example.com"
api_key = "inline-key-b"
url = "{b_url}/v2"

[profiles.team-c]
provider = "upstash"
email = "c@example.com"
api_key_env = "TEAM_C_KEY"
url = "{c_url}/v2"
"#,
        a.uri()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn one_profile_down_one_failing_gives_exit_12_with_the_rest_in_order() {
    let a = upstash_server(json!([
        db("a2", "zeta", "active", "us-east-1", 1 << 30),
        db("a1", "alpha", "active", "us-east-1", 1 << 28)
    ]))
    .await;
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500).set_body_string("<html><title>oops</title></html>"),
        )
        .mount(&broken)
        .await;
    // A port nothing listens on: connection refused.
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        format!("http://{addr}")
    };
    let mut sb = Sandbox::new()
        .env("TEAM_A_KEY", "key-a")
        .env("TEAM_C_KEY", "key-c");
    sb.config(&two_accounts(&a, &broken.uri(), &refused));
    sb.set_env("UPSTASH_EMAIL", "env@example.com");
    sb.set_env("UPSTASH_API_KEY", "env-key");
    sb.set_env("UPSTASH_API_URL", format!("{}/v2", a.uri()));

    let run = sb.run("db list --json --retries 1");
    run.code(12)
        .no_secrets(&["inline-key-b", "key-a", "key-c", "env-key", "pw-a1"]);
    let names: Vec<(String, String)> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["profile"].as_str().unwrap().to_string(),
                d["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("team-a", "alpha"),
            ("team-a", "zeta"),
            ("upstash", "alpha"),
            ("upstash", "zeta")
        ]
        .map(|(p, n)| (p.to_string(), n.to_string()))
    );
    let line: serde_json::Value =
        serde_json::from_str(run.stderr.trim()).expect("one JSON error line");
    assert_eq!(line["error"]["exit_code"], 12);
    let message = line["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("team-b") && message.contains("team-c"),
        "{message}"
    );

    let table = sb.run("db list --retries 1");
    table
        .code(12)
        .stderr_has("profile team-b")
        .stderr_has("profile team-c")
        .stderr_has("cannot connect");
    assert_eq!(table.stdout.lines().count(), 5, "{}", table.stdout);

    // --strict: nothing on stdout, the first failure's own code.
    let strict = sb.run("db list --strict --retries 1 --json");
    assert!(strict.stdout.is_empty());
    assert!(matches!(strict.code, 8 | 10), "{}", strict.code);

    // Filtering to the healthy profiles is a clean success.
    sb.run("db list --profile team-a --profile upstash").code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn all_failing_exits_with_the_first_failures_code() {
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&broken)
        .await;
    let sb = upstash::case().sandbox(&broken);
    sb.run("db list").code(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_and_sorting() {
    let a = upstash_server(json!([
        db("1", "prod-cache", "active", "us-east-1", 3 << 30),
        db("2", "prod-queue", "suspended", "eu-west-1", 1 << 30),
        db("3", "dev-cache", "active", "eu-west-1", 2 << 30),
    ]))
    .await;
    let sb = upstash::case().sandbox(&a);
    let names = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["db", "list", "--json"];
        full.extend_from_slice(args);
        let run = sb.run(&full);
        run.code(0);
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["--name", "prod-*"]), ["prod-cache", "prod-queue"]);
    assert_eq!(names(&["--status", "suspended"]), ["prod-queue"]);
    assert_eq!(
        names(&["--region", "eu-west-1"]),
        ["dev-cache", "prod-queue"]
    );
    assert_eq!(
        names(&["--sort", "memory"]),
        ["prod-queue", "dev-cache", "prod-cache"]
    );
    assert_eq!(
        names(&["--name", "*cache", "--region", "us-east-1"]),
        ["prod-cache"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn db_wait_reaches_the_status_after_polls() {
    let server = MockServer::start().await;
    let pending = db("w1", "warming", "pending", "us-east-1", 1 << 28);
    let active = db("w1", "warming", "active", "us-east-1", 1 << 28);
    when("GET", "/v2/redis/database/w1")
        .respond_with(reply(200, pending))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mock(&server, "GET", "/v2/redis/database/w1", reply(200, active)).await;
    let sb = upstash::case().sandbox(&server);
    let run = sb.run("db wait w1 --status active --interval 0.05 --json");
    run.code(0).no_secrets(&["pw-w1"]);
    assert_eq!(run.json()["status"], "active");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn db_wait_times_out_with_the_last_status_and_handles_missing_and_deleted() {
    let server = MockServer::start().await;
    mock(
        &server,
        "GET",
        "/v2/redis/database/stuck",
        reply(200, db("stuck", "stuck", "suspended", "us-east-1", 1)),
    )
    .await;
    mock(
        &server,
        "GET",
        "/v2/redis/database/gone",
        fixture_reply(404, "upstash", "not-found.json"),
    )
    .await;
    let sb = upstash::case().sandbox(&server);
    let started = std::time::Instant::now();
    sb.run("db wait stuck --status active --timeout 0.5 --interval 0.1")
        .code(11)
        .stderr_has("last status: suspended");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    sb.run("db wait gone --status active --interval 0.1")
        .code(5);
    sb.run("db wait gone --status deleted --interval 0.1")
        .code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn db_wait_does_not_outlast_its_timeout_against_a_hanging_provider() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            reply(200, db("slow", "slow", "pending", "x", 1))
                .set_delay(std::time::Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let sb = upstash::case().sandbox(&server);
    let started = std::time::Instant::now();
    sb.run("db wait slow --status active --timeout 1")
        .code(11)
        .stderr_has("gave up after 1s");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_all_waits_for_every_database() {
    let server = MockServer::start().await;
    when("GET", "/v2/redis/databases")
        .respond_with(reply(
            200,
            json!([
                db("1", "a", "active", "x", 1),
                db("2", "b", "pending", "x", 1)
            ]),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mock(
        &server,
        "GET",
        "/v2/redis/databases",
        reply(
            200,
            json!([
                db("1", "a", "active", "x", 1),
                db("2", "b", "active", "x", 1)
            ]),
        ),
    )
    .await;
    let sb = upstash::case().sandbox(&server);
    let run = sb.run("db wait --all --status active --interval 0.05 --json");
    run.code(0);
    assert_eq!(run.json().as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn single_database_commands_need_a_choice_when_several_profiles_exist() {
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", "x@example.com")
        .env("UPSTASH_API_KEY", "k")
        .env("TEAM_A_KEY", "ka");
    sb.config("[profiles.team-a]\nprovider = \"upstash\"\nemail = \"a@example.com\"\napi_key_env = \"TEAM_A_KEY\"\n");
    // A database is looked up in every profile; what takes none needs the choice.
    sb.run("db create --name x")
        .code(2)
        .stderr_has("team-a")
        .stderr_has("--profile");
    sb.run("db get x --profile nope")
        .code(3)
        .stderr_has("no profile named 'nope'");
}

#[tokio::test(flavor = "multi_thread")]
async fn providers_and_config_never_print_secrets() {
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", "x@example.com")
        .env("UPSTASH_API_KEY", "env-secret-key")
        .env("TEAM_A_KEY", "file-secret-key");
    let path = sb.config(
        "[profiles.team-a]\nprovider = \"upstash\"\nemail = \"a@example.com\"\napi_key_env = \"TEAM_A_KEY\"\n\n[profiles.inline]\nprovider = \"upstash\"\nemail = \"i@example.com\"\napi_key = \"inline-secret-key\"\n",
    );
    let secrets = ["env-secret-key", "file-secret-key", "inline-secret-key"];
    let providers = sb.run("providers");
    providers
        .code(0)
        .no_secrets(&secrets)
        .stdout_has("team-a")
        .stdout_has("environment")
        .stdout_has("not configured");
    let json = sb.run("providers --json");
    json.code(0).no_secrets(&secrets);
    let rows = json.json();
    let upstash: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["provider"] == "upstash")
        .collect();
    assert_eq!(upstash.len(), 3);
    assert!(upstash.iter().all(|r| r["status"] == "configured"));
    let show = sb.run("config show --json");
    show.code(0).no_secrets(&secrets);
    assert_eq!(show.json()["profiles"]["inline"]["api_key"], "***");
    assert_eq!(
        show.json()["profiles"]["team-a"]["api_key_env"],
        "TEAM_A_KEY"
    );
    sb.run("config path")
        .code(0)
        .stdout_has(path.to_str().unwrap());
    sb.run("config validate").code(0).no_secrets(&secrets);
}

#[tokio::test(flavor = "multi_thread")]
async fn config_validate_reports_every_problem_at_once() {
    let sb = Sandbox::new();
    sb.config(
        "[profiles.one]\nprovider = \"upstash\"\nemail = \"a@example.com\"\napi_key_env = \"MISSING_ONE\"\n\n[profiles.two]\nprovider = \"upstash\"\napi_key = \"k\"\n",
    );
    let run = sb.run("config validate");
    run.code(3)
        .stdout_has("MISSING_ONE")
        .stdout_has("'email' in profile 'two'")
        .stderr_has("2 problem");
    // The same broken profile fails only itself in a list: exit 3 when selected alone.
    sb.run("db list --profile one")
        .code(3)
        .stderr_has("MISSING_ONE");
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_config_files_are_exit_3_naming_the_line() {
    let sb = Sandbox::new();
    sb.config(
        "[profiles.ok]\nprovider = \"upstash\"\n\n[profiles.weird]\nprovider = \"mongodb\"\n",
    );
    sb.run("db list")
        .code(3)
        .stderr_has("line 5")
        .stderr_has("unknown provider 'mongodb'");
    sb.config("[profiles.x\nprovider = ");
    sb.run("db list").code(3).stderr_has("not valid TOML");
    sb.config("[profiles.upstash]\nprovider = \"upstash\"\nemail = \"a\"\napi_key = \"b\"\n");
    let dup = Sandbox::new()
        .env("UPSTASH_EMAIL", "x")
        .env("UPSTASH_API_KEY", "y");
    dup.config("[profiles.upstash]\nprovider = \"upstash\"\nemail = \"a\"\napi_key = \"b\"\n");
    dup.run("db list").code(3).stderr_has("same name");
    Sandbox::new()
        .run("--config /nonexistent/dbctl.toml db list")
        .code(3)
        .stderr_has("does not exist");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readable_config_with_secrets_warns() {
    let sb = Sandbox::new();
    let path = sb.config("[profiles.inline]\nprovider = \"upstash\"\nemail = \"i@example.com\"\napi_key = \"inline-secret-key\"\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    sb.run("config show")
        .code(0)
        .stderr_has("chmod 600")
        .no_secrets(&["inline-secret-key"]);
}
