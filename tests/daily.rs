//! What a daily user trips on (issue 25): progress where people look (a CI log, a terminal
//! with several waits), `backup create` answering the backup, `task list`, the delete prompt
//! naming the database, config problems at their own line, `insecure` as a boolean, Redis
//! Cloud usage from what its list gives, and `check`'s rules from one table.
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixture, requests, Sandbox, Served};
use crate::watch::{on_terminal, typed_on_terminal};

#[test]
fn a_wait_off_a_terminal_says_where_it_is_every_ten_seconds() {
    let run = Sandbox::new().run(&[
        "--demo",
        "db",
        "wait",
        "sessions-cache",
        "--status",
        "suspended",
        "--timeout",
        "11",
        "--interval",
        "1",
    ]);
    run.code(11).stderr_has(
        "waiting for upstash database a1b2c3d4-0000-4000-8000-000000000001 to be suspended: active (10s)",
    );
    assert_eq!(
        run.stderr.matches(": active (").count(),
        1,
        "{}",
        run.stderr
    );
}

/// Three changes followed at once on a narrow terminal: when `apply` ends, no spinner line is
/// left and no line it printed was drawn over.
#[test]
fn waits_at_once_leave_no_spinner_behind() {
    let sb = Sandbox::new();
    let spec = sb.home.path().join("fleet.toml");
    std::fs::write(
        &spec,
        "profiles = []\n\n\
         [[database]]\nprofile = \"redis-enterprise\"\nname = \"new-one\"\nmemory = \"1GiB\"\n\n\
         [[database]]\nprofile = \"redis-enterprise\"\nname = \"new-two\"\nmemory = \"1GiB\"\n\n\
         [[database]]\nprofile = \"redis-cloud\"\nname = \"new-three\"\nsubscription = \"2145833\"\nmemory = \"1GiB\"\n",
    )
    .unwrap();
    let out = sb.home.path().join("out.txt");
    let spec = spec.display().to_string();
    let (shown, raw) = on_terminal(
        &sb,
        (50, 40),
        &["--demo", "apply", "-f", &spec, "--yes"],
        ("{}", &format!("> '{}'", out.display())),
    );
    assert!(raw.contains("EXIT=0"), "{raw:?}");
    assert!(raw.contains("waiting for"), "the spinners ran: {raw:?}");
    let text = shown.join("\n");
    assert!(!text.contains("waiting for"), "{text}");
    for name in ["new-one", "new-two", "new-three"] {
        let line = text
            .lines()
            .position(|l| l.starts_with("created ") && l.contains(name))
            .unwrap_or_else(|| panic!("no line says {name} was created:\n{text}"));
        // The rest of the sentence wraps onto the next row, whole.
        assert!(
            format!("{}{}", shown[line], shown[line + 1]).ends_with("in profile redis-enterprise")
                || format!("{}{}", shown[line], shown[line + 1])
                    .ends_with("in profile redis-cloud"),
            "{text}"
        );
    }
}

#[test]
fn backup_create_answers_the_backup_that_restore_takes() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let run = sb.run(&["backup", "create", "sessions-cache", "--json"]);
    run.code(0);
    let backup = run.json();
    let id = backup["id"].as_str().unwrap();
    assert!(id.starts_with("bk-"), "{backup}");
    assert_eq!(
        backup["database_id"],
        "a1b2c3d4-0000-4000-8000-000000000001"
    );
    assert!(backup["name"].as_str().unwrap().starts_with("dbctl-"));
    assert!(sb
        .run(&["backup", "list", "sessions-cache", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["id"] == id));
    sb.run(&["backup", "restore", "sessions-cache", id, "--yes"])
        .code(0);
    // Redis Cloud keeps no backup records: its task is the answer.
    let task = sb.run(&["backup", "create", "search-index", "--json"]);
    task.code(0);
    assert_eq!(task.json()["provider"], "redis-cloud");
    assert!(task.json()["id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn task_list_reads_cloud_tasks_and_cluster_actions() {
    let cloud = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/tasks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"taskId": "t-1", "commandType": "createDatabase", "status": "processing-completed",
             "response": {"resourceId": 51}},
            {"taskId": "t-2", "status": "processing-error",
             "response": {"error": {"description": "Subscription quota exceeded"}}},
        ])))
        .mount(&cloud)
        .await;
    let cluster = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "actions": [{"action_uid": "a-1", "name": "retry_bdb", "status": "completed", "progress": "100"}],
            "state-machines": [{"action_uid": "s-1", "name": "SMCreateBDB", "object_name": "bdb:4",
                                "status": "running", "progress": 40}],
        })))
        .mount(&cluster)
        .await;
    let mut sb = crate::cases::redis_cloud::case().sandbox(&cloud);
    for (key, value) in (crate::cases::redis_enterprise::case().env)(&cluster.uri()) {
        sb.set_env(key, value);
    }
    let run = sb.run(&["task", "list", "--json"]);
    run.code(0);
    let tasks = run.json();
    let by_id = |id: &str| {
        tasks
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from {tasks}"))
            .clone()
    };
    assert_eq!(by_id("t-1")["status"], "completed");
    assert_eq!(by_id("t-2")["status"], "failed");
    assert_eq!(by_id("t-2")["error"], "Subscription quota exceeded");
    assert_eq!(by_id("a-1")["provider"], "redis-enterprise");
    assert_eq!(by_id("s-1")["status"], "running");
    assert_eq!(by_id("s-1")["resource_id"], "4");
    // Providers without tasks refuse before any request.
    let served = Served::start(&[]);
    for provider in ["upstash", "cosmos"] {
        served
            .sandbox()
            .run(&["task", "list", "-p", provider])
            .code(6)
            .stderr_has(&format!("not supported by {provider}"));
    }
}

#[test]
fn task_list_shows_a_change_the_cluster_is_making() {
    let served = Served::start(&[]);
    let sb = served
        .sandbox_for("REDIS_ENTERPRISE_")
        .env("DUMP_URL", "https://example.com/dump.rdb");
    let import = sb.run(&[
        "db",
        "import",
        "session-store",
        "--source-type",
        "http",
        "--uri-env",
        "DUMP_URL",
        "--yes",
        "--json",
    ]);
    import.code(0);
    let action = import.json()["id"].as_str().unwrap().to_string();
    let run = sb.run(&["task", "list", "--json"]);
    run.code(0);
    assert!(
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == action.as_str()),
        "{}",
        run.stdout
    );
}

#[test]
fn the_delete_prompt_names_the_database_whole() {
    let sb = Sandbox::new();
    let (shown, raw) = typed_on_terminal(
        &sb,
        (200, 20),
        &["--demo", "db", "delete", "session-store"],
        ("{}", ""),
        "session-store\n",
    );
    let text = shown.join("\n");
    assert!(
        text.contains("This will delete redis-enterprise database \"session-store\" (profile redis-enterprise, id 1). Type the id to confirm:"),
        "{text}"
    );
    // The id, not the name, confirms.
    assert!(text.contains("confirmation did not match"), "{text}");
    assert!(raw.contains("EXIT=6"), "{raw:?}");
}

#[test]
fn config_problems_are_at_their_own_line_and_insecure_is_a_boolean() {
    let sb = Sandbox::new();
    sb.config(
        "[profiles.onprem]\nprovider = \"redis-enterprise\"\nurl = \"https://cluster:9443\"\n\
         user = \"admin\"\n\npassword_env = \"UNSET_ONPREM_PASSWORD\"\ninsecure = \"yes\"\n",
    );
    let run = sb.run(&["config", "validate", "--json"]);
    run.code(3);
    let lines: Vec<(Value, String)> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].clone(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                json!(7),
                "'insecure' in profile 'onprem' must be true or false (unquoted), not the string \"yes\" (line 7)".to_string()
            ),
            (
                json!(6),
                "password_env in profile 'onprem' names UNSET_ONPREM_PASSWORD, which is not set (line 6)".to_string()
            ),
        ]
    );
    // Every command refuses the file, naming the key's line.
    sb.run(&["db", "list"])
        .code(3)
        .stderr_has("not the string \"yes\" (line 7)");
    // The variable is text: true or 1 (false or 0), nothing else.
    let env = |value: &str| {
        Sandbox::new()
            .env("REDIS_ENTERPRISE_URL", "https://127.0.0.1:1")
            .env("REDIS_ENTERPRISE_USER", "u")
            .env("REDIS_ENTERPRISE_PASSWORD", "p")
            .env("REDIS_ENTERPRISE_INSECURE", value)
            .run(&["config", "validate"])
    };
    env("yes").code(3).stdout_has(
        "REDIS_ENTERPRISE_INSECURE must be true or 1 (false or 0 for off), not \"yes\"",
    );
    for accepted in ["true", "1", "false", "0", "TRUE"] {
        env(accepted).code(0);
    }
}

/// A Redis Cloud list record as the API sends it: no password in `security`.
fn listed(id: u64, name: &str, used_mb: f64) -> Value {
    json!({"databaseId": id, "name": name, "status": "active", "memoryUsedInMb": used_mb,
           "datasetSizeInGb": 1, "publicEndpoint": format!("redis-{id}.example.com:12000"),
           "security": {"enableTls": true}})
}

async fn cloud_without_passwords() -> MockServer {
    let server = MockServer::start().await;
    let answers = [
        (
            "/v1/subscriptions",
            json!({"subscriptions": [{"id": 7, "numberOfDatabases": 2}]}),
        ),
        ("/v1/fixed/subscriptions", json!({"subscriptions": []})),
        (
            "/v1/subscriptions/7/databases",
            json!({"subscription": [{"subscriptionId": 7, "databases": [listed(1, "one", 256.0), listed(2, "two", 512.0)]}]}),
        ),
    ];
    for (route, body) in answers {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    for id in [1, 2] {
        let mut record = listed(id, &format!("db{id}"), 256.0);
        // A data plane nobody answers on: the read is what is counted here.
        record["publicEndpoint"] = json!("127.0.0.1:9");
        record["security"]["password"] = json!("read-password");
        Mock::given(method("GET"))
            .and(path(format!("/v1/subscriptions/7/databases/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(record))
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_cloud_usage_reads_no_database_unless_live() {
    let server = cloud_without_passwords().await;
    let sb = crate::cases::redis_cloud::case().sandbox(&server);
    let run = sb.run(&["db", "stats", "--json"]);
    run.code(0).stderr_has("--live reads each database");
    let usages = run.json();
    assert_eq!(usages[0]["memory_used_bytes"], 256 * 1024 * 1024);
    assert_eq!(usages[1]["memory_used_bytes"], 512 * 1024 * 1024);
    let reads = |sent: &[wiremock::Request]| {
        sent.iter()
            .filter(|r| r.url.path().starts_with("/v1/subscriptions/7/databases/"))
            .count()
    };
    assert_eq!(reads(&requests(&server).await), 0, "no read per database");
    let live = sb.run(&["db", "stats", "--live", "--json", "--connect-timeout", "1"]);
    live.code(0).stderr_has(
        "--live: reading 2 redis-cloud database records for their passwords, at most 400 a minute (about 1s)",
    );
    assert_eq!(
        reads(&requests(&server).await),
        2,
        "one read each with --live"
    );
    assert!(!live.stderr.contains("read-password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn active_active_usage_is_the_fullest_region() {
    let server = MockServer::start().await;
    for (route, name) in [
        ("/v1/subscriptions", "subscriptions-active-active.json"),
        (
            "/v1/subscriptions/2190412/databases",
            "databases-2190412.json",
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("redis-cloud", name), "application/json"),
            )
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/fixed/subscriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"subscriptions": []})))
        .mount(&server)
        .await;
    let sb = crate::cases::redis_cloud::case().sandbox(&server);
    let run = sb.run(&["db", "list", "--usage", "--json", "--connect-timeout", "1"]);
    let rows = run.json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "2190412/7001")
        .unwrap()
        .clone();
    // Regions use 29.9949, 29.9788 and 30.0012 MB: the record shows the largest.
    assert_eq!(row["memory_used_bytes"], 31458538, "{row}");
}

#[test]
fn check_rules_come_from_one_table() {
    let help = Sandbox::new().run(&["check", "--help"]);
    help.code(0);
    for rule in [
        "status",
        "tls",
        "memory",
        "backups",
        "persistence",
        "reachable",
    ] {
        help.stdout_has(rule);
    }
    // By default every rule that needs no --ping; reachable only with it.
    let run = Sandbox::new().run(&["--demo", "check", "--json", "--fail-on", "error"]);
    let rules: std::collections::BTreeSet<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(!rules.contains("reachable"), "{rules:?}");
    assert!(rules.contains("status"), "{rules:?}");
}
