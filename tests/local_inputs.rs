//! Local files and processes as the attacker shapes them: spec and config paths that are
//! FIFOs, devices or endless, keys nested to overflow a parser, the environment `db connect`
//! hands to redis-cli, import URIs kept off the command line, a config file others can write,
//! `-v` lines that must not invent destinations, and the hint for a certificate naming another
//! host.
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{any, query_param};
use wiremock::{Mock, MockServer};

use crate::common::{fixture, mock, reply, requests, when, Run, Sandbox};

fn mkfifo(at: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(at)
        .status()
        .unwrap();
    assert!(made.success());
}

fn symlink(target: &str, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// Runs dbctl and asserts it finished well before a blocked read would have let it.
fn quick(sb: &Sandbox, args: &[&str]) -> Run {
    let started = Instant::now();
    let run = sb.run(args);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}: {run:?}",
        started.elapsed()
    );
    run
}

/// A FIFO (`NAME.fifo`), a link to /dev/zero and a directory in the sandbox, each with the
/// words a refusal names its kind in.
fn not_regular_files(sb: &Sandbox, name: &str) -> [(String, &'static str); 3] {
    let dir = sb.home.path();
    let fifo = dir.join(format!("{name}.fifo"));
    mkfifo(&fifo);
    let zero = dir.join("zero.toml");
    symlink("/dev/zero", &zero);
    [
        (fifo, "a FIFO (named pipe)"),
        (zero, "a character device"),
        (dir.to_path_buf(), "a directory"),
    ]
    .map(|(file, kind)| (file.display().to_string(), kind))
}

#[test]
fn a_spec_must_be_a_regular_file_or_stdin() {
    let sb = Sandbox::new();
    for (file, kind) in not_regular_files(&sb, "spec") {
        let run = quick(&sb, &["plan", "-f", &file]);
        run.code(3);
        assert_eq!(
            run.stderr,
            format!("error: cannot read the spec from {file}: it is {kind}, not a regular file; to read a pipe, give `-` and pipe it to stdin\n")
        );
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn a_spec_is_read_up_to_16_mib_from_a_file_or_stdin() {
    let sb = Sandbox::new();
    let big = sb.home.path().join("big.toml");
    let mut text = "# padding\n".repeat((16 << 20) / 10);
    text.push_str("# one line past 16 MiB\n");
    std::fs::write(&big, &text).unwrap();
    let file = big.display().to_string();
    let run = quick(&sb, &["plan", "-f", &file]);
    run.code(3);
    assert_eq!(
        run.stderr,
        format!("error: cannot read the spec from {file}: it is larger than 16 MiB; refusing to read it\n")
    );
    // Endless stdin stops one byte past the cap.
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let started = Instant::now();
    let output = sb
        .command()
        .args(["plan", "-f", "-"])
        .stdin(zero)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let run = Run::from(output);
    run.code(3);
    assert_eq!(
        run.stderr,
        "error: cannot read the spec from stdin: it is larger than 16 MiB; refusing to read it\n"
    );
}

#[test]
fn stdin_that_never_ends_is_given_up_after_10_seconds() {
    let sb = Sandbox::new();
    let mut child = sb.spawn("plan -f -");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"[[database]]\n").unwrap();
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    let waited = started.elapsed();
    drop(stdin);
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    let run = Run::from(output);
    run.code(3);
    assert_eq!(
        run.stderr,
        "error: cannot read the spec from stdin: stdin was not closed within 10 s\n"
    );
}

#[test]
fn a_config_path_must_be_a_regular_file() {
    let sb = Sandbox::new();
    for (file, kind) in not_regular_files(&sb, "config") {
        for args in [
            vec!["--config", &file, "db", "list"],
            vec!["--config", &file, "config", "validate"],
        ] {
            let run = quick(&sb, &args);
            run.code(3);
            assert_eq!(
                run.stderr,
                format!(
                    "error: cannot read config file {file}: it is {kind}, not a regular file\n"
                )
            );
        }
    }
    // The same through DBCTL_CONFIG, and a CA file that is a device.
    let zero = sb.home.path().join("zero.toml").display().to_string();
    let run = quick(&Sandbox::new().env("DBCTL_CONFIG", &zero), &["db", "list"]);
    run.code(3).stderr_has("it is a character device");
    let sb = Sandbox::new().env("RE_PW", "pw-123456");
    sb.config(&format!(
        "[profiles.onprem]\nprovider = \"redis-enterprise\"\nurl = \"https://127.0.0.1:9\"\nuser = \"a\"\npassword_env = \"RE_PW\"\nca_cert = \"{zero}\"\n"
    ));
    quick(&sb, &["db", "list"]).code(3).stderr_has(&format!(
        "cannot read CA file {zero}: it is a character device, not a regular file"
    ));
}

/// A spec whose only setting is `setting` (line 6).
fn spec_with_setting(setting: &str) -> String {
    format!("[[database]]\nprofile = \"p\"\nname = \"a\"\n\n[database.settings]\n{setting}\n")
}

/// Each way to nest 20,000 levels, and the mix that each bound alone lets through (75 dotted
/// parts inside 75 inline tables: exit 134, a stack overflow, before the scan), with the
/// column where the scan stops it. Under `[database.settings]` or `[profiles.x]` (4 levels:
/// each header part may be an array of tables), `x` is level 5; each `{` and each `a` adds
/// one, each `[` one.
fn deep_values() -> Vec<(&'static str, String, usize)> {
    let dots = ["a"; 20_000].join(".");
    let tables = format!("x = {}1{}", "{a=".repeat(20_000), "}".repeat(20_000));
    let arrays = format!("x = {}1{}", "[".repeat(20_000), "]".repeat(20_000));
    let part = ["a"; 75].join(".");
    let mixed = format!("x = {}1{}", format!("{{{part}=").repeat(75), "}".repeat(75));
    vec![
        ("dotted key", format!("{dots} = 1"), 1),
        ("inline tables", tables, 45),
        ("arrays", arrays, 32),
        ("dotted keys in inline tables", mixed, 6),
    ]
}

#[test]
fn deep_spec_keys_are_exit_3_at_their_line_never_a_stack_overflow() {
    let sb = Sandbox::new();
    for (what, setting, column) in deep_values() {
        let file = sb.home.path().join("deep.toml");
        std::fs::write(&file, spec_with_setting(&setting)).unwrap();
        let file = file.display().to_string();
        let run = sb.run(&["plan", "-f", &file]);
        assert_eq!(run.code, 3, "{what}: {run:?}");
        assert_eq!(
            run.stderr,
            format!("error: {file} line 6, column {column}: keys and values nest more than 32 levels deep (tables, dotted keys and arrays counted together)\n"),
            "{what}"
        );
    }
    // A header as deep, from stdin.
    let header = format!("[{}]\n", ["a"; 20_000].join("."));
    let mut child = sb.spawn("plan -f -");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(header.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let run = Run::from(output);
    run.code(3);
    assert!(
        run.stderr
            .starts_with("error: stdin line 1, column 1: keys and values nest"),
        "{}",
        run.stderr
    );
}

#[test]
fn deep_config_keys_are_exit_3_at_their_line_never_a_stack_overflow() {
    for (what, setting, column) in deep_values() {
        let sb = Sandbox::new();
        let file = sb.config(&format!(
            "[profiles.x]\nprovider = \"upstash\"\n\n\n\n{setting}\n"
        ));
        let file = file.display().to_string();
        let message = format!("config file {file}: keys and values nest more than 32 levels deep (tables, dotted keys and arrays counted together) (line 6, column {column})");
        let run = sb.run("db list");
        assert_eq!(run.code, 3, "{what}: {run:?}");
        assert_eq!(
            run.stderr,
            format!("error: {message}\nhint: `dbctl config validate` checks the whole file\n"),
            "{what}"
        );
        let validate = sb.run("config validate --json");
        assert_eq!(validate.code, 3, "{what}: {validate:?}");
        assert!(
            validate
                .stdout
                .contains("keys and values nest more than 32 levels deep"),
            "{what}: {}",
            validate.stdout
        );
    }
}

const ID: &str = "96ad0856-03b1-4ee7-9666-e81abd0349e1";
const PASSWORD: &str = "fixture-upstash-password-1";

/// Upstash answering `db connect ID` with the fixture record, `endpoint` replaced.
async fn upstash_with_endpoint(endpoint: &str) -> MockServer {
    let mut record: serde_json::Value =
        serde_json::from_str(&fixture("upstash", "database-with-credentials.json")).unwrap();
    record["endpoint"] = json!(endpoint);
    let server = MockServer::start().await;
    mock(
        &server,
        "GET",
        format!("/v2/redis/database/{ID}"),
        reply(200, record),
    )
    .await;
    server
}

/// A PEM certificate the HTTP client can load as a CA file.
fn ca_file(dir: &Path) -> PathBuf {
    let (_, ca) = crate::redis_enterprise::ca_signed_leaf(&["localhost"]);
    let file = dir.join("ca.pem");
    std::fs::write(&file, ca).unwrap();
    file
}

/// Runs `db connect ID --profile prod -- PING` with a profile whose extra lines are `tls`,
/// amid provider credentials and dbctl settings in the environment; (argv, environment) of
/// the redis-cli it started.
fn connect(server: &MockServer, tls: &str) -> String {
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", "ops@example.com")
        .env("UPSTASH_API_KEY", "upstash-key-must-stay")
        .env("UPSTASH_API_URL", format!("{}/v2", server.uri()))
        .env("COSMOS_KEY", "cosmos-key-must-stay")
        .env("REDIS_CLOUD_API_KEY", "rc-key-must-stay")
        .env("REDIS_ENTERPRISE_PASSWORD", "re-password-must-stay")
        .env("DBCTL_TEST_SETTING", "dbctl-must-stay")
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8");
    let tls = tls.replace("CA", &ca_file(sb.home.path()).display().to_string());
    sb.config(&format!(
        "[profiles.prod]\nprovider = \"upstash\"\nemail = \"ops@example.com\"\napi_key_env = \"UPSTASH_API_KEY\"\nurl = \"{}/v2\"\n{tls}\n",
        server.uri()
    ));
    let log = crate::connect::fake_redis_cli(sb.home.path());
    let bin = sb.home.path().join("bin").display().to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let run = Run::from(
        sb.cmd()
            .env("PATH", &path)
            .args(["db", "connect", ID, "--profile", "prod", "--", "PING"])
            .output()
            .unwrap(),
    );
    run.code(0).no_secrets(&[PASSWORD]);
    let argv = std::fs::read_to_string(log).unwrap();
    let argv = argv.lines().next().unwrap().to_string();
    let env = std::fs::read_to_string(sb.home.path().join("redis-cli.env")).unwrap();
    let mut env: Vec<String> = env.lines().map(str::to_string).collect();
    env.sort();
    let home = sb.home.path().display().to_string();
    let expected = vec![
        "HOME=".to_string() + &home,
        "LANG=C.UTF-8".into(),
        "LC_ALL=C.UTF-8".into(),
        format!("PATH={path}"),
        format!("REDISCLI_AUTH={PASSWORD}"),
        "TERM=xterm-256color".into(),
    ];
    assert_eq!(
        env, expected,
        "only what a terminal needs, and the password"
    );
    argv
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_verifies_with_the_profile_ca_and_hands_redis_cli_no_credential() {
    let server = upstash_with_endpoint("beloved-stallion-58500.upstash.io").await;
    let argv = connect(&server, "ca_cert = \"CA\"");
    let ca = argv
        .split("--cacert ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(ca.ends_with("/ca.pem"), "{argv}");
    assert_eq!(
        argv,
        format!("ARGV:-h beloved-stallion-58500.upstash.io -p 6379 --tls --cacert {ca} PING")
    );
    let argv = connect(&server, "ca_cert = \"CA\"\ninsecure = true");
    assert_eq!(
        argv,
        "ARGV:-h beloved-stallion-58500.upstash.io -p 6379 --tls --insecure PING"
    );
    let argv = connect(&server, "");
    assert_eq!(
        argv,
        "ARGV:-h beloved-stallion-58500.upstash.io -p 6379 --tls PING"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_dials_localhost_names_as_127_0_0_1_in_plaintext() {
    for endpoint in ["db-1.emulator.localhost", "Cache.LocalHost."] {
        let server = upstash_with_endpoint(endpoint).await;
        let argv = connect(&server, "ca_cert = \"CA\"");
        assert_eq!(argv, "ARGV:-h 127.0.0.1 -p 6379 PING", "{endpoint}");
    }
}

const RE_PASSWORD: &str = crate::cases::redis_enterprise::PASSWORD;

const IMPORT: &[&str] = &["db", "import", "6", "--source-type", "https", "--yes"];
const URL_A: &str = "https://dumper:s3cret-dump-pw@dumps.example.com/a.rdb";
const URL_B: &str = "https://dumps.example.com/b.rdb?sig=signed-token-xyz";

#[tokio::test(flavor = "multi_thread")]
async fn import_reads_uris_from_stdin_or_a_variable_and_warns_about_argv() {
    let server = crate::redis_enterprise::import_server(json!([
        {"type": "url", "url": URL_A}, {"type": "url", "url": URL_B}
    ]))
    .await;
    let sb = crate::cases::redis_enterprise::case().sandbox(&server);
    let mut child = sb.spawn(&[IMPORT, &["--uri", "-", "-vv"]].concat());
    let lines = format!("{URL_A}\r\n\n  {URL_B}\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let run = Run::from(output);
    run.code(0)
        .no_secrets(&["s3cret-dump-pw", "signed-token-xyz", RE_PASSWORD]);
    assert!(run.stderr.contains("\"url\": \"***\""), "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    server.verify().await;

    let server =
        crate::redis_enterprise::import_server(json!([{"type": "url", "url": URL_A}])).await;
    let sb = crate::cases::redis_enterprise::case()
        .sandbox(&server)
        .env("DUMP_URL", URL_A);
    let run = sb.run(&[IMPORT, &["--uri-env", "DUMP_URL"]].concat());
    run.code(0).no_secrets(&["s3cret-dump-pw"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    server.verify().await;

    let server =
        crate::redis_enterprise::import_server(json!([{"type": "url", "url": URL_A}])).await;
    let sb = crate::cases::redis_enterprise::case().sandbox(&server);
    let run = sb.run(&[IMPORT, &["--uri", URL_A]].concat());
    run.code(0);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(
        warnings,
        ["warning: --uri URI is visible to other local users (`ps`) for the whole run; pass it on stdin with `--uri -` or name a variable with `--uri-env VAR`"]
    );
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn import_refuses_a_missing_variable_or_an_empty_stdin_before_any_request() {
    let server = MockServer::start().await;
    let sb = crate::cases::redis_enterprise::case().sandbox(&server);
    let run = sb.run(&[IMPORT, &["--uri-env", "DBCTL_TEST_UNSET_URL"]].concat());
    run.code(2);
    assert_eq!(
        run.stderr,
        "error: redis-enterprise: --uri-env DBCTL_TEST_UNSET_URL: the variable is not set\n"
    );
    let output = sb
        .command()
        .args(IMPORT)
        .args(["--uri", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run::from(output);
    run.code(2);
    assert_eq!(
        run.stderr,
        "error: redis-enterprise: --uri -: stdin holds no URI (one a line)\n"
    );
    sb.run(IMPORT).code(2).stderr_has("--uri-env");
    assert!(requests(&server).await.is_empty());
}

#[test]
fn a_config_file_others_can_write_is_warned_about() {
    let sb = Sandbox::new();
    let file =
        sb.config("[profiles.x]\nprovider = \"upstash\"\nemail = \"a@b.c\"\napi_key_env = \"K\"\n");
    let set_mode = |mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let warning = |mode: &str| {
        format!(
            "warning: config file {file} is writable by group or others (mode {mode}): they can point its profiles at their own servers; run `chmod go-w {file}`\n",
            file = file.display()
        )
    };
    for (mode, text) in [(0o664, "664"), (0o602, "602"), (0o620, "620")] {
        set_mode(mode);
        let run = sb.run("config show --json");
        run.code(0);
        assert_eq!(
            run.stderr,
            format!(
                "{{\"warning\":{}}}\n",
                serde_json::to_string(warning(text).trim_end().trim_start_matches("warning: "))
                    .unwrap()
            )
        );
        let run = sb.run("config show");
        assert_eq!(run.stderr, warning(text));
    }
    for mode in [0o600, 0o644] {
        set_mode(mode);
        let run = sb.run("config show");
        run.code(0);
        assert_eq!(run.stderr, "", "{mode:o}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_show_paths_with_at_signs_and_queries_as_sent() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(200, json!({})))
        .mount(&server)
        .await;
    let sb = crate::cases::upstash::case().sandbox(&server);
    let base = server.uri();
    for route in ["/@host", "/redis/database/a@b"] {
        let run = sb.run(&["-v", "api", "upstash", "GET", route]);
        run.code(0);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{}", run.stderr);
        assert_eq!(lines[0], format!("dbctl: > GET {base}/v2{route}"));
        assert!(
            lines[1].starts_with(&format!("dbctl: < 200 GET {route} (")),
            "{}",
            lines[1]
        );
    }
    let paths: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(paths, ["/v2/@host", "/v2/redis/database/a@b"]);

    // A dry run's answer line names its query.
    let re = MockServer::start().await;
    when("POST", "/v1/bdbs")
        .and(query_param("dry_run", "true"))
        .respond_with(reply(200, json!({})))
        .expect(1)
        .mount(&re)
        .await;
    let sb = crate::cases::redis_enterprise::case().sandbox(&re);
    let run = sb.run("-v db create --name x --memory 1GB --dry-run");
    run.code(0);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[0],
        format!("dbctl: > POST {}/v1/bdbs?dry_run=true", re.uri())
    );
    assert!(
        lines[1].starts_with("dbctl: < 200 POST /v1/bdbs?dry_run=true ("),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_for_another_host_is_not_told_to_turn_verification_off() {
    let (leaf, ca) = crate::redis_enterprise::ca_signed_leaf(&["cluster.other.example"]);
    let (port, heads) = crate::redis_enterprise::tls_server(&leaf).await;
    let sb =
        crate::cases::redis_enterprise::case().sandbox_at(&format!("https://127.0.0.1:{port}"));
    let file = sb.home.path().join("ca.pem");
    std::fs::write(&file, ca).unwrap();
    let sb = sb.env("REDIS_ENTERPRISE_CA_CERT", file.display().to_string());
    let run = sb.run("db list --retries 1");
    run.code(10).stderr_has("not valid for name");
    let hint = run
        .stderr
        .lines()
        .find(|l| l.starts_with("hint: "))
        .unwrap();
    assert_eq!(
        hint,
        "hint: the server's certificate does not name 127.0.0.1: connect by a name it was issued for, or check that the CA file (ca_cert) is the one for this server"
    );
    assert!(
        !run.stderr.to_lowercase().contains("insecure"),
        "{}",
        run.stderr
    );
    assert!(heads.lock().unwrap().is_empty());

    // Any other refusal keeps the CA-or-skip hint.
    let (other, _) = crate::redis_enterprise::ca_signed_leaf(&["127.0.0.1"]);
    let (port, _) = crate::redis_enterprise::tls_server(&other).await;
    let sb =
        crate::cases::redis_enterprise::case().sandbox_at(&format!("https://127.0.0.1:{port}"));
    sb.run("db list --retries 1")
        .code(10)
        .stderr_has("hint: trust the server's certificate with REDIS_ENTERPRISE_CA_CERT");
}
