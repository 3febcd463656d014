//! CI outputs under attack: a provider answer, a spec file or a Redis endpoint puts newlines,
//! carriage returns, GitHub Actions workflow commands (`::error::`, `::add-mask::`,
//! `##[error]`), U+FFFE, a bidi override and DEL in its text. Every format keeps each value on
//! its line and forms no workflow command; JSON and YAML read back to the exact bytes; JUnit is
//! well-formed XML that counts a profile it could not read as an error; a Cosmos connection
//! string is never built from a value that would change its structure.
use std::io::{Read, Write};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cases::{all as cases, Case};
use crate::common::{answer, mock, mount_record, reply, requests, Run, Sandbox};

/// Starts with a command, hides more after a newline, a carriage return and an ideographic
/// space (whitespace to the runner), and ends in characters XML or a terminal must not get.
const HOSTILE: &str =
    "::error::pwned\n::add-mask::x\r##[error]pwned \u{3000}::warning::w\u{FFFE}\u{202E}\u{7f}";
/// [`HOSTILE`] after its first `::`, as tables, detail views, CSV and JUnit show it.
const VISIBLE_TAIL: &str =
    "error::pwned\\n\\x3a:add-mask::x\\r\\x23#[error]pwned \u{3000}\\x3a:warning::w\\u{fffe}\\u{202e}\\x7f";
/// [`HOSTILE`] as a YAML double-quoted scalar: the same value to a parser.
const YAML_FORM: &str = "\"\\u003a:error::pwned\\n\\u003a:add-mask::x\\r\\u0023#[error]pwned \u{3000}\\u003a:warning::w\\ufffe\\u202e\\u007f\"";
/// [`HOSTILE`] inside a TOML basic string, for spec files.
const TOML_FORM: &str =
    "\"::error::pwned\\n::add-mask::x\\r##[error]pwned \u{3000}::warning::w\\uFFFE\\u202E\\u007F\"";

/// [`HOSTILE`] as a whole cell shows it.
fn visible() -> String {
    format!("\\x3a:{VISIBLE_TAIL}")
}

/// What a GitHub Actions runner would act on, or a terminal or XML parser choke on: a control
/// character other than the line feed, a bidi mark, U+FFFE/U+FFFF, a line that starts (after
/// whitespace, as the runner trims it) with `::`, or `##[` anywhere in a line.
fn assert_ci_safe(text: &str, what: &str) {
    for line in text.split('\n') {
        let bad = line.chars().find(|&c| {
            c.is_control()
                || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
        });
        assert!(
            bad.is_none(),
            "{what}: raw {bad:?} in {:?}\n{text}",
            line.escape_debug().to_string()
        );
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a workflow command line {line:?}\n{text}"
        );
        assert!(
            !line.contains("##["),
            "{what}: a legacy workflow command in {line:?}\n{text}"
        );
    }
}

fn assert_run_safe(run: &Run, what: &str) {
    assert_ci_safe(&run.stdout, &format!("{what} (stdout)"));
    assert_ci_safe(&run.stderr, &format!("{what} (stderr)"));
}

fn yaml(run: &Run) -> Value {
    serde_yaml::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not YAML ({e}):\n{}", run.stdout))
}

fn case(provider: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.provider == provider)
        .expect("a provider case")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_format_of_every_provider_keeps_hostile_text_inert_and_exact() {
    let shown = visible();
    for case in cases() {
        let who = case.provider;
        let server = MockServer::start().await;
        let id = mount_record(&case, &server, HOSTILE, "ok.example.com").await;
        let sb = case.sandbox(&server);
        let run = |args: &[&str]| {
            let run = sb.run(args);
            run.code(0);
            assert_run_safe(&run, &format!("{who} {args:?}"));
            run
        };
        for format in ["table", "wide"] {
            let table = run(&["db", "list", "-o", format]);
            assert!(
                table.stdout.contains(&format!("  {shown}  ")),
                "{who}: {}",
                table.stdout
            );
        }
        let list = run(&["db", "list", "-o", "json"]);
        assert_eq!(list.json()[0]["name"], HOSTILE, "{who}");
        assert!(list.stdout.contains("\\u0023#[error]pwned"), "{who}");
        let list = run(&["db", "list", "-o", "yaml"]);
        assert_eq!(yaml(&list)[0]["name"], HOSTILE, "{who}");
        assert!(list.stdout.contains(YAML_FORM), "{who}: {}", list.stdout);
        let csv = run(&["db", "list", "-o", "csv"]);
        let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
        let name = reader.headers().unwrap().iter().position(|h| h == "name");
        let row = reader.records().next().expect("a row").expect("CSV");
        assert_eq!(&row[name.expect("a name column")], shown, "{who}");
        // `api` prints the provider's own document: still exact, still inert.
        let api_path = match who {
            "upstash" => "/redis/databases",
            "redis-cloud" => "/subscriptions/7/databases",
            "redis-enterprise" => "/v1/bdbs",
            _ => "/dbs",
        };
        let api = run(&["api", who, "GET", api_path]);
        let hostile_json = serde_json::to_string(HOSTILE).unwrap();
        assert!(api.json().to_string().contains(&hostile_json), "{who}");
        if who == "cosmos" {
            // A Cosmos database is listed only; its id is the hostile text.
            continue;
        }
        let export = run(&["export"]);
        let spec: toml::Value = toml::from_str(&export.stdout).expect("a TOML spec");
        assert_eq!(spec["database"][0]["name"].as_str(), Some(HOSTILE), "{who}");
        let detail = run(&["db", "get", id]);
        assert!(
            detail
                .stdout
                .lines()
                .any(|l| l.strip_prefix(" NAME ").map(str::trim_start) == Some(&shown)),
            "{who}: {}",
            detail.stdout
        );
        let raw = run(&["db", "get", id, "--raw"]);
        assert!(raw.stdout.contains(YAML_FORM), "{who}: {}", raw.stdout);
        for format in ["json", "yaml"] {
            let get = run(&["db", "get", id, "--raw", "-o", format]);
            let record = if format == "json" {
                get.json()
            } else {
                yaml(&get)
            };
            assert_eq!(record["name"], HOSTILE, "{who} {format}");
            assert_eq!(record["provider_status"], HOSTILE, "{who} {format}");
        }
        run(&["db", "get", id, "-o", "csv"]);
    }
}

/// The exact bytes of the detail view and the CSV for one provider.
#[tokio::test(flavor = "multi_thread")]
async fn the_detail_view_and_csv_show_each_value_on_its_line() {
    let upstash = case("upstash");
    let server = MockServer::start().await;
    mount_record(&upstash, &server, HOSTILE, "ok.example.com").await;
    let sb = upstash.sandbox(&server);
    let v = visible();
    let detail = sb.run("db get u1");
    assert_eq!(
        detail.code(0).stdout,
        format!(
            " PROVIDER         upstash\n PROFILE          upstash\n ID               u1\n \
             NAME             {v}\n STATUS           unknown\n PROVIDER STATUS  {v}\n \
             REGION           {v}\n ENDPOINT         ok.example.com\n PORT             6379\n \
             TLS              true\n MEMORY LIMIT     -\n PLAN             -\n \
             CREATED AT       -\n REGIONS          -\n"
        )
    );
    let csv = sb.run("db list -o csv");
    assert_eq!(
        csv.code(0).stdout,
        format!(
            "provider,profile,id,name,status,provider_status,region,endpoint,port,tls,\
             memory_limit_bytes,plan,created_at\nupstash,upstash,u1,{v},unknown,{v},{v},\
             ok.example.com,6379,true,,,\n"
        )
    );
}

/// A provider's own keys reach the `--raw` views: a nested YAML block in the detail table
/// writes them, and every string in them, on one line each.
#[tokio::test(flavor = "multi_thread")]
async fn nested_blocks_in_raw_detail_views_escape_keys_and_values() {
    let re = case("redis-enterprise");
    let server = MockServer::start().await;
    let key = "x\n::add-mask::k ##[error]k";
    let record = json!({"uid": 1, "name": "db", "status": "active", "port": 12000,
        "endpoints": [{"dns_name": "ok.example.com", "port": 12000}],
        key: {"list": [HOSTILE]}});
    answer(&server, "/v1/bdbs/1", record).await;
    let sb = re.sandbox(&server);
    let table = sb.run("db get 1 --raw");
    assert_run_safe(table.code(0), "get --raw");
    let block: Vec<&str> = table
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with(" RAW "))
        .map(str::trim)
        .collect();
    assert_eq!(
        block,
        [
            "RAW              uid: 1",
            "name: db",
            "status: active",
            "port: 12000",
            "endpoints:",
            "- dns_name: ok.example.com",
            "port: 12000",
            "\"x\\n\\u003a:add-mask::k \\u0023#[error]k\":",
            "list:",
            &format!("- {YAML_FORM}"),
        ]
    );
    let json = sb.run("db get 1 --raw --json");
    assert_run_safe(json.code(0), "get --raw --json");
    assert_eq!(json.json()["raw"][key]["list"][0], HOSTILE);
}

/// A Redis endpoint that accepts AUTH and answers every other command with an error made of
/// hostile bytes.
fn hostile_redis() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    let auth = buf[..n].windows(4).any(|w| w.eq_ignore_ascii_case(b"AUTH"));
                    let reply = if auth {
                        "+OK\r\n".to_string()
                    } else {
                        "-ERR ::add-mask::x ##[error]pwned \u{FFFE}\u{202E}\u{7f}\r\n".to_string()
                    };
                    if stream.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn ping_views_escape_hostile_redis_replies() {
    let port = hostile_redis();
    let server = MockServer::start().await;
    let record = json!({"database_id": "u1", "database_name": HOSTILE, "state": "active",
        "primary_region": "us-east-1", "endpoint": "127.0.0.1", "port": port, "tls": false,
        "password": "ping-password-1"});
    answer(&server, "/v2/redis/databases", json!([record])).await;
    answer(&server, "/v2/redis/database/u1", record).await;
    let sb = case("upstash").sandbox(&server);
    let reply = "::add-mask::x ##[error]pwned \u{FFFE}\u{202E}\u{7f}";

    let detail = sb.run("db ping u1");
    assert_run_safe(&detail, "ping detail");
    assert_ne!(detail.code, 0);
    let error = detail.stdout.lines().find(|l| l.starts_with(" ERROR "));
    assert!(
        error.is_some_and(
            |l| l.ends_with("\\x3a:add-mask::x \\x23#[error]pwned \\u{fffe}\\u{202e}\\x7f")
        ),
        "{}",
        detail.stdout
    );
    assert!(detail
        .stdout
        .contains(&format!(" NAME         {}\n", visible())));
    for format in ["json", "yaml"] {
        let run = sb.run(&["db", "ping", "u1", "-o", format]);
        assert_run_safe(&run, format);
        let record = if format == "json" {
            run.json()
        } else {
            yaml(&run)
        };
        assert_eq!(record["name"], HOSTILE);
        let error = record["error"].as_str().expect("an error");
        assert!(error.contains(reply), "{error:?}");
    }
    assert_run_safe(&sb.run("db ping"), "ping table");
    assert_run_safe(&sb.run("db ping -o csv"), "ping csv");
}

/// One `<testsuites>` element's count.
fn count(doc: &roxmltree::Document, attribute: &str) -> u32 {
    doc.root_element()
        .attribute(attribute)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {attribute} count"))
}

/// The JUnit report parsed by a strict XML 1.0 parser.
fn junit(run: &Run) -> roxmltree::Document<'_> {
    assert_run_safe(run, "junit");
    roxmltree::Document::parse(&run.stdout)
        .unwrap_or_else(|e| panic!("JUnit is not well-formed XML ({e}):\n{}", run.stdout))
}

#[tokio::test(flavor = "multi_thread")]
async fn junit_is_well_formed_and_counts_an_unread_profile_as_an_error() {
    // The parser is a real check: a raw U+FFFE or control character is refused.
    for bad in ["<a b=\"\u{FFFE}\"/>", "<a>\u{1b}</a>"] {
        assert!(roxmltree::Document::parse(bad).is_err(), "{bad:?}");
    }
    let upstash = case("upstash");
    let server = MockServer::start().await;
    let id = mount_record(&upstash, &server, HOSTILE, "ok.example.com").await;
    let broken = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403).set_body_string(HOSTILE))
        .mount(&broken)
        .await;
    let mut sb = upstash.sandbox(&server);
    for (key, value) in (case("redis-enterprise").env)(&broken.uri()) {
        sb.set_env(key, value);
    }
    let name = format!("{id} (::{VISIBLE_TAIL})");

    // Nothing at --fail-on, one profile unreadable: exit 12, and the report says so.
    let run = sb.run("check --rule tls --format junit");
    run.code(12);
    let doc = junit(&run);
    assert_eq!((count(&doc, "errors"), count(&doc, "failures")), (1, 0));
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2, "{}", run.stdout);
    assert_eq!(cases[0].attribute("name"), Some(name.as_str()));
    assert_eq!(cases[0].attribute("classname"), Some("upstash.upstash"));
    assert_eq!(cases[1].attribute("name"), Some("redis-enterprise"));
    let error = cases[1]
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error> for the unread profile");
    assert_eq!(error.attribute("type"), Some("auth"));
    let message = error.attribute("message").expect("a message");
    assert!(
        message.starts_with("redis-enterprise answered 403"),
        "{message}"
    );

    // A hostile status in a failure's message, every rule: exit 13, still well-formed.
    let run = sb.run("check --format junit");
    run.code(13);
    let doc = junit(&run);
    assert!(count(&doc, "errors") >= 1 && count(&doc, "failures") >= 1);
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure") && n.attribute("type") == Some("error"))
        .expect("the status failure");
    assert_eq!(
        failure.attribute("message"),
        Some(format!("status is unknown (::{VISIBLE_TAIL})").as_str())
    );
}

/// A spec with the hostile name and region for a database to create, next to a provider's
/// database with the hostile name that the spec does not list.
async fn hostile_plan() -> (MockServer, MockServer, Sandbox, std::path::PathBuf) {
    let upstash = MockServer::start().await;
    answer(&upstash, "/v2/redis/databases", json!([])).await;
    let re = MockServer::start().await;
    mount_record(&case("redis-enterprise"), &re, HOSTILE, "ok.example.com").await;
    let mut sb = case("upstash").sandbox(&upstash);
    for (key, value) in (case("redis-enterprise").env)(&re.uri()) {
        sb.set_env(key, value);
    }
    let spec = sb.home.path().join("fleet.toml");
    std::fs::write(
        &spec,
        format!(
            "profiles = [\"redis-enterprise\"]\n\n[[database]]\nprofile = \"upstash\"\n\
             name = {TOML_FORM}\nregion = {TOML_FORM}\n"
        ),
    )
    .unwrap();
    (upstash, re, sb, spec)
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_apply_tables_escape_hostile_specs_and_providers() {
    let (upstash, _re, sb, spec) = hostile_plan().await;
    let file = spec.to_str().unwrap();
    // Names with controls and bidi marks are refused before any plan (exit 3): the refusal
    // shows them inert, and nothing is sent.
    for extra in [&[][..], &["--json"], &["-o", "yaml"], &["-o", "csv"]] {
        for command in [&["plan", "-f", file][..], &["apply", "-f", file, "--yes"]] {
            let run = sb.run(&[command, extra].concat());
            assert_run_safe(run.code(3), &format!("{command:?} {extra:?}"));
            assert_eq!(run.stdout, "");
        }
    }
    assert!(requests(&upstash)
        .await
        .iter()
        .all(|r| r.method.as_str() == "GET"));

    // A hostile value (not a name) is planned, and every format shows it inert.
    std::fs::write(
        &spec,
        format!("[[database]]\nprofile = \"upstash\"\nname = \"new\"\nregion = {TOML_FORM}\n"),
    )
    .unwrap();
    let plan = sb.run(&["plan", "-f", file]);
    plan.code(13);
    assert_run_safe(&plan, "plan");
    let lines: Vec<Vec<&str>> = plan
        .stdout
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        lines,
        [
            vec!["ACTION", "PROFILE", "NAME", "ID", "CHANGES"],
            vec![
                "+ create",
                "upstash",
                "new",
                "-",
                &format!("region=::{VISIBLE_TAIL}")
            ],
        ],
        "{}",
        plan.stdout
    );
    let json = sb.run(&["plan", "-f", file, "--json"]);
    assert_run_safe(json.code(13), "plan --json");
    let actions = json.json();
    assert_eq!(actions[0]["changes"][0]["to"], HOSTILE);
    let yaml_plan = sb.run(&["plan", "-f", file, "-o", "yaml"]);
    assert_run_safe(yaml_plan.code(13), "plan -o yaml");
    assert_eq!(yaml(&yaml_plan), actions);
    assert_run_safe(&sb.run(&["plan", "-f", file, "-o", "csv"]), "plan -o csv");
    assert_run_safe(
        &sb.run(&["plan", "-f", file, "-o", "markdown"]),
        "plan -o markdown",
    );

    let dry = sb.run(&["apply", "-f", file, "--dry-run"]);
    assert_run_safe(&dry, "apply --dry-run");

    // The create is refused with the hostile text: the results table shows it inert.
    mock(
        &upstash,
        "POST",
        "/v2/redis/database",
        ResponseTemplate::new(400).set_body_string(HOSTILE),
    )
    .await;
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["apply", "-f", file, "--yes"];
        args.extend_from_slice(extra);
        let apply = sb.run(&args);
        assert_ne!(apply.code, 0, "{apply:?}");
        assert_run_safe(&apply, &format!("apply {extra:?}"));
        assert!(apply.stdout.contains("failed"), "{}", apply.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_spec_path_is_escaped_in_the_no_differences_line() {
    let server = MockServer::start().await;
    answer(&server, "/v2/redis/databases", json!([])).await;
    let sb = case("upstash").sandbox(&server);
    let dir = sb.home.path().join("specs");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("a\n::add-mask::x ##[error]b.toml");
    std::fs::write(&spec, "profiles = [\"upstash\"]\n").unwrap();
    let run = sb.run(&["plan", "-f", spec.to_str().unwrap()]);
    assert_run_safe(run.code(0), "plan");
    assert_eq!(
        run.stdout,
        format!(
            "No differences: the fleet matches {}/a\\n\\x3a:add-mask::x \\x23#[error]b.toml.\n",
            dir.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cosmos_connection_strings_refuse_values_that_change_their_structure() {
    let cosmos = case("cosmos");
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(200, json!({"id": "x", "_rid": "qicAAA=="})))
        .mount(&server)
        .await;
    let sb = cosmos.sandbox(&server);
    let forms: [&[&str]; 4] = [
        &[],
        &["--format", "env"],
        &["--json"],
        &["--show-secrets", "-o", "yaml"],
    ];
    for id in ["orders;AccountKey=evil", "a=b", "a\"b", "a'b"] {
        for form in forms {
            let mut args = vec!["db", "url", id];
            args.extend_from_slice(form);
            let run = sb.run(&args);
            run.code(8);
            assert_eq!(run.stdout, "", "{args:?}");
            if !form.contains(&"--json") {
                assert_eq!(
                    run.stderr,
                    "error: refusing to print the connection string: the cosmos database id \
                     holds `;`, `=`, a quote or a control character, which would change its \
                     structure\nhint: a connection string is KEY=VALUE pairs split at `;`: \
                     connect with the endpoint, key and database id instead\n",
                    "{args:?}"
                );
            }
        }
    }
    // An account whose endpoint host would add a key: reached through a proxy, refused.
    let hostile_host = cosmos
        .sandbox_at("http://evil;accountkey=x'.example")
        .env("http_proxy", server.uri());
    for form in forms {
        let mut args = vec!["db", "url", "orders"];
        args.extend_from_slice(form);
        let run = hostile_host.run(&args);
        run.code(8);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.contains("accountkey=x"), "{}", run.stderr);
    }
    // A plain id and host give the one string.
    let host = server.address();
    let url = sb.run("db url orders");
    assert_eq!(
        url.code(0).stdout,
        format!("AccountEndpoint=http://{host}/;AccountKey=***;Database=orders\n")
    );
    let env = sb.run("db url orders --format env");
    assert_eq!(
        env.code(0).stdout,
        format!(
            "COSMOS_CONNECTION_STRING=AccountEndpoint=http://{host}/;AccountKey=***;Database=orders\n"
        )
    );
}
