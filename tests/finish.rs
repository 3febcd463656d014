//! The emulator as a product, completions, man page, and progress only on a terminal.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::Sandbox;

/// `dbctl emulator serve` on a free port; returns the child and the variables it printed.
fn serve(extra: &[&str]) -> (Child, Vec<(String, String)>) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("dbctl"))
        .args(["emulator", "serve", "--port", &port.to_string()])
        .args(extra)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut vars = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(Ok(line)) = lines.next() {
        let Some((name, value)) = line.strip_prefix("export ").and_then(|l| l.split_once('='))
        else {
            break;
        };
        vars.push((name.to_string(), value.to_string()));
    }
    (child, vars)
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn emulator_serve_runs_a_full_lifecycle_through_the_real_provider_modules() {
    let (child, vars) = serve(&["--seed", "empty"]);
    let _guard = Killed(child);
    let sb = vars
        .iter()
        .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v.clone()));
    sb.run(&["db", "list", "-p", "upstash", "--json"]).code(0);
    assert_eq!(
        sb.run(&["db", "list", "-p", "upstash", "--json"]).json(),
        serde_json::json!([])
    );

    let created = sb.run(&[
        "db",
        "create",
        "-p",
        "upstash",
        "--name",
        "ci-cache",
        "--region",
        "eu-west-1",
        "--json",
    ]);
    created.code(0);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let listed = sb.run(&["db", "list", "-p", "upstash", "--json"]);
    assert_eq!(listed.json()[0]["name"], "ci-cache");
    sb.run(&[
        "db",
        "update",
        &id,
        "-p",
        "upstash",
        "--name",
        "ci-cache-2",
        "--set",
        "plan=pro",
    ])
    .code(0);
    let waited = sb.run(&[
        "db",
        "wait",
        &id,
        "-p",
        "upstash",
        "--status",
        "active",
        "--json",
        "--interval",
        "0.1",
    ]);
    waited.code(0);
    assert_eq!(waited.json()["name"], "ci-cache-2");
    assert_eq!(waited.json()["plan"], "pro");
    sb.run(&["db", "delete", &id, "-p", "upstash", "--yes"])
        .code(0);
    sb.run(&["db", "get", &id, "-p", "upstash"]).code(5);
}

#[test]
fn emulator_checks_credentials() {
    let (child, vars) = serve(&[]);
    let _guard = Killed(child);
    let sb = vars.iter().fold(Sandbox::new(), |sb, (k, v)| {
        sb.env(
            k,
            if k == "UPSTASH_API_KEY" {
                "wrong".to_string()
            } else {
                v.clone()
            },
        )
    });
    sb.run(&["db", "list", "-p", "upstash"]).code(4);
}

#[test]
fn emulator_injects_faults() {
    let (child, vars) = serve(&["--fault", "503:1"]);
    let _guard = Killed(child);
    let sb = vars
        .iter()
        .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v.clone()));
    sb.run(&["db", "list", "-p", "upstash", "--retries", "2"])
        .code(8)
        .stderr_has("503");
}

#[test]
fn demo_lists_seeded_databases() {
    let run = Sandbox::new().run(&["--demo", "db", "list", "--json"]);
    run.code(0);
    let dbs = run.json();
    assert!(dbs.as_array().unwrap().len() >= 3);
    assert!(dbs
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["provider"] == "upstash"));
}

#[test]
fn completions_and_man_page() {
    let sb = Sandbox::new();
    let bash = sb.run(&["completions", "bash"]);
    bash.code(0);
    for word in ["db", "backup", "list", "wait", "upstash", "redis-cloud"] {
        assert!(bash.stdout.contains(word), "bash completion lacks {word}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        assert!(!sb.run(&["completions", shell]).code(0).stdout.is_empty());
    }
    let man = sb.run(&["man"]);
    man.code(0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.starts_with(".TH"),
        "{}",
        &man.stdout[..80]
    );
    assert!(man.stdout.contains(".TH dbctl"), "roff title header");
}

/// Runs dbctl under a pseudo-terminal (util-linux `script`) and returns what it drew.
fn on_a_terminal(vars: &[(String, String)], home: &std::path::Path, args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("dbctl");
    let out = Command::new("script")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TERM", "xterm")
        .envs(vars.iter().cloned())
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_spinner_shows_on_a_terminal_and_never_on_a_pipe() {
    let (child, vars) = serve(&["--seed", "demo"]);
    let _guard = Killed(child);
    let sb = vars
        .iter()
        .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v.clone()));
    // The suspended seed database never becomes active: the wait times out, spinning meanwhile.
    let listed = sb.run(&[
        "db",
        "list",
        "-p",
        "upstash",
        "--status",
        "suspended",
        "--json",
    ]);
    let id = listed.json()[0]["id"].as_str().unwrap().to_string();
    let args =
        format!("--no-color db wait {id} -p upstash --status active --timeout 1.5 --interval 0.2");
    let piped = sb.run(&args.split(' ').collect::<Vec<_>>());
    piped.code(11);
    assert!(
        !piped.stderr.contains("to be active: suspended"),
        "no progress on a pipe: {}",
        piped.stderr
    );
    assert_eq!(
        piped.stderr.lines().count(),
        1,
        "only the timeout error: {}",
        piped.stderr
    );
    let screen = on_a_terminal(&vars, sb.home.path(), &args);
    assert!(
        screen.contains(&format!("upstash database {id} to be active: suspended")),
        "spinner on a terminal:\n{screen}"
    );
}
