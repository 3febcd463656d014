//! `dbctl mcp` as an agent meets it: the official MCP client SDK (Python, PyPI `mcp`) drives
//! the real binary over stdio, under `--demo` and against wiremock, and every message that
//! crosses the pipe is kept and read back (tests/mcp/client.py is the client).
//!
//! The interpreter is `$DBCTL_TEST_MCP_PYTHON` (`.ci/run` makes a venv with the SDK), else
//! `python3` when it can import `mcp`; without either the tests say so and return, except under
//! `CI=true`, where a missing SDK is a failure.
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cases;
use crate::common::{assert_no_secrets, fixture, requests_by_method, Sandbox};

/// The interpreter that has the SDK, or `None` (after saying why) when the tests cannot run.
fn python() -> Option<String> {
    let imports_sdk = |python: &str| {
        std::process::Command::new(python)
            .args(["-c", "import mcp.client.stdio"])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if let Ok(python) = std::env::var("DBCTL_TEST_MCP_PYTHON") {
        assert!(
            imports_sdk(&python),
            "DBCTL_TEST_MCP_PYTHON={python} cannot import mcp"
        );
        return Some(python);
    }
    if imports_sdk("python3") {
        return Some("python3".into());
    }
    let note = "the MCP Python SDK is not installed: set DBCTL_TEST_MCP_PYTHON to a python with \
                `mcp>=2.3,<3` (`.ci/run` does), or `pip install 'mcp>=2.3,<3'`";
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {note}"
    );
    eprintln!("SKIPPED the MCP client tests: {note}");
    None
}

/// The SDK's client, serving one `dbctl mcp` run.
struct Client {
    driver: Child,
    requests: ChildStdin,
    answers: Receiver<String>,
}

/// What crossed the pipe during a session: every JSON-RPC message both ways, and stderr.
struct Session {
    messages: Vec<String>,
    stderr: String,
}

impl Client {
    /// `dbctl ARGS` in the sandbox's environment, initialized; `None` when the SDK is missing.
    fn start(sb: &Sandbox, args: &[&str]) -> Option<(Client, Value)> {
        let python = python()?;
        let server = sb.command();
        let env: serde_json::Map<String, Value> = server
            .get_envs()
            .filter_map(|(k, v)| {
                Some((
                    k.to_string_lossy().into_owned(),
                    json!(v?.to_string_lossy().into_owned()),
                ))
            })
            .collect();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
        let mut driver = std::process::Command::new(python)
            .arg(script)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", sb.home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the MCP client");
        let requests = driver.stdin.take().unwrap();
        let stdout = std::io::BufReader::new(driver.stdout.take().unwrap());
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            driver,
            requests,
            answers,
        };
        client.send(&json!({
            "command": server.get_program().to_string_lossy(),
            "args": args,
            "env": env,
        }));
        let init = client.ask(json!({"op": "initialize"}));
        Some((client, init))
    }

    fn send(&mut self, request: &Value) {
        writeln!(self.requests, "{request}").expect("write to the MCP client");
        self.requests.flush().unwrap();
    }

    fn ask(&mut self, request: Value) -> Value {
        self.send(&request);
        let line = self
            .answers
            .recv_timeout(Duration::from_secs(200))
            .unwrap_or_else(|e| panic!("no answer to {request}: {e}"));
        let answer: Value = serde_json::from_str(&line).expect("the client's answer");
        assert!(
            answer.get("client_error").is_none(),
            "{request} failed in the client: {answer}"
        );
        answer
    }

    /// A tool call's result: `{is_error, structured, text}` or `{protocol_error}`.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.ask(json!({"op": "call", "tool": tool, "arguments": arguments}))
    }

    /// A call that must succeed: its structured result.
    fn ok(&mut self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments.clone());
        assert_eq!(
            result["is_error"], false,
            "{tool} {arguments} failed: {result}"
        );
        result["structured"].clone()
    }

    /// A call that must fail as a tool error: the CLI's error JSON.
    fn refused(&mut self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments.clone());
        assert_eq!(
            result["is_error"], true,
            "{tool} {arguments} did not fail: {result}"
        );
        let text: Value = serde_json::from_str(result["text"][0].as_str().unwrap()).unwrap();
        assert_eq!(
            text, result["structured"],
            "the text copy is the structured error"
        );
        result["structured"].clone()
    }

    fn tool_names(&mut self) -> Vec<String> {
        let tools = self.ask(json!({"op": "tools"}));
        tools["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// Ends the session: what crossed the pipe. The server must have ended cleanly.
    fn close(mut self) -> Session {
        let end = self.ask(json!({"op": "close"}));
        let status = self.driver.wait().expect("the MCP client ends");
        assert!(status.success(), "the MCP client failed: {status}");
        let messages = end["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["line"].as_str().unwrap().to_string())
            .collect();
        Session {
            messages,
            stderr: end["stderr"].as_str().unwrap().to_string(),
        }
    }
}

impl Session {
    /// Every message, one a line.
    fn text(&self) -> String {
        self.messages.join("\n")
    }
}

const READ_TOOLS: &[&str] = &[
    "check",
    "export",
    "get_database",
    "list_backups",
    "list_databases",
    "ping",
    "plan",
    "providers",
    "usage_stats",
    "wait",
];
const WRITE_TOOLS: &[&str] = &[
    "apply",
    "create_backup",
    "create_database",
    "update_database",
];
const DELETE_TOOLS: &[&str] = &["delete_database"];

fn sorted(names: &[&[&str]]) -> Vec<String> {
    let mut all: Vec<String> = names.concat().iter().map(|s| s.to_string()).collect();
    all.sort();
    all
}

/// One wiremock server per provider, each answering its list from the fixtures, and a
/// sandbox configured (by environment variables) for all four.
async fn four_providers() -> (Vec<MockServer>, Sandbox, Vec<String>) {
    let mut servers = Vec::new();
    let mut sb = Sandbox::new();
    let mut secrets = Vec::new();
    for case in cases::all() {
        let server = case.list_server().await;
        (case.mount_get)(&server).await;
        for (key, value) in (case.env)(&server.uri()) {
            sb.set_env(key, value);
        }
        secrets.extend((case.secrets)());
        servers.push(server);
    }
    (servers, sb, secrets)
}

fn names(records: &Value) -> Vec<String> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn tools_are_read_only_by_default_and_writes_and_deletes_need_their_flags() {
    let sb = Sandbox::new();
    let Some((mut client, init)) = Client::start(&sb, &["mcp", "--demo"]) else {
        return;
    };
    assert_eq!(init["server"], "dbctl");
    let instructions = init["instructions"].as_str().unwrap();
    for says in [
        "Write tools (apply, create_backup, create_database, update_database) are disabled",
        "without --allow-writes",
        "Deletes (delete_database and apply with prune) are disabled",
        "--demo",
        "dbctl://spec-format",
    ] {
        assert!(instructions.contains(says), "{says:?} in {instructions}");
    }
    assert_eq!(client.tool_names(), sorted(&[READ_TOOLS]));
    let tools = client.ask(json!({"op": "tools"}));
    for tool in tools["tools"].as_array().unwrap() {
        assert_eq!(tool["annotations"]["read_only_hint"], true, "{tool}");
        assert_eq!(tool["input_schema"]["type"], "object", "{tool}");
        assert_eq!(tool["output_schema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().unwrap().len() > 40, "{tool}");
    }
    let list = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "list_databases")
        .unwrap();
    let properties = &list["input_schema"]["properties"];
    assert_eq!(
        properties["provider"]["items"]["enum"],
        json!(["upstash", "redis-cloud", "redis-enterprise", "cosmos"])
    );
    for filter in ["profile", "status", "name", "region"] {
        assert!(properties.get(filter).is_some(), "{filter} in {properties}");
    }
    // A write tool does not exist: the SDK's own "tool not found", and nothing changed.
    let create = client.call(
        "create_database",
        json!({"name": "x", "provider": "upstash"}),
    );
    assert_eq!(
        create["protocol_error"]["message"], "tool not found",
        "{create}"
    );
    client.close();

    let Some((mut client, init)) = Client::start(&sb, &["mcp", "--demo", "--allow-writes"]) else {
        return;
    };
    let instructions = init["instructions"].as_str().unwrap();
    assert!(
        instructions.contains(
            "Write tools are enabled: apply, create_backup, create_database, update_database"
        ),
        "{instructions}"
    );
    assert!(instructions.contains("Deletes (delete_database and apply with prune) are disabled"));
    assert_eq!(client.tool_names(), sorted(&[READ_TOOLS, WRITE_TOOLS]));
    let delete = client.call(
        "delete_database",
        json!({"id": "1", "provider": "redis-enterprise"}),
    );
    assert_eq!(
        delete["protocol_error"]["message"], "tool not found",
        "{delete}"
    );
    // Prune deletes: refused whole, before any change, and the database is still there.
    let export = client.ok("export", json!({"provider": ["redis-enterprise"]}));
    let spec = export["spec"].as_str().unwrap();
    let without = spec.replacen("name = \"feature-flags\"", "name = \"feature-flags-2\"", 1);
    let error = client.refused("apply", json!({"spec": without, "prune": true}));
    assert_eq!(error["error"]["kind"], "invalid");
    assert_eq!(error["error"]["exit_code"], 6);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("without --allow-deletes; nothing was changed"),
        "{error}"
    );
    assert_eq!(
        error["error"]["hint"],
        "deletes need `dbctl mcp --allow-writes --allow-deletes`"
    );
    let still = client.ok("list_databases", json!({"name": "feature-flags"}));
    assert_eq!(names(&still["databases"]), ["feature-flags"]);
    client.close();

    let Some((mut client, init)) =
        Client::start(&sb, &["mcp", "--demo", "--allow-writes", "--allow-deletes"])
    else {
        return;
    };
    assert!(init["instructions"]
        .as_str()
        .unwrap()
        .contains("Deletes are enabled: delete_database and apply with prune"));
    assert_eq!(
        client.tool_names(),
        sorted(&[READ_TOOLS, WRITE_TOOLS, DELETE_TOOLS])
    );
    let tools = client.ask(json!({"op": "tools"}));
    let delete = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "delete_database")
        .unwrap()
        .clone();
    assert_eq!(delete["annotations"]["destructive_hint"], true);
    client.close();

    // Deletes without writes is a usage error before any server starts.
    sb.run(&["mcp", "--allow-deletes"])
        .code(2)
        .stderr_has("--allow-writes");
    sb.run(&["mcp", "--demo", "--show-secrets", "--json"])
        .code(2)
        .stderr_has("never shows a secret");
}

#[test]
fn under_demo_the_read_tools_answer_what_the_cli_answers() {
    let sb = Sandbox::new();
    let Some((mut client, _)) = Client::start(&sb, &["mcp", "--demo"]) else {
        return;
    };
    // list_databases: the records and the filters of `db list --json`.
    let cli = sb.run(&["--demo", "db", "list", "--json"]);
    let listed = client.ok("list_databases", json!({}));
    assert_eq!(listed["databases"], cli.json());
    assert_eq!(listed["failures"], json!([]));
    let filtered = client.ok(
        "list_databases",
        json!({"provider": ["redis-enterprise", "upstash"], "status": "pending"}),
    );
    assert_eq!(names(&filtered["databases"]), ["leaderboard"]);
    let globbed = client.ok(
        "list_databases",
        json!({"name": "*CACHE*", "region": "us-east-1"}),
    );
    assert_eq!(names(&globbed["databases"]), ["sessions-cache"]);
    let bad = client.refused("list_databases", json!({"status": "asleep"}));
    assert_eq!(
        bad["error"]["message"],
        "status: \"asleep\" is not one of active, pending, suspended, deleting, failed, unknown"
    );
    assert_eq!(bad["error"]["exit_code"], 2);
    let typo = client.refused("list_databases", json!({"providers": ["upstash"]}));
    assert_eq!(
        typo["error"]["message"],
        "unknown argument \"providers\"; this tool takes provider, profile, status, name, region"
    );

    // get_database: `db get --json`.
    let got = client.ok(
        "get_database",
        json!({"id": "4", "provider": "redis-enterprise"}),
    );
    assert_eq!(
        got["database"],
        sb.run(&[
            "--demo",
            "db",
            "get",
            "4",
            "-p",
            "redis-enterprise",
            "--json"
        ])
        .json()
    );
    let missing = client.refused(
        "get_database",
        json!({"id": "99", "provider": "redis-enterprise"}),
    );
    assert_eq!(missing["error"]["kind"], "not_found");
    assert_eq!(missing["error"]["exit_code"], 5);
    assert_eq!(missing["error"]["provider"], "redis-enterprise");
    assert_eq!(missing["error"]["profile"], "redis-enterprise");
    // Without a provider, the id (or a name) is looked up in every profile, as the CLI does.
    let found = client.ok("get_database", json!({"id": "4"}));
    assert_eq!(found["database"]["provider"], "redis-enterprise");
    let by_name = client.ok("get_database", json!({"id": "analytics-cache"}));
    assert_eq!(by_name["database"]["id"], "4");

    // usage_stats: one database, and the fleet with every provider's figures.
    let one = client.ok(
        "usage_stats",
        json!({"id": "4", "provider": ["redis-enterprise"]}),
    );
    let usage = &one["usages"][0];
    assert_eq!(usage["database_id"], "4");
    assert_eq!(usage["memory_limit_bytes"], 2147483648u64);
    assert!(usage["memory_used_ratio"].as_f64().unwrap() > 0.0);
    let fleet = client.ok("usage_stats", json!({}));
    let usages = fleet["usages"].as_array().unwrap();
    assert_eq!(usages.len(), listed["databases"].as_array().unwrap().len());
    let providers: std::collections::BTreeSet<&str> = usages
        .iter()
        .map(|u| u["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers.len(), 4, "{providers:?}");

    // ping: the data plane of one database, and of a provider's.
    let ping = client.ok(
        "ping",
        json!({"id": "1", "provider": ["redis-enterprise"], "count": 2}),
    );
    assert_eq!(ping["pings"][0]["ok"], true, "{ping}");
    assert_eq!(ping["pings"][0]["database_id"], "1");
    let pings = client.ok("ping", json!({"provider": ["cosmos"], "count": 1}));
    assert_eq!(pings["pings"].as_array().unwrap().len(), 4, "{pings}");
    let bad = client.refused("ping", json!({"count": 0}));
    assert_eq!(bad["error"]["message"], "count: 0 is not between 1 and 10");

    // check: findings as `check --json` gives them, and the thresholds.
    let check = client.ok("check", json!({"rules": ["status", "tls"]}));
    let cli = sb.run(&[
        "--demo", "check", "--rule", "status", "--rule", "tls", "--json",
    ]);
    assert_eq!(check["findings"], cli.json());
    let memory = client.ok(
        "check",
        json!({"rules": ["memory"], "memory_warn": 0.01, "memory_error": 0.999}),
    );
    let with_figures = usages
        .iter()
        .filter(|u| u["memory_used_ratio"].as_f64().is_some_and(|r| r >= 0.01))
        .count();
    assert_eq!(
        memory["findings"].as_array().unwrap().len(),
        with_figures,
        "{memory}"
    );
    let backwards = client.refused("check", json!({"memory_warn": 0.9, "memory_error": 0.5}));
    assert_eq!(
        backwards["error"]["message"],
        "--memory-warn (0.9) is above --memory-error (0.5)"
    );
    let unpinged = client.refused("check", json!({"rules": ["reachable"]}));
    assert_eq!(
        unpinged["error"]["message"],
        "the reachable rule needs --ping"
    );

    // export and plan: the fleet as a spec, and no difference from it.
    let spec = client.ok("export", json!({}))["spec"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        spec.contains("[[database]]\nprofile = \"redis-enterprise\"\nname = \"analytics-cache\"")
    );
    let plan = client.ok("plan", json!({"spec": spec}));
    assert_eq!(plan, json!({"actions": [], "differs": false}));
    let broken = client.refused("plan", json!({"spec": "[[database]]\nprofile = 3\n"}));
    assert_eq!(broken["error"]["kind"], "config");
    assert!(
        broken["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("spec line 2, column 11: "),
        "{broken}"
    );
    let empty = client.refused("plan", json!({"spec": ""}));
    assert_eq!(
        empty["error"]["message"],
        "spec names no profile and no database, so it manages nothing"
    );

    // providers: `providers --json`.
    let providers = client.ok("providers", json!({}));
    assert_eq!(
        providers["providers"],
        sb.run(&["--demo", "providers", "--json"]).json()
    );

    // list_backups.
    let backups = client.ok(
        "list_backups",
        json!({"id": "a1b2c3d4-0000-4000-8000-000000000001", "provider": "upstash"}),
    );
    assert!(backups["backups"].is_array(), "{backups}");
    let unsupported = client.refused(
        "list_backups",
        json!({"id": "1", "provider": "redis-enterprise"}),
    );
    assert_eq!(unsupported["error"]["kind"], "unsupported");
    assert_eq!(unsupported["error"]["exit_code"], 6);

    // The resources: the man page and the spec format.
    let resources = client.ask(json!({"op": "resources"}));
    assert_eq!(
        resources["resources"],
        json!([
            {"uri": "dbctl://man", "name": "man", "mime_type": "text/troff"},
            {"uri": "dbctl://spec-format", "name": "spec-format", "mime_type": "text/markdown"},
        ])
    );
    let man = client.ask(json!({"op": "read", "uri": "dbctl://man"}));
    assert_eq!(man["contents"][0]["text"], sb.run(&["man"]).stdout);
    let format = client.ask(json!({"op": "read", "uri": "dbctl://spec-format"}));
    let format = format["contents"][0]["text"].as_str().unwrap();
    assert!(format.starts_with("# Desired state\n"), "{format}");
    assert!(format.contains("Keys of a `[[database]]`"), "{format}");
    assert!(!format.contains("## Output"), "{format}");
    let none = client.ask(json!({"op": "read", "uri": "dbctl://nothing"}));
    assert!(
        none["protocol_error"]["message"]
            .as_str()
            .unwrap()
            .contains("no resource"),
        "{none}"
    );

    let session = client.close();
    // stdout is the protocol: every line the server wrote is one JSON-RPC message.
    for message in &session.messages {
        let parsed: Value = serde_json::from_str(message).expect("a JSON-RPC message");
        assert_eq!(parsed["jsonrpc"], "2.0");
    }
}

/// Upstash answering `db list` with a hostile name, and its usage figures.
async fn upstash_with_stats() -> MockServer {
    let server = MockServer::start().await;
    let case = cases::upstash::case();
    (case.mount_get)(&server).await;
    let mut list: Value = serde_json::from_str(&fixture("upstash", "databases.json")).unwrap();
    list[1]["database_name"] = json!(HOSTILE);
    // A provider (or a proxy) echoing a credential back in a record.
    list[2]["database_name"] = json!(format!("echo {}", cases::upstash::KEY));
    Mock::given(method("GET"))
        .and(path("/v2/redis/databases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v2/redis/stats/[^/]+$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("upstash", "stats.json"), "application/json"),
        )
        .mount(&server)
        .await;
    server
}

/// A name that would reorder text, end a line in some readers and start a workflow command.
const HOSTILE: &str = "evil\u{202e}txt.exe\u{85}::warning::x";

#[tokio::test(flavor = "multi_thread")]
async fn against_wiremock_the_tools_read_every_provider_and_no_secret_crosses_the_pipe() {
    let (servers, mut sb, mut secrets) = four_providers().await;
    let upstash = upstash_with_stats().await;
    let case = cases::upstash::case();
    for (key, value) in (case.env)(&upstash.uri()) {
        sb.set_env(key, value);
    }
    let Some((mut client, _)) = Client::start(&sb, &["mcp", "-vv"]) else {
        return;
    };
    let listed = client.ok("list_databases", json!({}));
    let seen = names(&listed["databases"]);
    for case in cases::all().iter().filter(|c| c.provider != "upstash") {
        for name in case.names {
            assert!(seen.iter().any(|s| s == name), "{name} in {seen:?}");
        }
    }
    assert!(seen.iter().any(|s| s == "MyRedis"), "{seen:?}");
    assert!(
        seen.iter().any(|s| s == HOSTILE),
        "the exact name: {seen:?}"
    );
    assert!(
        seen.iter().any(|s| s == "echo ***"),
        "scrubbed as on stdout: {seen:?}"
    );
    let get = client.ok(
        "get_database",
        json!({"id": case.existing_id, "provider": "upstash"}),
    );
    assert_eq!(get["database"]["name"], "MyRedis");
    let stats = client.ok("usage_stats", json!({"provider": ["upstash"]}));
    let usage = stats["usages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["database_id"] == case.existing_id)
        .unwrap();
    assert_eq!(usage["memory_used_ratio"], 0.25);
    let check = client.ok(
        "check",
        json!({"provider": ["upstash"], "rules": ["memory"], "memory_warn": 0.2}),
    );
    let finding = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["database_id"] == case.existing_id)
        .unwrap_or_else(|| panic!("{check}"));
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["rule"], "memory");
    let spec = "profiles = [\"upstash\"]\n\n[[database]]\nprofile = \"upstash\"\nname = \"MyRedis\"\nregion = \"eu-west-1\"\n";
    // A name no reviewer could read refuses the plan (as `dbctl plan` does, exit 3), with
    // the name's code points, as a structured error result.
    let plan = client.call("plan", json!({"spec": spec}));
    assert_eq!(plan["is_error"], true, "{plan}");
    let error = &plan["structured"]["error"];
    assert_eq!(error["kind"], "config", "{plan}");
    assert_eq!(error["exit_code"], 3, "{plan}");
    assert!(
        error["message"].as_str().unwrap().contains("U+202E"),
        "{plan}"
    );
    let session = client.close();

    // The hostile bytes are escaped on the wire as `--json` escapes them, the same data.
    let wire = session.text();
    for raw in ['\u{202e}', '\u{85}'] {
        assert!(!wire.contains(raw), "raw {raw:?} on the wire");
    }
    assert!(
        wire.contains("evil\\u202etxt.exe\\u0085\\u003a:warning::x"),
        "{wire}"
    );
    // No credential and no database password in any message either way, or on stderr (-vv
    // logs every request and answer there).
    secrets.extend((case.secrets)());
    secrets.extend(crate::common::fixture_secrets(
        "upstash",
        "database-with-credentials.json",
    ));
    assert_no_secrets(&wire, &session.stderr, &crate::common::refs(&secrets));
    assert!(
        session.stderr.contains("GET "),
        "-vv logs on stderr: {}",
        session.stderr
    );
    drop(servers);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_failure_is_a_structured_error_result_and_the_server_carries_on() {
    let failing = MockServer::start().await;
    let refused = cases::upstash::case().unauthorized;
    Mock::given(method("GET"))
        .respond_with(refused.respond())
        .mount(&failing)
        .await;
    let working = cases::redis_enterprise::case().list_server().await;
    let mut sb = Sandbox::new();
    for (key, value) in (cases::upstash::case().env)(&failing.uri())
        .into_iter()
        .chain((cases::redis_enterprise::case().env)(&working.uri()))
    {
        sb.set_env(key, value);
    }
    let Some((mut client, _)) = Client::start(&sb, &["mcp"]) else {
        return;
    };
    let error = client.refused(
        "get_database",
        json!({"id": "96ad0856-03b1-4ee7-9666-e81abd0349e1", "provider": "upstash"}),
    );
    let error = &error["error"];
    assert_eq!(error["kind"], "auth");
    assert_eq!(error["exit_code"], 4);
    assert_eq!(error["provider"], "upstash");
    assert_eq!(error["profile"], "upstash");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("invalid api key"),
        "{error}"
    );
    assert!(
        error["hint"].as_str().unwrap().contains("UPSTASH_API_KEY"),
        "{error}"
    );
    // A fleet read names the failing profile and lists the rest.
    let listed = client.ok("list_databases", json!({}));
    assert_eq!(listed["failures"][0]["error"]["profile"], "upstash");
    assert_eq!(listed["failures"][0]["error"]["exit_code"], 4);
    assert!(!listed["databases"].as_array().unwrap().is_empty());
    // Every profile failing: the call fails, the server does not.
    let only = client.refused("list_databases", json!({"provider": ["upstash"]}));
    assert_eq!(only["error"]["kind"], "auth");
    let unconfigured = client.refused("list_databases", json!({"provider": ["cosmos"]}));
    assert_eq!(unconfigured["error"]["exit_code"], 3);
    assert_eq!(unconfigured["error"]["provider"], "cosmos");
    let after = client.ok("list_databases", json!({"provider": ["redis-enterprise"]}));
    assert!(!after["databases"].as_array().unwrap().is_empty());
    let session = client.close();
    assert_no_secrets(
        &session.text(),
        &session.stderr,
        &[cases::upstash::KEY, cases::redis_enterprise::PASSWORD],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_answers_at_once_with_the_wait_that_follows_it_and_nothing_prompts() {
    let server = MockServer::start().await;
    let case = cases::upstash::case();
    (case.mount_list)(&server).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("\"OK\"", "application/json"))
        .mount(&server)
        .await;
    let sb = case.sandbox(&server);
    let Some((mut client, _)) = Client::start(&sb, &["mcp", "--allow-writes"]) else {
        return;
    };
    // Prune needs --allow-deletes: refused before the fleet is read, nothing deleted.
    let spec = "profiles = [\"upstash\"]\n";
    let error = client.refused("apply", json!({"spec": spec, "prune": true}));
    assert_eq!(error["error"]["exit_code"], 6);
    // Without prune the databases outside the spec are unmanaged: nothing to change.
    let applied = client.ok("apply", json!({"spec": spec}));
    assert_eq!(applied["apply_id"], Value::Null);
    assert!(applied["actions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["action"] == "unmanaged"));
    client.close();
    assert_eq!(requests_by_method(&server, "DELETE").await.len(), 0);
}

#[test]
fn writes_return_at_once_wait_is_bounded_and_calls_run_side_by_side() {
    let sb = Sandbox::new();
    let Some((mut client, _)) =
        Client::start(&sb, &["mcp", "--demo", "--allow-writes", "--allow-deletes"])
    else {
        return;
    };
    // A create on Redis Cloud answers with its task at once, and the wait that follows it.
    let started = Instant::now();
    let created = client.ok(
        "create_database",
        json!({"provider": "redis-cloud", "name": "agent-made", "subscription": "2145833", "memory": "256MB"}),
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let task = &created["result"];
    assert_eq!(task["provider"], "redis-cloud", "{created}");
    let next = &created["next"];
    assert_eq!(next["tool"], "wait", "{created}");
    assert_eq!(next["arguments"]["task_id"], task["id"]);
    assert_eq!(next["arguments"]["provider"], "redis-cloud");
    let long = client.refused("wait", json!({"task_id": "x", "timeout_secs": 600}));
    assert_eq!(
        long["error"]["message"],
        "timeout_secs: 600 is not between 0.1 and 120; to wait longer, call wait again"
    );
    let done = client.ok("wait", next["arguments"].clone());
    assert_eq!(done["result"]["status"], "completed", "{done}");
    let made = client.ok("list_databases", json!({"name": "agent-made"}));
    assert_eq!(made["databases"][0]["memory_limit_bytes"], 268435456);

    // A wait that cannot end in time gives up at its timeout (exit 11), and a list called
    // next to it answers first.
    let side_by_side = client.ask(json!({"op": "parallel", "calls": [
        {"tool": "wait", "arguments": {"database_id": "1", "provider": "redis-enterprise", "deleted": true, "timeout_secs": 4}},
        {"tool": "list_databases", "arguments": {"provider": ["redis-enterprise"]}},
    ]}));
    assert_eq!(side_by_side["finished"], json!([1, 0]), "{side_by_side}");
    let gave_up = &side_by_side["results"][0];
    assert_eq!(gave_up["is_error"], true);
    assert_eq!(gave_up["structured"]["error"]["exit_code"], 11, "{gave_up}");
    let message = gave_up["structured"]["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("gave up after ")
            && message.contains("s waiting for redis-enterprise database 1; last status: active"),
        "{message}"
    );

    // A delete (no prompt: the flags allowed it) and the wait until it is gone.
    let deleted = client.ok(
        "delete_database",
        json!({"id": "3", "provider": "redis-enterprise"}),
    );
    let next = &deleted["next"];
    let gone = if next.is_null() {
        deleted["result"].clone()
    } else {
        assert_eq!(next["arguments"]["deleted"], true, "{deleted}");
        client.ok("wait", next["arguments"].clone())["result"].clone()
    };
    assert_eq!(gone["status"], "deleted", "{gone}");
    let missing = client.refused(
        "get_database",
        json!({"id": "3", "provider": "redis-enterprise"}),
    );
    assert_eq!(missing["error"]["exit_code"], 5);
    let session = client.close();
    assert!(
        !session.stderr.contains("Type"),
        "no prompt: {}",
        session.stderr
    );
}

#[test]
fn under_demo_an_agent_rehearses_export_edit_plan_apply_and_plans_clean() {
    let sb = Sandbox::new();
    let Some((mut client, _)) = Client::start(&sb, &["mcp", "--demo", "--allow-writes"]) else {
        return;
    };
    // Which databases are over 80 % memory (the demo's figures drift, so ask for them).
    let usages = client.ok("usage_stats", json!({}));
    let over: Vec<&str> = usages["usages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["memory_used_ratio"].as_f64().is_some_and(|r| r >= 0.8))
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    let check = client.ok("check", json!({"rules": ["memory"], "memory_warn": 0.8}));
    let flagged: Vec<&str> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, over, "{check}");

    // Export, give analytics-cache twice the memory, plan, apply, wait, plan again.
    let spec = client.ok("export", json!({}))["spec"]
        .as_str()
        .unwrap()
        .to_string();
    let entry = "name = \"analytics-cache\"\nprovider = \"redis-enterprise\"\nmemory = \"2GiB\"";
    assert!(spec.contains(entry), "{spec}");
    let edited = spec.replacen(entry, &entry.replace("2GiB", "4GiB"), 1);
    let plan = client.ok("plan", json!({"spec": edited}));
    assert_eq!(
        plan,
        json!({"differs": true, "actions": [{
            "action": "update", "profile": "redis-enterprise", "name": "analytics-cache", "id": "4",
            "changes": [{"field": "memory", "from": "2GiB", "to": "4GiB"}],
        }]})
    );
    let started = Instant::now();
    let applying = client.ok("apply", json!({"spec": edited}));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "apply answers at once"
    );
    assert_eq!(applying["actions"], plan["actions"]);
    let id = applying["apply_id"].as_str().unwrap().to_string();
    assert_eq!(
        applying["next"],
        json!({"tool": "wait", "arguments": {"apply_id": id}})
    );
    let done = client.ok("wait", json!({"apply_id": id, "timeout_secs": 120}));
    assert_eq!(
        done["result"]["outcomes"],
        json!([{"action": "update", "profile": "redis-enterprise", "name": "analytics-cache", "id": "4", "result": "done", "error": null}])
    );
    let clean = client.ok("plan", json!({"spec": edited}));
    assert_eq!(clean, json!({"actions": [], "differs": false}));
    let got = client.ok(
        "get_database",
        json!({"id": "4", "provider": "redis-enterprise"}),
    );
    assert_eq!(got["database"]["memory_limit_bytes"], 4294967296u64);
    let unknown = client.refused("wait", json!({"apply_id": "apply-99"}));
    assert_eq!(unknown["error"]["exit_code"], 5);
    client.close();
}

#[test]
fn the_readme_lists_every_tool_and_its_client_config_is_a_dbctl_command_line() {
    let readme = include_str!("../README.md");
    let agents = readme
        .split("\n## Agents\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README's Agents section");
    let mut listed: Vec<String> = agents
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|row| {
            let first = row.split('|').nth(1).unwrap_or_default();
            first
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    listed.sort();
    listed.dedup();
    assert_eq!(listed, sorted(&[READ_TOOLS, WRITE_TOOLS, DELETE_TOOLS]));
    let config: Value = serde_json::from_str(
        agents
            .split("```json\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a client config"),
    )
    .expect("the client config is JSON");
    for (name, server) in config["mcpServers"].as_object().unwrap() {
        assert_eq!(server["command"], "dbctl", "{name}");
        let args: Vec<&str> = server["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        use clap::Parser;
        let parsed = dbctl::cli::Cli::try_parse_from(std::iter::once("dbctl").chain(args));
        assert!(parsed.is_ok(), "{name}: {parsed:?}");
    }
}

/// A request line longer than the server reads (16 MiB) is answered with JSON-RPC Invalid
/// Request under its own id, never held whole, and the server goes on with the next request.
/// Raw JSON-RPC over the pipe: the SDK sends no such line.
#[test]
fn a_request_over_16_mib_is_answered_invalid_and_the_server_keeps_serving() {
    let sb = Sandbox::new();
    let mut server = sb.spawn("mcp --demo");
    let mut stdin = server.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut line = |message: &str| {
            stdin.write_all(message.as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
        };
        line(
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
        );
        line(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        let padding = "a".repeat(17 << 20);
        line(&format!(
            r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"list_databases","arguments":{{"pad":"{padding}"}}}}}}"#
        ));
        line(r#"{"jsonrpc":"2.0","id":6,"method":"tools/list"}"#);
        // stdin closes here: the server ends once it has answered.
    });
    let stdout = std::io::BufReader::new(server.stdout.take().unwrap());
    let answers: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).expect("each line is JSON"))
        .collect();
    writer.join().unwrap();
    let status = server.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let by_id = |id: i64| {
        answers
            .iter()
            .find(|a| a["id"] == json!(id))
            .unwrap_or_else(|| panic!("no answer to {id}: {answers:?}"))
    };
    assert_eq!(by_id(5)["error"]["code"], json!(-32600), "{}", by_id(5));
    assert!(by_id(6)["result"]["tools"].as_array().unwrap().len() > 3);
    assert!(
        stderr.contains("refused a request over 16 MiB (id 5)"),
        "{stderr}"
    );
}
