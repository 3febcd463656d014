//! Output people read: tables that fit a terminal without wrapping, `-o wide`, `-` for
//! missing values, the empty list, `db get` as FIELD/VALUE, the one dry-run shape, and `-vv`
//! bodies as indented JSON.
use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use unicode_width::UnicodeWidthStr;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cases::upstash::case;
use crate::common::{refs, Sandbox};

/// `dbctl ARGS` on a pseudo-terminal `columns` wide, colour on: the lines stdout shows (colour
/// codes removed), and stderr with its lines joined (the note is wrapped to the terminal).
fn on_terminal(sb: &Sandbox, columns: u16, args: &[&str]) -> (String, String) {
    let screen = crate::pty_tables::on_terminal(sb, columns, args);
    let mut lines = screen.lines().join("\n");
    lines.push('\n');
    (lines, screen.stderr.lines().collect::<Vec<_>>().join(" "))
}

/// What a terminal `columns` wide receives from `dbctl ARGS REDIRECT`, raw (`\r` kept).
fn terminal(sb: &Sandbox, columns: usize, args: &[&str], redirect: &str) -> String {
    let dbctl = sb.command();
    let line = format!(
        "stty cols {columns} rows 60; '{}' {} {redirect}",
        dbctl.get_program().to_string_lossy(),
        args.iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]).env_clear();
    for (key, value) in dbctl.get_envs() {
        if let Some(value) = value {
            script.env(key, value);
        }
    }
    let out = script.output().expect("script(1) runs");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

/// How many databases `--demo db list` knows, and their ids and names, from its JSON.
fn demo_ids_and_names(sb: &Sandbox) -> (usize, Vec<String>) {
    let list = sb.run(&["--demo", "db", "list", "--json"]).json();
    let list = list.as_array().expect("a list");
    let mut words = BTreeSet::new();
    for db in list {
        words.insert(db["id"].as_str().unwrap().to_string());
        words.insert(db["name"].as_str().unwrap().to_string());
    }
    (list.len(), words.into_iter().collect())
}

#[test]
fn a_terminal_table_fits_its_width_and_never_splits_an_id_or_a_name() {
    let sb = Sandbox::new();
    let (count, words) = demo_ids_and_names(&sb);
    assert!(
        words.iter().any(|w| w.len() == 36),
        "a UUID among {words:?}"
    );
    for columns in [80, 120] {
        let (stdout, stderr) = on_terminal(&sb, columns, &["--demo", "db", "list"]);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), count + 1, "one line per database:\n{stdout}");
        for line in &lines {
            assert!(
                line.width() <= usize::from(columns),
                "wider than {columns}: {line:?}"
            );
        }
        for word in &words {
            assert!(
                lines.iter().any(|l| l.contains(word.as_str())),
                "{word:?} split or missing at {columns} columns:\n{stdout}"
            );
        }
        assert!(
            !lines[0].contains("PROFILE"),
            "PROFILE equals PROVIDER: hidden first"
        );
        assert!(lines[0].contains("STATUS"));
        assert!(stderr.contains("PROFILE hidden"), "{stderr}");
        assert!(
            stderr.contains("-o wide"),
            "how to see everything: {stderr}"
        );
    }
    // 120 columns keep more than 80 do.
    let narrow = on_terminal(&sb, 80, &["--demo", "db", "list"]).0;
    let wide = on_terminal(&sb, 120, &["--demo", "db", "list"]).0;
    assert!(wide.lines().next().unwrap().contains("REGION"), "{wide}");
    assert!(
        !narrow.lines().next().unwrap().contains("ENDPOINT"),
        "{narrow}"
    );
}

#[test]
fn wide_shows_every_column_in_full_on_any_terminal() {
    let sb = Sandbox::new();
    let (stdout, stderr) = on_terminal(&sb, 80, &["--demo", "db", "list", "-o", "wide"]);
    let header: Vec<&str> = stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["PROVIDER", "PROFILE", "ID", "NAME", "STATUS", "REGION", "ENDPOINT", "MEMORY"]
    );
    assert!(stdout.contains("redis-18823.c833.eu-west-1.rc.dbctl.localhost:18823"));
    assert!(!stdout.contains('…'), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    // Not a terminal: the plain table is never cut either, and says nothing.
    let piped = sb.run(&["--demo", "db", "list"]);
    piped.code(0);
    // (The emulator's Cosmos port differs between runs.)
    let without_cosmos = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.contains("127.0.0.1"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        without_cosmos(&piped.stdout),
        without_cosmos(&sb.run(&["--demo", "db", "list", "-o", "wide"]).stdout)
    );
    assert!(piped.stderr.is_empty(), "{}", piped.stderr);
}

#[test]
fn missing_values_show_as_a_dash() {
    let run = Sandbox::new().run(&["--demo", "db", "list", "-p", "cosmos"]);
    run.code(0);
    let row = run
        .stdout
        .lines()
        .find(|l| l.contains("inventory"))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    // PROVIDER PROFILE ID NAME STATUS REGION ENDPOINT MEMORY: no region, no memory.
    assert_eq!(cells[5], "-", "{row}");
    assert_eq!(cells.last(), Some(&"-"), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_list_prints_nothing_and_says_so_on_stderr() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/redis/databases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&server)
        .await;
    let sb = case().sandbox(&server);
    let table = sb.run(&["db", "list"]);
    table.code(0);
    assert_eq!(table.stdout, "");
    assert_eq!(table.stderr, "no databases\n");
    let json = sb.run(&["db", "list", "--json"]);
    json.code(0);
    assert_eq!(json.json(), serde_json::json!([]));
    assert_eq!(json.stderr, "");
}

#[test]
fn db_get_reads_like_a_description() {
    let sb = Sandbox::new();
    let id = "a1b2c3d4-0000-4000-8000-000000000001";
    let run = sb.run(&["--demo", "db", "get", id, "-p", "upstash", "--raw"]);
    run.code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let field = |name: &str| {
        lines
            .iter()
            .position(|l| l.split("  ").next().unwrap().trim() == name)
            .unwrap_or_else(|| panic!("no {name} in\n{}", run.stdout))
    };
    // A human size, not the byte count the JSON carries.
    let bytes = sb
        .run(&["--demo", "db", "get", id, "-p", "upstash", "--json"])
        .json()["memory_limit_bytes"]
        .as_u64()
        .unwrap();
    let memory = lines[field("MEMORY LIMIT")];
    assert!(
        memory.ends_with(" GiB") && !memory.contains(&bytes.to_string()),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("MEMORY_LIMIT_BYTES"));
    // The raw record is an indented block under RAW, one field a line, not one-line JSON.
    let raw = field("RAW");
    let column = lines[raw]
        .find("database_id: ")
        .expect("first raw field on the RAW line");
    assert!(lines[raw + 1][column..].starts_with("database_name: sessions-cache"));
    assert!(
        lines[raw + 1][..column].trim().is_empty(),
        "{}",
        lines[raw + 1]
    );
    assert!(!run.stdout.contains("{\""), "{}", run.stdout);
}

#[test]
fn every_dry_run_has_the_same_shape() {
    let sb = Sandbox::new();
    for args in [
        &[
            "db",
            "create",
            "--name",
            "x",
            "-p",
            "upstash",
            "--region",
            "us-east-1",
        ][..],
        &[
            "db",
            "update",
            "a1b2c3d4-0000-4000-8000-000000000001",
            "-p",
            "upstash",
            "--name",
            "y",
            "--set",
            "plan=pro",
        ],
        &[
            "db",
            "update",
            "2145833/13008822",
            "-p",
            "redis-cloud",
            "--memory",
            "1GB",
        ],
        &[
            "db",
            "create",
            "--name",
            "x",
            "-p",
            "redis-enterprise",
            "--memory",
            "1GB",
        ],
        &["db", "create", "--name", "x", "-p", "cosmos"],
        &[
            "db",
            "update",
            "inventory",
            "-p",
            "cosmos",
            "--autoscale-max",
            "4000",
        ],
    ] {
        let mut all = vec!["--demo"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--dry-run", "--json"]);
        let run = sb.run(&all);
        run.code(0);
        let out = run.json();
        let keys: Vec<&str> = out
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["dry_run", "requests", "validated", "answer"],
            "{args:?}"
        );
        let requests = out["requests"].as_array().unwrap();
        assert!(!requests.is_empty());
        for request in requests {
            let keys: Vec<&str> = request
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, ["method", "path", "headers", "body"], "{args:?}");
            assert!(request["headers"].is_object() && request["path"].is_string());
        }
        assert_eq!(out["validated"], Value::Bool(!out["answer"].is_null()));
    }
    let two = sb.run(&[
        "--demo",
        "db",
        "update",
        "a1b2c3d4-0000-4000-8000-000000000001",
        "-p",
        "upstash",
        "--name",
        "y",
        "--set",
        "plan=pro",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(two.json()["requests"].as_array().unwrap().len(), 2);
    // As a table: the requests are an indented block too.
    let table = sb.run(&[
        "--demo",
        "db",
        "create",
        "--name",
        "x",
        "-p",
        "upstash",
        "--region",
        "us-east-1",
        "--dry-run",
    ]);
    table
        .code(0)
        .stdout_has("REQUESTS")
        .stdout_has("- method: POST\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn very_verbose_bodies_are_indented_json_with_secrets_masked() {
    let server = MockServer::start().await;
    (case().mount_get)(&server).await;
    let secrets = (case().secrets)();
    let run = case()
        .sandbox(&server)
        .run(&["db", "get", case().existing_id, "-vv"]);
    run.code(0).no_secrets(&refs(&secrets));
    let body: Vec<&str> = run
        .stderr
        .lines()
        .skip_while(|l| *l != "dbctl: <   body:")
        .skip(1)
        .take_while(|l| l.starts_with("dbctl: <     "))
        .collect();
    assert!(body.len() > 10, "a multi-line body:\n{}", run.stderr);
    assert_eq!(body[0], "dbctl: <     {");
    assert!(
        body.contains(&"dbctl: <       \"database_name\": \"MyRedis\","),
        "{}",
        run.stderr
    );
    assert!(
        body.contains(&"dbctl: <       \"password\": \"***\","),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("\\\""),
        "no escaped one-line JSON:\n{}",
        run.stderr
    );
}

#[test]
fn the_wait_spinner_keeps_its_text_and_logs_print_above_it() {
    let sb = Sandbox::new();
    let screen = terminal(
        &sb,
        120,
        &[
            "--demo",
            "db",
            "wait",
            "2",
            "-p",
            "redis-enterprise",
            "--status",
            "active",
            "--timeout",
            "2",
            "--interval",
            "0.5",
            "-v",
        ],
        "",
    );
    // Each redraw starts at `\r`; a log line clears the spinner's line first.
    let pieces: Vec<&str> = screen.split(['\r', '\n']).collect();
    assert!(
        pieces
            .iter()
            .any(|p| p.contains("waiting for redis-enterprise database 2 to be active: pending")),
        "{screen:?}"
    );
    let logs: Vec<&&str> = pieces.iter().filter(|p| p.contains("dbctl: ")).collect();
    assert!(logs.len() >= 2, "one request log per poll: {screen:?}");
    for piece in logs {
        assert!(
            piece.trim_start_matches("\x1b[2K").starts_with("dbctl: "),
            "a log line written through the spinner: {piece:?}"
        );
    }
    assert!(screen.contains("error: gave up after 2s"), "{screen:?}");
}
