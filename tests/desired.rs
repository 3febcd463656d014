//! Desired state: `export`, `plan` and `apply` against `dbctl emulator serve` (all four
//! providers, state kept across commands) and wiremock (failures, refusals, duplicates).
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixture, requests, requests_by_method, Run, Sandbox, Served};

/// Words that must never be printed: the emulator's credentials and its databases' passwords.
const SECRET_PARTS: &[&str] = &[
    "demo-upstash-api-key",
    "demo-redis-cloud-user-secret-key",
    "demo-re-cluster-password",
    "demo-re-redis-pass",
    "demo-re-admin-pass",
    "demo-password-",
    "demo-rest-token",
    "demo-rc-password",
];

pub(crate) fn clean(run: &Run) -> &Run {
    run.no_secrets(SECRET_PARTS)
}

/// Writes `text` as a spec file in the sandbox; its path.
pub(crate) fn spec(sb: &Sandbox, name: &str, text: &str) -> String {
    let file = sb.home.path().join(name);
    std::fs::write(&file, text).unwrap();
    file.to_str().unwrap().to_string()
}

/// The exported fleet with `edit` applied to its text.
pub(crate) fn exported(sb: &Sandbox, edit: impl Fn(String) -> String) -> String {
    let run = sb.run(&["export"]);
    clean(run.code(0));
    assert!(run.stdout.starts_with("# dbctl export of profiles "));
    edit(run.stdout.clone())
}

/// Replaces one database's block line `from` with `to` (the block starts at its name).
pub(crate) fn edit_block(text: &str, name: &str, from: &str, to: &str) -> String {
    let start = text
        .find(&format!("name = \"{name}\""))
        .unwrap_or_else(|| panic!("{name} not exported"));
    let end = text[start..]
        .find("[[database]]")
        .map_or(text.len(), |i| start + i);
    let block = text[start..end].replacen(from, to, 1);
    assert_ne!(block, text[start..end], "{from} not in {name}'s block");
    format!("{}{block}{}", &text[..start], &text[end..])
}

/// The spec text without the `[[database]]` of `profile`/`name`.
pub(crate) fn without(text: &str, profile: &str, name: &str) -> String {
    let head = format!("[[database]]\nprofile = \"{profile}\"\nname = \"{name}\"\n");
    let start = text
        .find(&head)
        .unwrap_or_else(|| panic!("{profile}/{name} not in the spec"));
    let end = text[start + 1..]
        .find("[[database]]")
        .map_or(text.len(), |i| start + 1 + i);
    format!("{}{}", &text[..start], &text[end..])
}

const NEW_DATABASES: &str = r#"
[[database]]
profile = "redis-enterprise"
name = "orders"
memory = "1GiB"
tls = true

[database.settings]
shards_count = 2

[[database]]
profile = "upstash"
name = "new-cache"
region = "eu-central-1"

[[database]]
profile = "redis-cloud"
name = "new-rc"
subscription = "2145833"
memory = "1GiB"

[[database]]
profile = "cosmos"
name = "orders"
throughput = 400
"#;

/// The served seed with: feature-flags grown and TLS on, staging-cache grown, sessions
/// (cosmos) dropped from the spec, and one new database per provider.
fn changed_fleet(sb: &Sandbox) -> String {
    exported(sb, |text| {
        let text = edit_block(
            &text,
            "feature-flags",
            "memory = \"256MiB\"",
            "memory = \"512MiB\"",
        );
        let text = edit_block(&text, "feature-flags", "tls = false", "tls = true");
        let text = edit_block(
            &text,
            "staging-cache",
            "memory = \"1GiB\"",
            "memory = \"2GiB\"",
        );
        format!("{}{NEW_DATABASES}", without(&text, "cosmos", "sessions"))
    })
}

/// Every (profile, name) `db list` shows.
pub(crate) fn names_of(sb: &Sandbox) -> std::collections::BTreeSet<(String, String)> {
    let list = sb.run(&["db", "list", "--json"]);
    list.code(0)
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
        .collect()
}

pub(crate) fn actions(plan: &Value) -> Vec<(String, String, String)> {
    plan.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                a["profile"].as_str().unwrap().to_string(),
                a["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn find<'a>(plan: &'a Value, action: &str, profile: &str, name: &str) -> &'a Value {
    plan.as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == action && a["profile"] == profile && a["name"] == name)
        .unwrap_or_else(|| panic!("no {action} {profile}/{name} in {plan:#}"))
}

#[test]
fn plan_shows_each_kind_of_difference_and_exits_13() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let mut text = changed_fleet(&sb);
    text = edit_block(
        &text,
        "rate-limiter\"\nprovider = \"upstash",
        "region = \"eu-west-1\"",
        "region = \"us-west-2\"",
    );
    let file = spec(&sb, "fleet.toml", &text);

    let run = sb.run(&["plan", "-f", &file, "--json"]);
    clean(run.code(13));
    let plan = run.json();
    assert_eq!(plan.as_array().unwrap().len(), 8, "{plan:#}");
    let update = find(&plan, "update", "redis-enterprise", "feature-flags");
    assert_eq!(update["id"], "3");
    assert_eq!(
        update["changes"],
        json!([{"field": "memory", "from": "256MiB", "to": "512MiB"},
               {"field": "tls", "from": false, "to": true}])
    );
    assert_eq!(
        find(&plan, "update", "redis-cloud", "staging-cache")["changes"],
        json!([{"field": "memory", "from": "1GiB", "to": "2GiB"}])
    );
    let create = find(&plan, "create", "redis-enterprise", "orders");
    assert_eq!(create["id"], Value::Null);
    assert_eq!(
        create["changes"],
        json!([{"field": "memory", "from": null, "to": "1GiB"},
               {"field": "tls", "from": null, "to": true},
               {"field": "settings.shards_count", "from": null, "to": 2}])
    );
    find(&plan, "create", "upstash", "new-cache");
    find(&plan, "create", "redis-cloud", "new-rc");
    find(&plan, "create", "cosmos", "orders");
    assert_eq!(
        find(&plan, "unmanaged", "cosmos", "sessions")["id"],
        "sessions"
    );
    // Upstash cannot move a database to another region: not an update.
    assert_eq!(
        find(&plan, "replace", "upstash", "rate-limiter")["changes"],
        json!([{"field": "region", "from": "eu-west-1", "to": "us-west-2"}])
    );
    assert!(!actions(&plan)
        .iter()
        .any(|(a, _, n)| a == "update" && n == "rate-limiter"));

    // The table for people: one line per action with its marker, no colour off a terminal.
    let table = sb.run(&["plan", "-f", &file]);
    clean(table.code(13));
    table
        .stdout_has("+ create")
        .stdout_has("~ update")
        .stdout_has("? unmanaged")
        .stdout_has("! cannot change in place")
        .stdout_has("memory: 256MiB → 512MiB, tls: false → true")
        .stdout_has("region: eu-west-1 → us-west-2");
    assert!(!table.stdout.contains('\u{1b}'), "colour off a terminal");
    table.stderr_has("4 to create, 2 to update, 1 that cannot change in place, 0 to delete; 1 unmanaged (not in the spec, left alone)");

    // apply refuses a plan that needs a replacement, before any change.
    // apply --dry-run shows the plan and refuses as apply would.
    let dry = sb.run(&["apply", "-f", &file, "--dry-run"]);
    clean(dry.code(6))
        .stdout_has("! cannot change in place")
        .stderr_has("cannot change in place (upstash/rate-limiter)");
    // Under --json the refusal leaves stdout empty; the plan goes to stderr.
    let dry = sb.run(&["apply", "-f", &file, "--dry-run", "--json"]);
    clean(dry.code(6)).stderr_has("! cannot change in place");
    assert_eq!(dry.stdout, "");
    let refused = sb.run(&["apply", "-f", &file, "--yes"]);
    clean(refused.code(6)).stderr_has("cannot change in place");
    let after = sb.run(&["plan", "-f", &file, "--json"]);
    assert_eq!(after.code(13).json(), plan, "nothing was changed");
}

#[test]
fn apply_creates_updates_and_waits_then_a_second_plan_is_empty() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let file = spec(&sb, "fleet.toml", &changed_fleet(&sb));

    let applied = sb.run(&[
        "apply",
        "-f",
        &file,
        "--yes",
        "--json",
        "--wait-timeout",
        "60",
    ]);
    clean(applied.code(0));
    let results = applied.json();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 6, "4 creates and 2 updates: {results:?}");
    assert!(results.iter().all(|r| r["result"] == "done"), "{results:?}");
    assert!(results.iter().all(|r| r["id"].is_string()), "{results:?}");
    // The plan went to stderr (stdout is the JSON result), with progress lines.
    applied
        .stderr_has("+ create")
        .stderr_has("creating redis-enterprise database \"orders\"")
        .stderr_has("updated redis-cloud database \"staging-cache\"")
        .stderr_has("1 unmanaged database left alone");

    // Each change reached the provider and finished.
    let list = sb.run(&["db", "list", "--json"]).json();
    let db = |profile: &str, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["profile"] == profile && d["name"] == name)
            .unwrap_or_else(|| panic!("{profile}/{name} missing"))
            .clone()
    };
    assert_eq!(
        db("redis-enterprise", "feature-flags")["memory_limit_bytes"],
        512 << 20
    );
    assert_eq!(db("redis-enterprise", "feature-flags")["tls"], true);
    assert_eq!(db("redis-enterprise", "orders")["status"], "active");
    assert_eq!(db("redis-cloud", "new-rc")["status"], "active");
    assert_eq!(
        db("redis-cloud", "staging-cache")["memory_limit_bytes"],
        2u64 << 30
    );
    assert_eq!(db("upstash", "new-cache")["region"], "eu-central-1");
    // Without --prune the unmanaged database is still there.
    assert_eq!(db("cosmos", "sessions")["id"], "sessions");

    // Only the unmanaged database is outside the spec now: information, not a difference
    // (the spec does not prune); a second apply changes nothing.
    let plan = sb.run(&["plan", "-f", &file, "--json"]);
    assert_eq!(
        actions(&plan.code(0).json()),
        vec![("unmanaged".into(), "cosmos".into(), "sessions".into())]
    );
    plan.stderr_has("nothing to change; 1 unmanaged database not in the spec, left alone");
    let again = sb.run(&["apply", "-f", &file, "--yes", "--json"]);
    assert_eq!(clean(again.code(0)).json(), json!([]));
    again.stderr_has("nothing to change");

    // --prune --yes deletes it, and only it; then nothing differs at all.
    let before = names_of(&sb);
    let pruned = sb.run(&["apply", "-f", &file, "--yes", "--prune", "--json"]);
    assert_eq!(
        clean(pruned.code(0)).json(),
        json!([{"action": "delete", "profile": "cosmos", "name": "sessions",
                "id": "sessions", "result": "done", "error": null}])
    );
    let gone: Vec<_> = before.difference(&names_of(&sb)).cloned().collect();
    assert_eq!(gone, vec![("cosmos".to_string(), "sessions".to_string())]);
    sb.run(&["plan", "-f", &file])
        .code(0)
        .stdout_has("No differences");
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let file = spec(&sb, "fleet.toml", &changed_fleet(&sb));
    let before = sb.run(&["plan", "-f", &file, "--json"]).json();
    let dry = sb.run(&["apply", "-f", &file, "--dry-run", "--json"]);
    assert_eq!(clean(dry.code(0)).json(), before);
    assert_eq!(sb.run(&["plan", "-f", &file, "--json"]).json(), before);
}

#[test]
fn bad_spec_files_are_exit_3_with_line_and_column() {
    let served = Served::start(&["--seed", "empty"]);
    let sb = served.sandbox();
    let cases = [
        ("[[database]]\nprofile = \"upstash\nname = \"a\"\n", "line 2"),
        (
            "[[database]]\nprofile = \"upstash\"\nname = \"a\"\nmemroy = \"1GB\"\n",
            "line 4, column 1",
        ),
        (
            "[[database]]\nprofile = \"upstash\"\nname = \"a\"\nmemory = \"12XB\"\n",
            "line 4, column 10",
        ),
        (
            "\n[[database]]\nprofile = \"prod\"\nname = \"a\"\n",
            "line 3, column 11",
        ),
        (
            "[[database]]\nprofile = \"upstash\"\nname = \"a\"\n\n[[database]]\nprofile = \"upstash\"\nname = \"a\"\n",
            "line 7, column 8",
        ),
        (
            "[[database]]\nprofile = \"upstash\"\nprovider = \"cosmos\"\nname = \"a\"\n",
            "line 3, column 12",
        ),
        // Throughput: RU/s or { autoscale_max = RU/s }, and only where the provider has it.
        (
            "[[database]]\nprofile = \"cosmos\"\nname = \"a\"\nthroughput = 0\n",
            "line 4, column 14: invalid throughput 0",
        ),
        (
            "[[database]]\nprofile = \"cosmos\"\nname = \"a\"\nthroughput = { max = 4000 }\n",
            "line 4, column 14: unknown throughput key `max`",
        ),
        (
            "[[database]]\nprofile = \"upstash\"\nname = \"a\"\nthroughput = 400\n",
            "line 4, column 14: upstash databases have no provisioned throughput",
        ),
        // A Redis Cloud database is created in a subscription the spec must name.
        (
            "[[database]]\nprofile = \"redis-cloud\"\nname = \"new\"\nmemory = \"1GiB\"\n",
            "line 2, column 11: redis-cloud database \"new\" does not exist, and creating it needs the `subscription`",
        ),
    ];
    for (text, at) in cases {
        let file = spec(&sb, "bad.toml", text);
        for command in [&["plan"][..], &["apply", "--yes"]] {
            let run = sb.run(&[command, &["-f", &file]].concat());
            run.code(3).stderr_has(&format!("bad.toml {at}"));
            assert!(run.stdout.is_empty(), "{}", run.stdout);
        }
    }
    let file = spec(
        &sb,
        "bad.toml",
        "[[database]]\nprofile = \"prod\"\nname = \"a\"\n",
    );
    sb.run(&["plan", "-f", &file])
        .stderr_has("no profile named \"prod\"");
    let unknown = spec(
        &sb,
        "bad.toml",
        "[[database]]\nprofile = \"upstash\"\nname = \"a\"\nmemroy = \"1GB\"\n",
    );
    sb.run(&["plan", "-f", &unknown]).stderr_has("memroy");
    let size = spec(
        &sb,
        "bad.toml",
        "[[database]]\nprofile = \"upstash\"\nname = \"a\"\nmemory = \"12XB\"\n",
    );
    sb.run(&["plan", "-f", &size]).stderr_has("invalid size");
}

/// An Upstash account answering `list` with `databases`, and the sandbox for it.
pub(crate) async fn upstash(databases: Value) -> (MockServer, Sandbox) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/redis/databases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(databases))
        .mount(&server)
        .await;
    let sb = crate::cases::upstash::case().sandbox(&server);
    (server, sb)
}

pub(crate) fn upstash_db(id: &str, name: &str) -> Value {
    json!({"database_id": id, "database_name": name, "state": "active",
           "primary_region": "us-east-1", "tls": true, "password": "wm-password-1"})
}

const THREE_NEW: &str = "[[database]]\nprofile = \"upstash\"\nname = \"a\"\nregion = \"us-east-1\"\n\n[[database]]\nprofile = \"upstash\"\nname = \"b\"\nregion = \"us-east-1\"\n\n[[database]]\nprofile = \"upstash\"\nname = \"c\"\nregion = \"us-east-1\"\n";

async fn writes(server: &MockServer) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_without_yes_and_without_a_terminal_is_exit_6_and_writes_nothing() {
    let (server, sb) = upstash(json!([upstash_db("u-1", "old")])).await;
    let file = spec(&sb, "fleet.toml", THREE_NEW);
    sb.run(&["apply", "-f", &file])
        .code(6)
        .stderr_has("refusing to apply 3 changes without --yes; nothing was changed");
    // The refusal counts the deletes too.
    sb.run(&["apply", "-f", &file, "--prune"])
        .code(6)
        .stderr_has(
            "refusing to apply 3 changes and delete 1 database not in the spec without --yes",
        );
    assert_eq!(writes(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_halfway_stops_and_reports_what_was_done() {
    let (server, sb) = upstash(json!([])).await;
    let created = fixture("upstash", "created.json");
    Mock::given(method("POST"))
        .and(path("/v2/redis/database"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(created, "application/json"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/redis/database"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v2/redis/database/c0ffee00-0000-4000-8000-000000000042",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("upstash", "created.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let file = spec(&sb, "fleet.toml", THREE_NEW);
    let run = sb.run(&[
        "apply",
        "-f",
        &file,
        "--yes",
        "--json",
        "--concurrency",
        "1",
        "--retries",
        "1",
    ]);
    run.code(8)
        .no_secrets(&[
            "fixture-upstash-password-new",
            "fixture-upstash-rest-token-new",
        ])
        .stderr_has("1 done, 1 failed, 1 not done");
    let results = run.json();
    let result = |name: &str| {
        results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["result"]
            .clone()
    };
    assert_eq!(result("a"), "done");
    assert_eq!(result("b"), "failed");
    assert_eq!(result("c"), "not done");
    let posts = requests(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 2, "the third create was never sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_databases_of_one_name_are_exit_7_naming_both_ids() {
    let (server, sb) = upstash(json!([
        upstash_db("u-1", "twin"),
        upstash_db("u-2", "twin")
    ]))
    .await;
    let file = spec(&sb, "fleet.toml", THREE_NEW);
    for command in [
        &["plan", "-f", &file][..],
        &["apply", "-f", &file, "--yes"],
        &["export"],
    ] {
        sb.run(command)
            .code(7)
            .stderr_has("u-1, u-2")
            .stderr_has("\"twin\"")
            .no_secrets(&["wm-password-1"]);
    }
    assert_eq!(writes(&server).await, 0);
}

/// Cosmos throughput: exported as RU/s or `{ autoscale_max = N }`, changed in place between
/// values and modes, given at create, and never added to a database created without it.
#[test]
fn cosmos_throughput_is_exported_planned_and_applied() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let export = sb.run(&["export", "-p", "cosmos"]);
    let text = clean(export.code(0)).stdout.clone();
    let block = |name: &str| {
        let start = text.find(&format!("name = \"{name}\"")).unwrap();
        let end = text[start..]
            .find("[[database]]")
            .map_or(text.len(), |i| start + i);
        text[start..end].to_string()
    };
    assert!(
        block("Food DB").contains("throughput = { autoscale_max = 4000 }\n"),
        "{text}"
    );
    assert!(block("inventory").contains("throughput = 400\n"), "{text}");
    assert!(!block("sessions").contains("throughput"), "{text}");

    let text = edit_block(
        &text,
        "inventory",
        "throughput = 400",
        "throughput = { autoscale_max = 5000 }",
    );
    let text = edit_block(
        &text,
        "Food DB",
        "throughput = { autoscale_max = 4000 }",
        "throughput = 800",
    );
    let text = format!("{text}\n[[database]]\nprofile = \"cosmos\"\nname = \"events\"\nthroughput = {{ autoscale_max = 2000 }}\n");
    let file = spec(&sb, "cosmos.toml", &text);
    let plan = sb.run(&["plan", "-f", &file, "--json"]);
    let plan = clean(plan.code(13)).json();
    let change = |from: Value, to: Value| json!([{"field": "throughput", "from": from, "to": to}]);
    assert_eq!(
        find(&plan, "update", "cosmos", "inventory")["changes"],
        change(json!(400), json!({"autoscale_max": 5000}))
    );
    assert_eq!(
        find(&plan, "update", "cosmos", "Food DB")["changes"],
        change(json!({"autoscale_max": 4000}), json!(800))
    );
    assert_eq!(
        find(&plan, "create", "cosmos", "events")["changes"],
        change(Value::Null, json!({"autoscale_max": 2000}))
    );
    assert_eq!(plan.as_array().unwrap().len(), 3, "{plan:#}");
    sb.run(&["plan", "-f", &file])
        .code(13)
        .stdout_has("throughput: 400 → { autoscale_max = 5000 }")
        .stdout_has("throughput={ autoscale_max = 2000 }");

    let applied = sb.run(&["apply", "-f", &file, "--yes", "--json"]);
    let results = clean(applied.code(0)).json();
    assert_eq!(results.as_array().unwrap().len(), 3, "{results:#}");
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["result"] == "done"),
        "{results:#}"
    );
    // The provider took every change: nothing differs now, and `db stats` agrees.
    sb.run(&["plan", "-f", &file])
        .code(0)
        .stdout_has("No differences");
    let stats = sb
        .run(&["db", "stats", "-p", "cosmos", "--json"])
        .code(0)
        .json();
    let usage = |name: &str| {
        stats
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(usage("inventory")["throughput_max_ru"], 5000);
    assert_eq!(usage("Food DB")["throughput_ru"], 800);
    assert_eq!(usage("Food DB")["throughput_max_ru"], Value::Null);
    assert_eq!(usage("events")["throughput_max_ru"], 2000);

    // A database without throughput of its own cannot be given one in place.
    let text = edit_block(
        &text,
        "sessions",
        "tls = false",
        "tls = false\nthroughput = 400",
    );
    let file = spec(&sb, "cosmos.toml", &text);
    let plan = sb.run(&["plan", "-f", &file, "--json"]).code(13).json();
    assert_eq!(
        find(&plan, "replace", "cosmos", "sessions")["changes"],
        change(Value::Null, json!(400))
    );
    sb.run(&["apply", "-f", &file, "--yes"])
        .code(6)
        .stderr_has("cannot change in place (cosmos/sessions)");
}

/// `apply` changes a Cosmos database's throughput by replacing its offer, signed, with the
/// whole offer the provider sent and only the content changed.
#[tokio::test(flavor = "multi_thread")]
async fn cosmos_throughput_update_replaces_the_offer() {
    use wiremock::matchers::header_exists;
    let case = crate::cases::cosmos::case();
    let server = case.list_server().await;
    (case.mount_get)(&server).await;
    Mock::given(method("PUT"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "Hu+t"})))
        .mount(&server)
        .await;
    let sb = case.sandbox(&server);
    let exported = sb.run(&["export"]);
    exported
        .code(0)
        .no_secrets(&[crate::cases::cosmos::KEY])
        .stdout_has("name = \"iot2\"\nprovider = \"cosmos\"\ntls = false\nthroughput = { autoscale_max = 4000 }\n");
    let text = edit_block(
        &exported.stdout,
        "Food DB",
        "throughput = 400",
        "throughput = 1200",
    );
    let file = spec(&sb, "fleet.toml", &text);
    sb.run(&["apply", "-f", &file, "--yes", "--json"])
        .code(0)
        .no_secrets(&[crate::cases::cosmos::KEY]);
    let puts: Vec<_> = requests_by_method(&server, "PUT").await;
    assert_eq!(puts.len(), 1, "one manual → manual replace, no migration");
    assert_eq!(puts[0].url.path(), "/offers/Hu%2Bt");
    let body: Value = serde_json::from_slice(&puts[0].body).unwrap();
    assert_eq!(body["content"], json!({"offerThroughput": 1200}));
    assert_eq!(body["offerResourceId"], "vdoeAA==");
    assert_eq!(body["offerVersion"], "V2");
}

/// `apply` has every create and update validated by the provider's dry run before it makes
/// the first change: one the provider refuses changes nothing, with what was refused and why.
#[test]
fn a_change_the_provider_would_refuse_changes_nothing() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let text = exported(&sb, |text| {
        let text = edit_block(&text, "inventory", "throughput = 400", "throughput = 800");
        format!("{text}\n[[database]]\nprofile = \"upstash\"\nname = \"fresh\"\nregion = \"us-east-1\"\n\n[[database]]\nprofile = \"cosmos\"\nname = \"odd\"\nthroughput = 450\n")
    });
    let file = spec(&sb, "fleet.toml", &text);
    let before = sb.run(&["db", "list", "--json"]).code(0).json();
    let dry = sb.run(&["apply", "-f", &file, "--dry-run", "--json"]);
    clean(dry.code(3)).stderr_has("create cosmos/odd would be refused");
    assert_eq!(dry.stdout, "");
    let run = sb.run(&["apply", "-f", &file, "--yes", "--json"]);
    clean(run.code(3))
        .stderr_has("create cosmos/odd would be refused: throughput must be a whole number of RU/s, 400 or more in steps of 100")
        .stderr_has("nothing was changed");
    assert_eq!(run.stdout, "", "no results: nothing was attempted");
    assert_eq!(sb.run(&["db", "list", "--json"]).json(), before);
    assert_eq!(
        find(
            &sb.run(&["plan", "-f", &file, "--json"]).code(13).json(),
            "update",
            "cosmos",
            "inventory"
        )["changes"],
        json!([{"field": "throughput", "from": 400, "to": 800}]),
        "the valid update was not made either"
    );
}

/// Redis Enterprise validates a create on the cluster (`POST /v1/bdbs?dry_run=true`): a
/// refusal there stops `apply` before any database is created.
#[tokio::test(flavor = "multi_thread")]
async fn redis_enterprise_validates_creates_on_the_cluster_first() {
    use wiremock::matchers::{body_partial_json, query_param};
    let case = crate::cases::redis_enterprise::case();
    let server = case.list_server().await;
    Mock::given(method("POST"))
        .and(path("/v1/bdbs"))
        .and(query_param("dry_run", "true"))
        .and(body_partial_json(json!({"name": "huge"})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "insufficient_resources",
            "description": "Not enough memory in the cluster"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/bdbs"))
        .and(query_param("dry_run", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"uid": 0, "name": "small"})))
        .mount(&server)
        .await;
    let sb = case.sandbox(&server);
    let file = spec(
        &sb,
        "fleet.toml",
        "[[database]]\nprofile = \"redis-enterprise\"\nname = \"small\"\nmemory = \"100MiB\"\n\n[[database]]\nprofile = \"redis-enterprise\"\nname = \"huge\"\nmemory = \"1TiB\"\n",
    );
    sb.run(&["apply", "-f", &file, "--yes"])
        .code(3)
        .stderr_has("create redis-enterprise/huge would be refused")
        .stderr_has("Not enough memory in the cluster")
        .no_secrets(&[crate::cases::redis_enterprise::PASSWORD]);
    let posts: Vec<_> = requests_by_method(&server, "POST").await;
    assert_eq!(posts.len(), 2, "one dry run per create");
    assert!(
        posts.iter().all(|r| r.url.query() == Some("dry_run=true")),
        "no database was created: {:?}",
        posts.iter().map(|r| r.url.to_string()).collect::<Vec<_>>()
    );
}

/// A Redis Cloud create names a subscription that exists: a blank one is a bad spec (exit 3
/// at `plan`), a malformed or missing one is refused before the first change, at its line.
#[test]
fn a_create_needs_a_subscription_that_exists() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let entry = |subscription: &str| {
        format!("[[database]]\nprofile = \"upstash\"\nname = \"fresh\"\nregion = \"us-east-1\"\n\n[[database]]\nprofile = \"redis-cloud\"\nname = \"new\"\nsubscription = \"{subscription}\"\n")
    };
    let file = spec(&sb, "fleet.toml", &entry(" "));
    sb.run(&["plan", "-f", &file])
        .code(3)
        .stderr_has("line 7, column 11: redis-cloud database \"new\" does not exist, and creating it needs the `subscription`");
    let before = sb.run(&["db", "list", "--json"]).code(0).json();
    for (subscription, code, says) in [
        ("abc", 3, "must be a numeric Redis Cloud subscription id"),
        (
            "99999999",
            5,
            "redis-cloud has no Pro or Essentials subscription 99999999",
        ),
    ] {
        let file = spec(&sb, "fleet.toml", &entry(subscription));
        sb.run(&["plan", "-f", &file]).code(13);
        let run = sb.run(&["apply", "-f", &file, "--yes", "--json"]);
        clean(run.code(code))
            .stderr_has("fleet.toml line 7, column 11: create redis-cloud/new would be refused")
            .stderr_has(says)
            .stderr_has("nothing was changed");
        assert_eq!(run.stdout, "");
    }
    assert_eq!(
        sb.run(&["db", "list", "--json"]).json(),
        before,
        "upstash/fresh was not created"
    );
}

/// An unmanaged database `apply --prune` could not delete (an id the provider's API cannot
/// take) stops it before any change.
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_that_would_be_refused_stops_apply_first() {
    let (server, sb) = upstash(json!([upstash_db("bad id", "stray")])).await;
    let file = spec(&sb, "fleet.toml", THREE_NEW);
    sb.run(&["apply", "-f", &file, "--yes", "--prune"])
        .code(6)
        .stderr_has("delete upstash/stray would be refused")
        .no_secrets(&["wm-password-1"]);
    assert_eq!(writes(&server).await, 0);
}

/// A spec that names no profile and no database manages nothing: a gate over it would always
/// pass, and `--prune` would empty a selected profile, so it is refused. `profiles = [...]`
/// declares a profile that should have no databases (`export` writes it).
#[test]
fn an_empty_spec_is_refused_and_profiles_declare_empty_ones() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let file = spec(&sb, "empty.toml", "# nothing yet\n");
    for extra in [&[][..], &["-p", "cosmos"]] {
        sb.run(&[&["plan", "-f", &file][..], extra].concat())
            .code(3)
            .stderr_has("names no profile and no database");
        sb.run(&[&["apply", "-f", &file, "--prune", "--yes"][..], extra].concat())
            .code(3);
    }
    let file = spec(&sb, "empty.toml", "profiles = [\"cosmos\"]\n");
    let plan = sb.run(&["plan", "-f", &file, "--json"]);
    let plan = clean(plan.code(0)).json();
    assert!(!actions(&plan).is_empty());
    assert!(
        actions(&plan)
            .iter()
            .all(|(a, p, _)| a == "unmanaged" && p == "cosmos"),
        "{plan:#}"
    );
    // A spec that prunes its empty profile plans to delete every database of it.
    let file = spec(&sb, "empty.toml", "prune = true\nprofiles = [\"cosmos\"]\n");
    let plan = sb.run(&["plan", "-f", &file, "--json"]);
    let plan = clean(plan.code(13)).json();
    assert_eq!(actions(&plan).len(), 4, "{plan:#}");
    assert!(
        actions(&plan)
            .iter()
            .all(|(a, p, _)| a == "delete" && p == "cosmos"),
        "{plan:#}"
    );
}

/// `-f -` reads the spec from stdin; `export` writes TOML only.
#[test]
fn the_spec_can_come_from_stdin_and_export_is_toml_only() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let exported = sb.run(&["export"]);
    let run = Run::from(
        sb.cmd()
            .args(["plan", "-f", "-"])
            .write_stdin(exported.code(0).stdout.clone())
            .output()
            .unwrap(),
    );
    run.code(0)
        .stdout_has("No differences: the fleet matches stdin.");
    let run = Run::from(
        sb.cmd()
            .args(["plan", "-f", "-"])
            .write_stdin("[[database]]\nprofile = \"cosmos\"\nname = \"x\"\nthroughput = 0\n")
            .output()
            .unwrap(),
    );
    run.code(3).stderr_has("stdin line 4, column 14");
    for format in [&["--json"][..], &["-o", "yaml"]] {
        let run = sb.run(&[&["export"], format].concat());
        run.code(2).stderr_has("export writes a TOML spec file");
        assert_eq!(run.stdout, "");
    }
}

/// An offer the provider sends without a usable figure is not read as "no throughput" (which
/// `plan` would report as a database that cannot be given one): export and plan are exit 8.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_offer_fails_export_and_plan() {
    let case = crate::cases::cosmos::case();
    let server = case.list_server().await;
    // Ahead of the fixture's offers: Food DB's own offer with an unusable maximum.
    Mock::given(method("GET"))
        .and(path("/offers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_rid": "", "_count": 1, "Offers": [{"id": "Hu+t", "offerResourceId": "vdoeAA==",
                "content": {"offerThroughput": 400, "offerAutopilotSettings": {"maxThroughput": 1e30}}}]})))
        .with_priority(1)
        .mount(&server)
        .await;
    let sb = case.sandbox(&server);
    sb.run(&["export"])
        .code(8)
        .stderr_has("cosmos sent an offer for database \"Food DB\" without a readable throughput")
        .no_secrets(&[crate::cases::cosmos::KEY]);
    let file = spec(
        &sb,
        "fleet.toml",
        "[[database]]\nprofile = \"cosmos\"\nname = \"Food DB\"\nthroughput = 400\n",
    );
    let run = sb.run(&["plan", "-f", &file, "--json"]);
    run.code(8);
    assert_eq!(run.stdout, "");
}
