//! `db stats`, `db list --usage` and `check` through the real binary: wiremock servers fed
//! from fixtures (Upstash stats, Redis Enterprise stats/last) and the built-in emulator.
use serde_json::Value;
use wiremock::matchers::{basic_auth, method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cases::redis_enterprise::{case as re_case, PASSWORD, USER};
use crate::cases::upstash::{case as upstash_case, EMAIL, KEY};
use crate::common::{fixture, refs, requests, requests_to_path, when, Sandbox};

fn json(status: u16, body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into(), "application/json")
}

async fn upstash_with_stats(failing: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    if let Some(id) = failing {
        when("GET", format!("/v2/redis/stats/{id}"))
            .respond_with(json(500, r#"{"error":"internal"}"#))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    (upstash_case().mount_list)(&server).await;
    Mock::given(method("GET"))
        .and(path_regex("^/v2/redis/stats/[^/]+$"))
        .and(basic_auth(EMAIL, KEY))
        .respond_with(json(200, fixture("upstash", "stats.json")))
        .mount(&server)
        .await;
    server
}

fn by_id(list: &Value, id: &str) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|u| u["database_id"] == id || u["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} in {list}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn upstash_stats_take_the_newest_non_null_point_one_request_per_database() {
    let server = upstash_with_stats(None).await;
    let run = upstash_case().sandbox(&server).run("db stats --json");
    run.code(0).no_secrets(&refs(&(upstash_case().secrets)()));
    let list = run.json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let usage = by_id(&list, "96ad0856-03b1-4ee7-9666-e81abd0349e1");
    // The newest points are null: the one before counts.
    assert_eq!(usage["ops_per_sec"], 181.88333333333333);
    assert_eq!(usage["connections"], 320);
    assert_eq!(usage["memory_used_bytes"], 805306368);
    assert_eq!(usage["storage_bytes"], 805306368);
    // The limit is the record's db_memory_threshold (3 GiB): 0.75 GiB is a quarter.
    assert_eq!(usage["memory_limit_bytes"], 3221225472u64);
    assert_eq!(usage["memory_used_ratio"], 0.25);
    // A Go time string, as RFC 3339.
    assert_eq!(usage["sampled_at"], "2025-08-31T15:11:52Z");
    let stats = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path().starts_with("/v2/redis/stats/"))
        .count();
    assert_eq!(stats, 3, "one stats request per database");
    assert_eq!(
        requests(&server).await.len(),
        4,
        "plus the list, nothing else"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_database_is_exit_12_with_the_rest_printed() {
    let server = upstash_with_stats(Some("7f3c1a2b-1111-4c2d-9e8f-000000000002")).await;
    let sb = upstash_case().sandbox(&server);
    let run = sb.run("db list --usage --json --retries 1");
    run.code(12)
        .stderr_has("7f3c1a2b-1111-4c2d-9e8f-000000000002")
        .no_secrets(&refs(&(upstash_case().secrets)()));
    let list = run.json();
    // Every database stays in the list; the failed one without figures.
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(
        by_id(&list, "7f3c1a2b-1111-4c2d-9e8f-000000000002")["memory_used_bytes"],
        Value::Null
    );
    assert_eq!(
        by_id(&list, "96ad0856-03b1-4ee7-9666-e81abd0349e1")["memory_used_bytes"],
        805306368
    );
    let table = sb.run("db list --usage --retries 1");
    table.code(12);
    for column in ["USED", "LIMIT", "%", "OPS/S", "CONN", "RU/S", "25.0%"] {
        assert!(table.stdout.contains(column), "{column}: {}", table.stdout);
    }
}

async fn re_with_stats() -> MockServer {
    let server = MockServer::start().await;
    (re_case().mount_list)(&server).await;
    when("GET", "/v1/bdbs/stats/last")
        .and(basic_auth(USER, PASSWORD))
        .respond_with(json(200, fixture("redis-enterprise", "stats-last.json")))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_enterprise_reads_the_whole_cluster_in_one_request() {
    let server = re_with_stats().await;
    let run = re_case().sandbox(&server).run("db list --usage --json");
    run.code(0).no_secrets(&refs(&(re_case().secrets)()));
    let list = run.json();
    let one = by_id(&list, "1");
    assert_eq!(one["memory_used_bytes"], 1020054732u64);
    assert_eq!(one["connections"], 3);
    assert_eq!(one["ops_per_sec"], 2.0);
    assert_eq!(one["memory_used_ratio"], 0.95);
    assert_eq!(one["sampled_at"], "2025-10-14T00:01:47Z");
    // A sample without the metrics, and a database the answer leaves out: nulls.
    assert_eq!(by_id(&list, "2")["memory_used_bytes"], Value::Null);
    assert_eq!(by_id(&list, "3")["ops_per_sec"], Value::Null);
    assert_eq!(requests_to_path(&server, "/v1/bdbs/stats/last").await, 1);
    assert_eq!(
        requests(&server).await.len(),
        2,
        "the list and one stats request"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_enterprise_single_stats_use_the_per_database_path() {
    let server = MockServer::start().await;
    (re_case().mount_get)(&server).await;
    when("GET", format!("/v1/bdbs/stats/last/{}", re_case().existing_id)).respond_with(json(
            200,
            format!(
                r#"{{"{}": {{"etime":"2025-10-14T00:01:47Z","used_memory":5651336.0,"conns":7.0,"instantaneous_ops_per_sec":12.5}}}}"#,
                re_case().existing_id
            ),
        )).expect(1).mount(&server).await;
    let run = re_case()
        .sandbox(&server)
        .run(&["db", "stats", re_case().existing_id, "--json"]);
    run.code(0);
    let usage = run.json();
    assert_eq!(usage["memory_used_bytes"], 5651336);
    assert_eq!(usage["connections"], 7);
    assert_eq!(usage["ops_per_sec"], 12.5);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_fails_at_the_memory_error_threshold_and_passes_below_fail_on() {
    let server = re_with_stats().await;
    let sb = re_case().sandbox(&server);
    // bdb 1 uses 95% of its memory: an error at the default --memory-error 0.95.
    let run = sb.run("check --rule memory --json");
    run.code(13);
    let findings = run.json();
    let memory: Vec<&Value> = findings.as_array().unwrap().iter().collect();
    assert_eq!(memory.len(), 1, "{findings}");
    assert_eq!(memory[0]["rule"], "memory");
    assert_eq!(memory[0]["severity"], "error");
    assert_eq!(memory[0]["database_id"], "1");
    // Raised thresholds: a warning only, which does not fail at --fail-on error.
    sb.run("check --rule memory --memory-warn 0.9 --memory-error 0.99")
        .code(0)
        .stdout_has("warning");
    // ... but does at --fail-on warning.
    sb.run("check --rule memory --memory-warn 0.9 --memory-error 0.99 --fail-on warning")
        .code(13);
    // Status: bdb 5 creation-failed is an error.
    let status = sb.run("check --rule status -o csv");
    status.code(13);
    assert!(status
        .stdout
        .starts_with("rule,severity,provider,profile,database_id,name,message\n"));
    assert!(status.stdout.contains("status,error,redis-enterprise"));
    // The usage request is made only for the memory rule.
    let before = requests_to_path(&server, "/v1/bdbs/stats/last").await;
    sb.run("check --rule tls");
    assert_eq!(
        requests_to_path(&server, "/v1/bdbs/stats/last").await,
        before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_writes_junit_one_suite_per_rule_one_case_per_database() {
    let sb = Sandbox::new();
    let run = sb.run("--demo check --format junit");
    run.code(13);
    let report = quick_junit::Report::deserialize_from_str(&run.stdout).expect("JUnit XML");
    let suites: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        suites,
        ["status", "tls", "memory", "backups", "persistence"]
    );
    let status = &report.test_suites[0];
    // 3 Upstash + 6 Redis Cloud + 4 Redis Enterprise + 4 Cosmos demo databases.
    assert_eq!(status.test_cases.len(), 17);
    assert!(status.failures >= 1, "the suspended Upstash database fails");
    let failed: Vec<&str> = status
        .test_cases
        .iter()
        .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::NonSuccess { .. }))
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        failed.iter().any(|n| n.contains("キャッシュ-tokyo")),
        "{failed:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_shows_usage_for_every_provider() {
    let sb = Sandbox::new();
    let run = sb.run("--demo db list --usage --json");
    run.code(0);
    let list = run.json();
    // Redis Cloud has no metrics API: the emulator's data plane answers INFO.
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["provider"] == "redis-cloud" && d["ops_per_sec"].is_number()));
    for provider in ["upstash", "redis-cloud", "redis-enterprise"] {
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .any(|d| d["provider"] == provider && d["memory_used_bytes"].is_u64()),
            "{provider} has figures"
        );
    }
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["provider"] == "cosmos" && d["throughput_max_ru"] == 4000));
    sb.run("--demo check --rule tls --rule backups").code(0);
    sb.run("--demo check --rule reachable")
        .code(2)
        .stderr_has("--ping");
    sb.run("--demo check --rule status --ping --json").code(13);
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_cloud_usage_is_the_record_figure_and_its_settings_feed_check() {
    let case = crate::cases::redis_cloud::case();
    let server = case.list_server().await;
    let sb = case.sandbox(&server);
    sb.run("db list --json").code(0);
    let plain = requests(&server).await.len();
    let run = sb.run("db list --usage --json");
    // No data plane answers here: the API's figure stays, and stderr says why.
    run.code(0)
        .stderr_has("memoryUsedInMb")
        .stderr_has("INFO over the data plane failed");
    let rows = run.json().as_array().unwrap().len();
    assert!(rows > 0);
    assert_eq!(
        requests(&server).await.len(),
        2 * plain,
        "usage reads no database again: records with endpoint and password go to INFO, the one without a usable endpoint (pending, port \"notaport\") keeps the API's figure"
    );
    let list = run.json();
    let essentials = by_id(&list, "2231009/12890441");
    // 12 MB from memoryUsedInMb; no ops/sec or connections in the API.
    assert_eq!(essentials["memory_used_bytes"], 12 * 1024 * 1024);
    assert_eq!(essentials["ops_per_sec"], Value::Null);
    assert_eq!(essentials["connections"], Value::Null);
    let check = sb.run("check --rule persistence --rule backups --json");
    check.code(0);
    let findings = check.json();
    let of = |rule: &str| -> Vec<String> {
        findings
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["database_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        of("persistence").contains(&"2231009/12890441".to_string()),
        "{findings}"
    );
    assert!(!of("backups").is_empty(), "{findings}");
}

/// Findings exit 13 even when a profile failed, and the one JSON error line still names the
/// profile that was not checked.
#[test]
fn check_findings_with_a_failed_profile_say_both() {
    let served = crate::common::Served::start(&[]);
    let sb = served.sandbox().env("UPSTASH_API_KEY", "wrong-key");
    let run = sb.run("check --json --fail-on warning");
    run.code(13).no_secrets(&["wrong-key"]);
    let line: Value = serde_json::from_str(run.stderr.trim()).expect("one JSON line");
    let message = line["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("findings at warning or above"),
        "{message}"
    );
    assert!(
        message.contains("1 of 4 profiles failed") && message.contains("upstash"),
        "{message}"
    );
    assert!(!run.json().as_array().unwrap().is_empty());
}
