//! Shared test helpers: run the real binary with a clean environment, load fixtures, and
//! scan output for secrets. Every provider's tests use these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::cases::Case;

/// How much faster than real time the emulator's clock runs in tests that should not wait
/// for it (`DBCTL_EMULATOR_SPEED`, `emulator serve --speed`): the demo's 20 s change takes
/// 0.2 ms, a Redis Cloud task 12 µs.
pub const SPEED: &str = "100000";

/// A clean sandbox per test: empty HOME and XDG config, no provider variables.
pub struct Sandbox {
    pub home: TempDir,
    env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            home: tempfile::tempdir().expect("tempdir"),
            env: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// `--demo` runs on the emulator's fast clock ([`SPEED`]).
    pub fn fast(self) -> Self {
        self.env("DBCTL_EMULATOR_SPEED", SPEED)
    }

    pub fn set_env(&mut self, key: &str, value: impl Into<String>) {
        self.env.push((key.to_string(), value.into()));
    }

    /// Writes the default config file ($XDG_CONFIG_HOME/dbctl/config.toml), mode 600.
    pub fn config(&self, text: &str) -> PathBuf {
        let path = self.home.path().join(".config/dbctl/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    }

    /// The binary with a cleared environment (PATH kept), ready for arguments.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::from_std(self.command());
        cmd.timeout(std::time::Duration::from_secs(60));
        cmd
    }

    /// [`Sandbox::cmd`] as a plain process, for tests that spawn it and act on it while it runs.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbctl"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Starts `dbctl ARGS` with stdin, stdout and stderr piped, to feed it and read it.
    pub fn spawn(&self, args: impl Words) -> std::process::Child {
        use std::process::Stdio;
        self.command()
            .args(args.words())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dbctl")
    }

    /// Runs `dbctl ARGS` and returns what a user sees: `sb.run("db get 'Food DB' --json")`
    /// (see [`Words`]) or `sb.run(&["db", "get", &id])`.
    pub fn run(&self, args: impl Words) -> Run {
        Run::from(self.cmd().args(args.words()).output().expect("run dbctl"))
    }
}

/// A command line: one string split as a shell splits it (white space between words; single
/// or double quotes keep a word with spaces whole, `''` an empty one), or the words themselves.
pub trait Words {
    fn words(self) -> Vec<String>;
}

impl Words for &str {
    fn words(self) -> Vec<String> {
        split(self)
    }
}

impl Words for String {
    fn words(self) -> Vec<String> {
        split(&self)
    }
}

impl<S: AsRef<str>> Words for &[S] {
    fn words(self) -> Vec<String> {
        self.iter().map(|w| w.as_ref().to_string()).collect()
    }
}

impl<S: AsRef<str>, const N: usize> Words for &[S; N] {
    fn words(self) -> Vec<String> {
        self[..].words()
    }
}

impl<S: AsRef<str>> Words for &Vec<S> {
    fn words(self) -> Vec<String> {
        self[..].words()
    }
}

/// `db get 'Food DB' -p cosmos` → `["db", "get", "Food DB", "-p", "cosmos"]`.
fn split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    assert!(quote.is_none(), "an unclosed quote in {line:?}");
    words.extend(word);
    words
}

/// What `f` gives, and how long it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, std::time::Duration) {
    let started = std::time::Instant::now();
    let value = f();
    (value, started.elapsed())
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing both streams when it differs.
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n--- stderr\n{}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    /// Asserts none of the secrets appear on stdout or stderr.
    pub fn no_secrets(&self, secrets: &[&str]) -> &Self {
        assert_no_secrets(&self.stdout, &self.stderr, secrets);
        self
    }
}

/// Borrowed views of owned secrets, for [`Run::no_secrets`].
pub fn refs(secrets: &[String]) -> Vec<&str> {
    secrets.iter().map(String::as_str).collect()
}

/// Also in the escaped forms a secret takes inside JSON (`-vv` bodies, `--raw`) or a quoted
/// Rust string, so a secret with a quote or a backslash cannot slip past.
pub fn assert_no_secrets(stdout: &str, stderr: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        let json = serde_json::to_string(secret).unwrap();
        let debug = format!("{secret:?}");
        for form in [
            *secret,
            &json[1..json.len() - 1],
            &debug[1..debug.len() - 1],
        ] {
            assert!(
                !stdout.contains(form),
                "secret {secret:?} leaked on stdout as {form:?}:\n{stdout}"
            );
            assert!(
                !stderr.contains(form),
                "secret {secret:?} leaked on stderr as {form:?}:\n{stderr}"
            );
        }
    }
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The text of `fixtures/<provider>/<name>`.
pub fn fixture(provider: &str, name: &str) -> String {
    let path = fixtures_dir().join(provider).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

pub fn fixture_json(provider: &str, name: &str) -> Value {
    serde_json::from_str(&fixture(provider, name)).expect("fixture JSON")
}

/// Every string value under a secret-named key in a fixture: what must never be printed.
pub fn fixture_secrets(provider: &str, name: &str) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let k = k.to_ascii_lowercase();
                    let secret = k.contains("password")
                        || k.contains("token")
                        || k.contains("secret")
                        || k.starts_with("authentication_")
                        || k.ends_with("_pass");
                    match v {
                        Value::String(s) if secret && !s.is_empty() => out.push(s.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&fixture_json(provider, name), &mut out);
    assert!(
        !out.is_empty(),
        "fixture {provider}/{name} holds no secret to scan for"
    );
    out
}

/// The requests a wiremock server received, as (method, path?query).
pub async fn requests(server: &wiremock::MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

/// The requests `server` received with the method `verb`, in order.
pub async fn requests_by_method(
    server: &wiremock::MockServer,
    verb: &str,
) -> Vec<wiremock::Request> {
    requests(server)
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == verb)
        .collect()
}

/// How many requests `server` received with the method `verb`.
pub async fn requests_with_method(server: &wiremock::MockServer, verb: &str) -> usize {
    requests_by_method(server, verb).await.len()
}

/// How many requests `server` received for the path `route`.
pub async fn requests_to_path(server: &wiremock::MockServer, route: &str) -> usize {
    requests(server)
        .await
        .iter()
        .filter(|r| r.url.path() == route)
        .count()
}

/// A request header's value, when it is text.
pub fn header_of(request: &wiremock::Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `dbctl emulator serve` on a free port, killed when dropped; state lasts across commands.
pub struct Served {
    child: std::process::Child,
    /// The `export` lines it printed, as (name, value).
    pub vars: Vec<(String, String)>,
}

impl Served {
    pub fn start(extra: &[&str]) -> Served {
        Served::spawn(Served::command(extra))
    }

    /// [`Served::start`] on the fast clock ([`SPEED`]).
    pub fn fast(extra: &[&str]) -> Served {
        Served::start(&[&["--speed", SPEED], extra].concat())
    }

    /// `dbctl emulator serve --port 0 EXTRA`, environment cleared, stderr discarded: to adjust
    /// before [`Served::spawn`].
    pub fn command(extra: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbctl"));
        command
            .args(["emulator", "serve", "--port", "0"])
            .args(extra)
            .env_clear()
            .stderr(std::process::Stdio::null());
        command
    }

    /// Runs `command`, an `emulator serve` however started, and reads its `export` lines.
    pub fn spawn(mut command: std::process::Command) -> Served {
        use std::io::BufRead;
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut vars = Vec::new();
        // The block of `export` lines ends with a `#` comment line.
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("emulator output");
            match line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
                Some((name, value)) => vars.push((name.to_string(), value.to_string())),
                None => break,
            }
        }
        assert!(!vars.is_empty(), "the emulator printed no variables");
        Served { child, vars }
    }

    pub fn var(&self, name: &str) -> String {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("the emulator printed no {name}"))
    }

    /// A sandbox configured for every emulated provider.
    pub fn sandbox(&self) -> Sandbox {
        self.sandbox_for("")
    }

    /// A sandbox with only the variables starting with `prefix` (one provider).
    pub fn sandbox_for(&self, prefix: &str) -> Sandbox {
        self.vars
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v.clone()))
    }
}

impl Served {
    /// Sends SIGTERM (a service manager's or `docker stop`'s stop) and waits for the exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -TERM {pid}");
        self.child.wait().expect("wait for the emulator")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The database password the hostile records of [`mount_record`] carry.
pub const DB_PASSWORD: &str = "hostile-db-password-1";

/// The mock of requests with the method `verb` to `route`, to add matchers, an answer and
/// expectations to: `when("POST", "/v1/bdbs").and(body_json(..)).respond_with(..)`.
pub fn when(verb: &str, route: impl Into<String>) -> MockBuilder {
    Mock::given(method(verb)).and(path(route))
}

/// Answers `reply` to every `verb` request to `route`.
pub async fn mock(
    server: &MockServer,
    verb: &str,
    route: impl Into<String>,
    reply: ResponseTemplate,
) {
    when(verb, route).respond_with(reply).mount(server).await;
}

/// An answer with a JSON body.
pub fn reply(status: u16, body: impl serde::Serialize) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// An answer whose JSON body is `fixtures/<provider>/<name>`, byte for byte.
pub fn fixture_reply(status: u16, provider: &str, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(provider, name), "application/json")
}

/// Answers `GET route` with a fixed JSON document.
pub async fn answer(server: &MockServer, route: &str, body: Value) {
    mock(server, "GET", route, reply(200, body)).await;
}

/// One database record per provider with `name`, `status`, `region`, `endpoint` and `plan`
/// (where the provider has them) set to what the test wants, mounted for list and get.
/// Returns the id `db get` takes.
pub async fn mount_record(
    case: &Case,
    server: &MockServer,
    text: &str,
    host: &str,
) -> &'static str {
    match case.provider {
        "upstash" => {
            let record = json!({"database_id": "u1", "database_name": text, "state": text,
                "primary_region": text, "endpoint": host, "port": 6379, "tls": true,
                "plan": text, "password": DB_PASSWORD});
            answer(server, "/v2/redis/databases", json!([record])).await;
            answer(server, "/v2/redis/database/u1", record).await;
            "u1"
        }
        "redis-cloud" => {
            let record = json!({"databaseId": 1, "name": text, "status": text, "region": text,
                "publicEndpoint": format!("{host}:12000"),
                "security": {"password": DB_PASSWORD, "enableTls": true}});
            answer(
                server,
                "/v1/subscriptions",
                json!({"subscriptions": [{"id": 7}]}),
            )
            .await;
            answer(
                server,
                "/v1/fixed/subscriptions",
                json!({"subscriptions": []}),
            )
            .await;
            answer(
                server,
                "/v1/subscriptions/7/databases",
                json!({"subscription": [{"subscriptionId": 7, "databases": [record]}]}),
            )
            .await;
            answer(server, "/v1/subscriptions/7/databases/1", record).await;
            "7/1"
        }
        "redis-enterprise" => {
            let record = json!({"uid": 1, "name": text, "status": text, "port": 12000,
                "endpoints": [{"dns_name": host, "port": 12000}],
                "authentication_redis_pass": DB_PASSWORD});
            answer(server, "/v1/bdbs", json!([record])).await;
            answer(server, "/v1/bdbs/1", record).await;
            "1"
        }
        _ => {
            let record = json!({"id": text, "_rid": "qicAAA=="});
            answer(server, "/dbs", json!({"Databases": [record]})).await;
            "cosmos-db"
        }
    }
}

/// An external program a test needs (`groff`), from the PATH. Without it the test cannot
/// run: under `CI=true` that is a failure (`.ci/run` installs it, `how` says how); elsewhere
/// the test says it skipped and returns.
pub fn tool(name: &str, how: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        missing(&format!("{name} is not installed ({how})"));
    }
    found
}

/// Says a test cannot run for want of `what`: a failure under `CI=true`, else a skip note.
pub fn missing(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {what}"
    );
    eprintln!("SKIPPED: {what}");
}

pub mod redis_server;

#[test]
fn command_lines_split_as_a_shell_splits_them() {
    assert_eq!(
        split("  db get 'Food DB' -p cosmos --name \"a 'b'\" ''  "),
        ["db", "get", "Food DB", "-p", "cosmos", "--name", "a 'b'", ""]
    );
    assert_eq!(split("--set a=\"x y\"z"), ["--set", "a=x yz"]);
    assert!(split(" \t").is_empty());
}
