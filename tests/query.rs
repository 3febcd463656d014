//! Reading output: `-q/--query` (JMESPath over the JSON document), `--sort` on any column a
//! table shows (usage ones included), `--limit` and `--no-headers`, the same for every list
//! command because the renderer applies them once.
use serde_json::{json, Value};

use crate::common::Sandbox;

const UPSTASH_DB: &str = "a1b2c3d4-0000-4000-8000-000000000001";

fn demo(sb: &Sandbox, args: &[&str]) -> crate::common::Run {
    let mut all = vec!["--demo"];
    all.extend_from_slice(args);
    sb.run(&all)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_query_selects_from_the_json_document_the_command_prints() {
    let sb = Sandbox::new();
    let list = demo(&sb, &["db", "list", "--json"]).json();
    let names: Vec<Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].clone())
        .collect();
    // Implies JSON; the list in its own order.
    let run = demo(&sb, &["db", "list", "-q", "[].name"]);
    run.code(0);
    assert_eq!(run.json(), Value::Array(names));
    // Keys in the order the expression names them, integers as integers.
    let run = demo(
        &sb,
        &[
            "db",
            "list",
            "--query",
            "[?provider=='upstash'] | [0].{name: name, bytes: memory_limit_bytes}",
        ],
    );
    run.code(0);
    let first = &list[0];
    assert_eq!(
        run.stdout,
        format!(
            "{{\n  \"name\": {},\n  \"bytes\": {}\n}}\n",
            first["name"], first["memory_limit_bytes"]
        )
    );
    // One record, and YAML when asked.
    let run = demo(
        &sb,
        &["db", "get", UPSTASH_DB, "-p", "upstash", "-q", "name"],
    );
    run.code(0);
    assert_eq!(run.stdout, "\"sessions-cache\"\n");
    let run = demo(
        &sb,
        &[
            "db",
            "get",
            UPSTASH_DB,
            "-p",
            "upstash",
            "-q",
            "{n: name, r: region}",
            "-o",
            "yaml",
        ],
    );
    run.code(0);
    assert_eq!(run.stdout, "n: sessions-cache\nr: us-east-1\n");
    // A filter over usage figures, and over a provider's own answer (`api`).
    let run = demo(
        &sb,
        &[
            "db",
            "list",
            "--usage",
            "-q",
            "[?memory_used_ratio > `0.5`].name",
        ],
    );
    run.code(0);
    let usage = demo(&sb, &["db", "list", "--usage", "--json"]).json();
    let over: Vec<&str> = usage
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["memory_used_ratio"].as_f64().is_some_and(|r| r > 0.5))
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(!over.is_empty());
    assert_eq!(strings(&run.json()), over);
    let run = demo(
        &sb,
        &[
            "api",
            "upstash",
            "GET",
            "/redis/databases",
            "-q",
            "length(@)",
        ],
    );
    run.code(0);
    assert_eq!(run.stdout, "3\n");
}

#[test]
fn a_query_never_reveals_what_the_document_masks() {
    let sb = Sandbox::new();
    let run = demo(
        &sb,
        &["db", "url", UPSTASH_DB, "-p", "upstash", "-q", "url"],
    );
    run.code(0);
    let url = run.json();
    assert!(url.as_str().unwrap().contains(":***@"), "{url}");
    // The password is there to be had, with --show-secrets only.
    let shown = demo(
        &sb,
        &[
            "db",
            "url",
            UPSTASH_DB,
            "-p",
            "upstash",
            "--show-secrets",
            "-q",
            "url",
        ],
    );
    shown.code(0);
    let url = shown.json();
    assert!(url.as_str().unwrap().contains('@'), "{url}");
    assert!(!shown.stdout.contains("***"), "{}", shown.stdout);
}

#[test]
fn a_bad_query_is_a_usage_error_before_any_request() {
    let sb = Sandbox::new();
    // No provider is configured: a request would be exit 3.
    let run = sb.run(&["db", "list", "-q", "[?name =="]);
    run.code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: --query \"[?name ==\": Parse error: Unexpected nud token -- found Eof (at column 10)",
        "{}",
        run.stderr
    );
    let run = sb.run(&["db", "list", "-q", "name", "-o", "table"]);
    run.code(2)
        .stderr_has("--query selects from the JSON document; it cannot be combined with -o table")
        .stderr_has("-o yaml");
    let run = demo(&sb, &["export", "-q", "@"]);
    run.code(2)
        .stderr_has("export writes a TOML spec file")
        .stderr_has("cannot be combined with --query");
    // A query that fails on the data is exit 2 too, with nothing on stdout.
    let run = demo(&sb, &["db", "list", "-q", "length(`1`)"]);
    run.code(2).stderr_has("Runtime error");
    assert_eq!(run.stdout, "");
}

#[test]
fn a_query_nested_thousands_deep_is_one_usage_line_not_a_crash() {
    let sb = Sandbox::new();
    let nested = format!("{}name{}", "not_null(".repeat(2000), ")".repeat(2000));
    // No provider is configured: a request would be exit 3.
    for query in [nested, "[".repeat(100_000), format!("a{}", ".a".repeat(65))] {
        let run = sb.run(&["db", "list", "-q", &query]);
        run.code(2);
        assert_eq!(run.stdout, "");
        assert_eq!(run.stderr, "error: --query nests deeper than 64 levels\n");
    }
    // As deep as a real query goes, it runs.
    let nested = format!("[0].{}name{}", "not_null(".repeat(20), ")".repeat(20));
    let run = demo(&sb, &["db", "list", "-q", &nested]);
    run.code(0);
    assert_eq!(run.stdout, "\"rate-limiter\"\n");
    // An error echoes at most 200 characters of the query.
    let long = format!("{} ==", "x".repeat(5000));
    let run = sb.run(&["db", "list", "-q", &long]);
    run.code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: --query \"{}…\": Parse error: Unexpected nud token -- found Eof (at column 5004)\n",
            "x".repeat(200)
        )
    );
}

/// `--sort KEY` of `args`, as JSON, each item's `field`.
fn sorted(sb: &Sandbox, args: &[&str], key: &str, field: &str) -> Vec<Value> {
    let mut all = args.to_vec();
    all.extend(["--sort", key, "--json"]);
    let run = demo(sb, &all);
    assert!(run.code == 0 || run.code == 13, "{}", run.stderr);
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].clone())
        .collect()
}

/// Present values in order (`descending` or not), missing ones after them.
fn in_order(values: &[Value], descending: bool) -> bool {
    let present: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
    let first_missing = values
        .iter()
        .position(Value::is_null)
        .unwrap_or(values.len());
    values[first_missing..].iter().all(Value::is_null)
        && present.windows(2).all(|w| {
            if descending {
                w[0] >= w[1]
            } else {
                w[0] <= w[1]
            }
        })
        && present.len() == first_missing
}

#[test]
fn sort_takes_any_column_a_table_shows_usage_ones_included() {
    let sb = Sandbox::new();
    let usage = ["db", "list", "--usage"];
    let ratio = sorted(&sb, &usage, "used%:desc", "memory_used_ratio");
    assert!(
        ratio.iter().any(Value::is_null) && in_order(&ratio, true),
        "{ratio:?}"
    );
    let ops = sorted(&sb, &["db", "stats"], "ops:desc", "ops_per_sec");
    assert!(in_order(&ops, true), "{ops:?}");
    let conn = sorted(&sb, &["db", "stats"], "CONN", "connections");
    assert!(in_order(&conn, false), "{conn:?}");
    let ru = sorted(&sb, &["db", "stats"], "ru/s:desc", "throughput_ru");
    assert!(ru[0].as_u64().is_some(), "{ru:?}");
    // Findings by severity: errors first.
    let severities = sorted(&sb, &["check"], "severity:desc", "severity");
    let first_warning = severities.iter().position(|s| s == "warning").unwrap();
    assert!(first_warning > 0, "{severities:?}");
    assert!(severities[first_warning..].iter().all(|s| s == "warning"));
    // Text in natural order, ids of one provider as numbers.
    let ids = sorted(
        &sb,
        &["db", "list", "-p", "redis-enterprise"],
        "id:desc",
        "id",
    );
    assert_eq!(ids, [json!("4"), json!("3"), json!("2"), json!("1")]);
    let names = sorted(&sb, &["db", "list"], "name", "name");
    let mut want = strings(&Value::Array(names.clone()));
    want.sort_by_key(|n| n.to_lowercase());
    assert_eq!(strings(&Value::Array(names)), want);
    // The key a table does not show that `db list` always took.
    let created = sorted(&sb, &["db", "list"], "created:desc", "created_at");
    let dates: Vec<&str> = created.iter().filter_map(Value::as_str).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    // The table is in the same order as the JSON.
    let args = ["db", "list", "-p", "upstash", "--sort", "name:desc"];
    let table = demo(&sb, &args);
    let ids = sorted(&sb, &args[..4], "name:desc", "id");
    let rows: Vec<usize> = ids
        .iter()
        .map(|id| {
            let id = id.as_str().unwrap();
            table.stdout.lines().position(|l| l.contains(id)).unwrap()
        })
        .collect();
    assert_eq!(rows, [1, 2, 3], "{}", table.stdout);
}

#[test]
fn an_unknown_sort_key_names_the_ones_the_list_has() {
    let sb = Sandbox::new();
    let run = demo(&sb, &["db", "stats", "--sort", "sideways"]);
    run.code(2);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: unknown sort key \"sideways\" for this list; use one of provider, profile, id, name, used, limit, used%, ops, conn, ru, sampled"
    );
    assert_eq!(run.stdout, "");
    demo(&sb, &["db", "list", "--sort", "memory:sideways"])
        .code(2)
        .stderr_has("unknown sort direction \"sideways\"");
}

#[test]
fn limit_and_no_headers_apply_to_every_list_format() {
    let sb = Sandbox::new();
    let all = demo(&sb, &["db", "list", "--sort", "memory:desc", "--json"]).json();
    let top = demo(
        &sb,
        &[
            "db",
            "list",
            "--sort",
            "memory:desc",
            "--limit",
            "3",
            "--json",
        ],
    )
    .json();
    assert_eq!(top.as_array().unwrap()[..], all.as_array().unwrap()[..3]);
    let table = demo(&sb, &["db", "list", "--limit", "2", "--no-headers"]);
    table.code(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", table.stdout);
    assert!(!table.stdout.contains("PROVIDER"), "{}", table.stdout);
    let first = demo(&sb, &["db", "list", "--json"]).json()[0]["id"].clone();
    assert!(
        lines[0].contains(first.as_str().unwrap()),
        "{}",
        table.stdout
    );
    let csv = demo(&sb, &["check", "-o", "csv", "--no-headers", "--limit", "1"]);
    csv.code(13);
    assert_eq!(csv.stdout.lines().count(), 1, "{}", csv.stdout);
    assert!(!csv.stdout.starts_with("rule,"), "{}", csv.stdout);
    let with_query = demo(
        &sb,
        &[
            "db",
            "list",
            "--sort",
            "name:desc",
            "--limit",
            "2",
            "-q",
            "[].name",
        ],
    );
    let mut names = strings(&demo(&sb, &["db", "list", "-q", "[].name"]).json());
    names.sort_by_key(|n| std::cmp::Reverse(n.to_lowercase()));
    assert_eq!(strings(&with_query.json()), names[..2]);
    demo(&sb, &["db", "list", "--limit", "0"]).code(2);
}

#[test]
fn a_usage_row_is_the_database_then_its_figures_each_field_once() {
    let sb = Sandbox::new();
    let run = demo(&sb, &["db", "list", "--usage", "--json", "-p", "upstash"]);
    run.code(0);
    let row = &run.json()[0];
    let keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "provider",
            "profile",
            "id",
            "name",
            "status",
            "provider_status",
            "region",
            "endpoint",
            "port",
            "tls",
            "memory_limit_bytes",
            "plan",
            "created_at",
            "regions",
            "memory_used_bytes",
            "memory_used_ratio",
            "ops_per_sec",
            "connections",
            "throughput_ru",
            "throughput_max_ru",
            "storage_bytes",
            "sampled_at"
        ]
    );
    // Written once: no second `"name"` in the text either.
    assert_eq!(run.stdout.matches("\"name\"").count(), 3, "{}", run.stdout);
}
