//! The emulator as a product, completions, man page, and progress only on a terminal.

use std::process::{Command, Stdio};

use crate::common::{reply, when, Sandbox, Served};

#[test]
fn emulator_serve_runs_a_full_lifecycle_through_the_real_provider_modules() {
    let served = Served::start(&["--seed", "empty"]);
    let sb = served.sandbox();
    sb.run("db list -p upstash --json").code(0);
    assert_eq!(
        sb.run("db list -p upstash --json").json(),
        serde_json::json!([])
    );

    let created = sb.run("db create -p upstash --name ci-cache --region eu-west-1 --json");
    created.code(0);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let listed = sb.run("db list -p upstash --json");
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
fn every_provider_runs_create_list_update_wait_delete_against_the_emulator() {
    let served = Served::fast(&["--seed", "demo"]);
    let sb = served.sandbox();
    let subscription = {
        let listed = sb.run("db list -p redis-cloud --json");
        let id = listed.json()[0]["id"].as_str().unwrap().to_string();
        id.split('/').next().unwrap().to_string()
    };
    // (provider, create flags, update flags when the provider can update)
    type Lifecycle<'a> = (&'a str, Vec<&'a str>, Option<Vec<&'a str>>);
    let cases: [Lifecycle; 4] = [
        (
            "upstash",
            vec!["--region", "eu-west-1"],
            Some(vec!["--set", "plan=pro"]),
        ),
        (
            "redis-cloud",
            vec!["--subscription", &subscription, "--memory", "1GB"],
            Some(vec!["--memory", "2GB"]),
        ),
        (
            "redis-enterprise",
            vec!["--memory", "512MB"],
            Some(vec!["--memory", "1GB"]),
        ),
        ("cosmos", vec![], None),
    ];
    for (provider, create, update) in cases {
        let name = format!("lifecycle-{provider}");
        let mut args = vec![
            "db", "create", "-p", provider, "--name", &name, "--wait", "--json",
        ];
        args.extend(create.iter());
        let created = sb.run(&args);
        created.code(0);
        let id = created.json()["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{provider}: {}", created.stdout))
            .to_string();
        let listed = sb.run(&["db", "list", "-p", provider, "--json"]);
        assert!(
            listed
                .json()
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == id.as_str()),
            "{provider}: listed"
        );
        if let Some(update) = update {
            let mut args = vec!["db", "update", &id, "-p", provider, "--wait"];
            args.extend(update.iter());
            sb.run(&args).code(0);
        }
        sb.run(&[
            "db",
            "wait",
            &id,
            "-p",
            provider,
            "--status",
            "active",
            "--interval",
            "0.2",
        ])
        .code(0);
        sb.run(&["db", "delete", &id, "-p", provider, "--yes", "--wait"])
            .code(0);
        sb.run(&["db", "get", &id, "-p", provider]).code(5);
    }
}

#[test]
fn emulator_checks_credentials() {
    let served = Served::start(&[]);
    let sb = served.sandbox().env("UPSTASH_API_KEY", "wrong");
    sb.run("db list -p upstash").code(4);
}

#[test]
fn emulator_injects_faults() {
    let served = Served::start(&["--fault", "503:1"]);
    let sb = served.sandbox();
    sb.run("db list -p upstash --retries 2")
        .code(8)
        .stderr_has("503");
}

#[test]
fn demo_lists_seeded_databases() {
    let run = Sandbox::new().run("--demo db list --json");
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
    let bash = sb.run("completions bash");
    bash.code(0);
    for word in ["db", "backup", "list", "wait", "upstash", "redis-cloud"] {
        assert!(bash.stdout.contains(word), "bash completion lacks {word}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        assert!(!sb.run(&["completions", shell]).code(0).stdout.is_empty());
    }
    let man = sb.run("man");
    man.code(0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.starts_with(".TH"),
        "{}",
        &man.stdout[..80]
    );
    assert!(man.stdout.contains(".TH dbctl"), "roff title header");
}

#[test]
fn completions_offer_the_configured_profile_names() {
    let sb = Sandbox::new();
    sb.config("[profiles.team-alpha]\nprovider = \"upstash\"\n\n[profiles.onprem-beta]\nprovider = \"cosmos\"\n");
    for shell in ["bash", "zsh", "fish"] {
        let run = sb.run(&["completions", shell]);
        run.code(0)
            .stdout_has("team-alpha")
            .stdout_has("onprem-beta");
    }
    // Without a config the completions still generate.
    assert!(!Sandbox::new()
        .run("completions bash")
        .code(0)
        .stdout
        .contains("team-alpha"));
}

#[tokio::test(flavor = "multi_thread")]
async fn api_makes_an_authenticated_raw_call() {
    use wiremock::matchers::{basic_auth, body_json};
    use wiremock::MockServer;
    let server = MockServer::start().await;
    when("GET", "/v2/redis/stats/abc")
        .and(basic_auth("ops@example.com", "api-test-key"))
        .respond_with(reply(
            200,
            serde_json::json!({"daily_net_commands": 42, "password": "stat-secret"}),
        ))
        .mount(&server)
        .await;
    when("POST", "/v2/redis/enable-tls/abc")
        .and(body_json(serde_json::json!({"x": 1})))
        .respond_with(reply(200, "OK"))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", "ops@example.com")
        .env("UPSTASH_API_KEY", "api-test-key")
        .env("UPSTASH_API_URL", format!("{}/v2", server.uri()));
    let run = sb.run("api upstash get /redis/stats/abc");
    run.code(0).no_secrets(&["stat-secret", "api-test-key"]);
    assert_eq!(run.json()["daily_net_commands"], 42);
    assert_eq!(run.json()["password"], "***");
    let body = sb.home.path().join("body.json");
    std::fs::write(&body, "{\"x\": 1}").unwrap();
    sb.run(&[
        "api",
        "upstash",
        "POST",
        "redis/enable-tls/abc",
        "--data",
        &format!("@{}", body.display()),
    ])
    .code(0);
    sb.run("api upstash GET /redis/nothing").code(5);
    sb.run("api upstash POST /x --data '{not json'").code(2);
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
fn status_colours_only_on_a_terminal_without_no_color() {
    let served = Served::start(&["--seed", "demo"]);
    let upstash: Vec<(String, String)> = served
        .vars
        .iter()
        .filter(|(k, _)| k.starts_with("UPSTASH_"))
        .cloned()
        .collect();
    let home = tempfile::tempdir().unwrap();
    let coloured = on_a_terminal(&upstash, home.path(), "db list");
    assert!(
        coloured.contains("\u{1b}["),
        "colour on a terminal:\n{coloured}"
    );
    let plain = on_a_terminal(&upstash, home.path(), "--no-color db list");
    assert!(!plain.contains("\u{1b}["), "--no-color:\n{plain}");
    let piped = served
        .sandbox_for("UPSTASH_")
        .cmd()
        .env_remove("NO_COLOR")
        .args(["db", "list"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&piped.stdout).contains('\u{1b}'),
        "no colour on a pipe"
    );
}

#[test]
fn the_spinner_shows_on_a_terminal_and_never_on_a_pipe() {
    let served = Served::start(&["--seed", "demo"]);
    let sb = served.sandbox();
    // The suspended seed database never becomes active: the wait times out, spinning meanwhile.
    let listed = sb.run("db list -p upstash --status suspended --json");
    let id = listed.json()[0]["id"].as_str().unwrap().to_string();
    let args = |timeout: &str| {
        format!(
            "--no-color db wait {id} -p upstash --status active --timeout {timeout} --interval 0.2"
        )
    };
    let piped = sb.run(&args("0.5").split(' ').collect::<Vec<_>>());
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
    let screen = on_a_terminal(&served.vars, sb.home.path(), &args("1.5"));
    assert!(
        screen.contains(&format!("upstash database {id} to be active: suspended")),
        "spinner on a terminal:\n{screen}"
    );
}
