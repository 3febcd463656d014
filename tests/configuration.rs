//! The config file's strict schema, `config validate`, `providers` and `--demo` as one
//! meaning: what a user sees on stdout and stderr, and the exit code.
use std::collections::BTreeSet;

use serde_json::{json, Value};
use wiremock::MockServer;

use crate::common::Sandbox;

const FILE_SECRET: &str = "literal-file-secret-7f3a";
const ENV_SECRET: &str = "env-secret-value-91bc";
const SECRETS: &[&str] = &[FILE_SECRET, ENV_SECRET];

/// The profiles' names in `providers --json` rows, or `config show --json`.
fn names(rows: impl Iterator<Item = String>) -> BTreeSet<String> {
    rows.collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_key_is_exit_3_with_its_line_and_the_closest_key_before_any_request() {
    let server = MockServer::start().await;
    let sb = Sandbox::new();
    sb.config(&format!(
        "# production\n[profiles.prod]\nprovider = \"upstash\"\nemail = \"ops@example.com\"\napi_url = \"{0}\"\napi_key = \"{FILE_SECRET}\"\nurl = \"{0}\"\n",
        server.uri()
    ));
    sb.run("db list")
        .code(3)
        .stderr_has("unknown key `api_url` in profile `prod` (line 5); did you mean `url`?")
        .no_secrets(SECRETS);
    let run = sb.run("db list --json");
    run.code(3).no_secrets(SECRETS);
    let error: Value = serde_json::from_str(run.stderr.trim()).expect("one JSON error line");
    assert_eq!(error["error"]["kind"], "config");
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing is called with a bad file"
    );
    // A typo of a variable-less key gets the nearest spelling.
    sb.config("[profiles.onprem]\nprovider = \"redis-enterprise\"\nurl = \"https://c:9443\"\nuser = \"u\"\npasword_env = \"RE_PASSWORD\"\n");
    sb.run("db list").code(3).stderr_has(
        "unknown key `pasword_env` in profile `onprem` (line 5); did you mean `password_env`?",
    );
}

#[test]
fn a_toml_syntax_error_names_line_and_column() {
    let sb = Sandbox::new();
    sb.config("[profiles.x]\nprovider = \"upstash\"\nemail = \n");
    sb.run("db list")
        .code(3)
        .stderr_has("not valid TOML")
        .stderr_has("(line 3, column 9)");
    let run = sb.run("config validate -o json");
    run.code(3);
    let rows = run.json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["line"], 3);
    assert_eq!(rows[0]["column"], 9);
    assert_eq!(rows[0]["status"], "problem");
}

#[test]
fn validate_reports_every_problem_of_the_file_at_once_each_with_its_line() {
    let sb = Sandbox::new().env("UPSTASH_API_KEY", ENV_SECRET);
    sb.config(&format!(
        "[profiles.a]\nprovider = \"upstash\"\nemail = \"a@example.com\"\napi_url = \"http://x\"\napi_key = \"{FILE_SECRET}\"\n\n\
         [profiles.b]\nprovider = \"mongodb\"\n\n\
         [profiles.c]\nprovider = \"redis-enterprise\"\nurl = 9443\nuser = \"admin\"\npassword_env = \"UNSET_RE_PASSWORD\"\n\n\
         [profiles.d]\nprovider = \"cosmos\"\nkey_env = \"UNSET_COSMOS_KEY\"\n"
    ));
    let run = sb.run("config validate --json");
    run.code(3).stderr_has("7 problem(s)").no_secrets(SECRETS);
    let found: Vec<(Value, Value, String)> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["profile"].clone(),
                r["line"].clone(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        (
            json!("a"),
            json!(4),
            "unknown key `api_url` in profile `a` (line 4); did you mean `url`?",
        ),
        (
            json!("b"),
            json!(8),
            "profile 'b' has unknown provider 'mongodb' (line 8)",
        ),
        (
            json!("c"),
            json!(12),
            "'url' in profile 'c' must be a string, not integer (line 12)",
        ),
        (
            json!("c"),
            json!(14),
            "password_env in profile 'c' names UNSET_RE_PASSWORD, which is not set (line 14)",
        ),
        (
            json!("d"),
            json!(16),
            "'endpoint' in profile 'd' is not set (line 16)",
        ),
        (
            json!("d"),
            json!(18),
            "key_env in profile 'd' names UNSET_COSMOS_KEY, which is not set (line 18)",
        ),
        (json!("upstash"), Value::Null, "UPSTASH_EMAIL is not set"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((profile, line, message), (want_profile, want_line, want)) in found.iter().zip(&expected) {
        assert_eq!((profile, line), (want_profile, want_line), "{message}");
        assert!(
            message.starts_with(want),
            "{message:?} should start with {want:?}"
        );
    }
    // The table says the same on stdout.
    sb.run("config validate")
        .code(3)
        .stdout_has("did you mean `url`?")
        .stdout_has("UNSET_COSMOS_KEY")
        .no_secrets(SECRETS);
}

#[test]
fn providers_say_configured_incomplete_or_not_configured_per_profile() {
    let sb = Sandbox::new().env("UPSTASH_API_KEY", ENV_SECRET);
    sb.config(&format!(
        "[profiles.prod]\nprovider = \"upstash\"\nemail = \"ops@example.com\"\napi_key = \"{FILE_SECRET}\"\n\n\
         [profiles.team]\nprovider = \"upstash\"\nemail = \"t@example.com\"\napi_key_env = \"PROD_KEY\"\n"
    ));
    let table = sb.run("providers --insecure");
    table.code(0).no_secrets(SECRETS);
    assert_eq!(
        table.stderr, "",
        "providers connects to nothing, so warns of nothing"
    );
    let line = |word: &str| {
        table
            .stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(word))
            .unwrap_or_else(|| panic!("no row for {word} in\n{}", table.stdout))
            .to_string()
    };
    assert!(line("upstash").contains("incomplete (UPSTASH_EMAIL is not set)"));
    assert!(line("team")
        .contains("incomplete (api_key_env in profile 'team' names PROD_KEY, which is not set)"));
    assert!(line("prod").contains("configured"));
    assert!(!line("prod").contains("incomplete"));
    table.stdout_has("redis-cloud").stdout_has("not configured");

    let run = sb.run("providers --json");
    run.code(0).no_secrets(SECRETS);
    let rows = run.json();
    let row = |provider: &str, profile: Value| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["provider"] == provider && r["profile"] == profile)
            .cloned()
            .unwrap_or_else(|| panic!("no {provider}/{profile} row in {rows}"))
    };
    let env = row("upstash", json!("upstash"));
    assert_eq!(env["status"], "incomplete");
    assert_eq!(env["from"], "environment");
    assert_eq!(env["missing"], json!(["UPSTASH_EMAIL is not set"]));
    assert_eq!(row("upstash", json!("team"))["status"], "incomplete");
    let prod = row("upstash", json!("prod"));
    assert_eq!(
        (prod["status"].clone(), prod["missing"].clone()),
        (json!("configured"), json!([]))
    );
    assert_eq!(
        prod["capabilities"],
        json!([
            "connect",
            "reset-password",
            "backup-list",
            "backup-create",
            "backup-restore",
            "usage"
        ])
    );
    let cosmos = row("cosmos", Value::Null);
    assert_eq!(cosmos["status"], "not configured");
    assert_eq!(
        cosmos["capabilities"],
        json!(["collections", "usage", "throughput"])
    );

    // Setting the variable completes the profile.
    let sb = sb.env("PROD_KEY", "prod-key-value-5d2e");
    let run = sb.run("providers --json");
    run.code(0)
        .no_secrets(&["prod-key-value-5d2e", FILE_SECRET, ENV_SECRET]);
    let team = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == "team")
        .cloned()
        .unwrap();
    assert_eq!(team["status"], "configured");
}

#[test]
fn providers_and_config_render_every_output_format() {
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", "e@example.com")
        .env("UPSTASH_API_KEY", ENV_SECRET);
    let path = sb.config(&format!(
        "[profiles.prod]\nprovider = \"redis-cloud\"\napi_key = \"{FILE_SECRET}\"\nsecret_key_env = \"RC_SECRET\"\n"
    ));
    let csv = sb.run("providers -o csv");
    csv.code(0).no_secrets(SECRETS);
    let mut lines = csv.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("provider,profile,status,from,missing,capabilities,secrets")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        4,
        "upstash, prod, redis-enterprise, cosmos:\n{}",
        csv.stdout
    );
    assert!(
        rows[0].starts_with("upstash,upstash,configured,environment,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("redis-cloud,prod,incomplete,"),
        "{}",
        rows[1]
    );
    assert!(rows[1].contains("RC_SECRET"), "{}", rows[1]);

    let yaml = sb.run("providers -o yaml");
    yaml.code(0).no_secrets(SECRETS);
    let parsed: Value = serde_yaml::from_str(&yaml.stdout).expect("YAML");
    assert_eq!(parsed, sb.run("providers --json").json());

    let show = sb.run("config show -o csv");
    show.code(0).no_secrets(SECRETS);
    assert_eq!(show.stdout.lines().next(), Some("profile,key,value"));
    show.stdout_has("\nprod,api_key,***\n")
        .stdout_has("\nprod,secret_key_env,RC_SECRET\n")
        .stdout_has("\nupstash,email,e@example.com\n");
    let show = sb.run("config show -o yaml");
    show.code(0).no_secrets(SECRETS);
    let parsed: Value = serde_yaml::from_str(&show.stdout).expect("YAML");
    assert_eq!(parsed["profiles"]["prod"]["api_key"], "***");
    assert_eq!(parsed, sb.run("config show --json").json());
    sb.run("config show")
        .code(0)
        .stdout_has("secret_key_env")
        .stdout_has("RC_SECRET")
        .no_secrets(SECRETS);

    let shown = sb.run("config path --json");
    shown.code(0);
    assert_eq!(
        shown.json(),
        json!({"path": path.to_str().unwrap(), "exists": true})
    );
    sb.run("config path -o csv")
        .code(0)
        .stdout_has(&format!("path,exists\n{},true\n", path.display()));
    let plain = sb.run("config path");
    assert_eq!(plain.stdout, format!("{}\n", path.display()));

    let validate = sb.run("config validate -o csv");
    validate.code(3).no_secrets(SECRETS);
    assert_eq!(
        validate.stdout.lines().next(),
        Some("profile,provider,line,column,status,message")
    );
    validate.stdout_has("prod,redis-cloud,4,,problem,\"secret_key_env in profile 'prod' names RC_SECRET, which is not set (line 4)\"\n");
    let yaml = sb.run("config validate -o yaml");
    yaml.code(3);
    let parsed: Value = serde_yaml::from_str(&yaml.stdout).expect("YAML");
    assert_eq!(parsed.as_array().map(Vec::len), Some(2), "{parsed}");
}

#[test]
fn demo_replaces_the_configuration_in_every_command() {
    // A real config that is broken and a real variable: --demo reads neither.
    let sb = Sandbox::new().env("UPSTASH_API_KEY", ENV_SECRET);
    let path = sb.config(&format!(
        "[profiles.mine]\nprovider = \"upstash\"\napi_url = \"x\"\napi_key = \"{FILE_SECRET}\"\n"
    ));
    let show = sb.run("--demo config show --json");
    show.code(0).no_secrets(SECRETS);
    let shown = show.json();
    let from_show = names(shown["profiles"].as_object().unwrap().keys().cloned());
    let providers = sb.run("--demo providers --json");
    providers.code(0).no_secrets(SECRETS);
    let rows = providers.json();
    let from_providers = names(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["profile"].as_str().unwrap_or("-").to_string()),
    );
    assert_eq!(from_show, from_providers);
    assert_eq!(
        from_show,
        names(
            ["upstash", "redis-cloud", "redis-enterprise", "cosmos"]
                .map(String::from)
                .into_iter()
        )
    );
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "configured" && r["from"] == "built-in emulator"));
    assert!(shown["profiles"]
        .as_object()
        .unwrap()
        .values()
        .all(|p| p["from"] == "built-in emulator"));
    sb.run("--demo config validate")
        .code(0)
        .stdout_has("from built-in emulator")
        .no_secrets(SECRETS);
    let demo_path = sb.run("--demo config path --json");
    demo_path.code(0);
    assert_eq!(demo_path.json()["exists"], false);
    assert_ne!(demo_path.json()["path"], path.to_str().unwrap());
    // Without --demo the same file is refused.
    sb.run("config show").code(3).stderr_has("api_url");
    sb.run("providers").code(3).stderr_has("api_url");
}
