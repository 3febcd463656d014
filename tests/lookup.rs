//! Single-database commands take a name or an id, without `-p` (issue 25): the local index
//! answers in one round trip when right and is always checked by the provider's answer; a
//! miss or a stale entry lists every profile at once and refreshes it; two matches are exit 7
//! naming the `-p`/`--profile` and id of each. The index holds no secret and is never output.
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Run, Sandbox, Served};

/// The API answers a run got, from its `-v` log (`dbctl: < 200 GET /path`).
fn answers(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("dbctl: < "))
        .collect()
}

fn index_path(sb: &Sandbox) -> std::path::PathBuf {
    sb.home.path().join(".cache/dbctl/index.json")
}

/// Every secret the emulator's `export` lines hold.
fn served_secrets(served: &Served) -> Vec<String> {
    served
        .vars
        .iter()
        .filter(|(k, _)| k.ends_with("_KEY") || k.ends_with("_PASSWORD"))
        .map(|(_, v)| v.clone())
        .collect()
}

#[test]
fn a_name_is_found_in_every_profile_and_then_in_one_round_trip() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    // Cold: the name is no provider's id form alone, so every profile is listed once.
    let cold = sb.run(&["db", "get", "sessions-cache", "--json", "-v"]);
    cold.code(0);
    assert_eq!(cold.json()["id"], "a1b2c3d4-0000-4000-8000-000000000001");
    assert!(answers(&cold).len() > 4, "{}", cold.stderr);
    // Warm: one request, the database's own read.
    let warm = sb.run(&["db", "get", "sessions-cache", "--json", "-v"]);
    warm.code(0);
    assert_eq!(warm.json(), cold.json());
    let warm_answers = answers(&warm);
    assert_eq!(warm_answers.len(), 1, "{}", warm.stderr);
    assert!(warm_answers[0]
        .starts_with("dbctl: < 200 GET /redis/database/a1b2c3d4-0000-4000-8000-000000000001"));
    // The index: ids and names only, no secret, readable by its owner only.
    let text = std::fs::read_to_string(index_path(&sb)).unwrap();
    assert!(text.contains("sessions-cache"));
    for secret in served_secrets(&served) {
        assert!(!text.contains(&secret), "{secret} in the index");
    }
    assert!(!text.to_ascii_lowercase().contains("password"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(index_path(&sb))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_name_works_on_every_provider_with_or_without_p() {
    let sb = Sandbox::new();
    for (name, provider, id) in [
        (
            "sessions-cache",
            "upstash",
            "a1b2c3d4-0000-4000-8000-000000000001",
        ),
        ("search-index", "redis-cloud", "2145833/13008824"),
        ("session-store", "redis-enterprise", "1"),
        ("inventory", "cosmos", "inventory"),
    ] {
        for args in [
            &["--demo", "db", "get", name, "--json"][..],
            &["--demo", "db", "get", name, "-p", provider, "--json"],
        ] {
            let run = sb.run(args);
            run.code(0);
            assert_eq!(run.json()["id"], id, "{args:?}");
            assert_eq!(run.json()["provider"], provider, "{args:?}");
        }
    }
    // Other single-database commands take the name too.
    sb.run(&["--demo", "db", "url", "session-store"])
        .code(0)
        .stdout_has("redis-12001");
    sb.run(&["--demo", "db", "stats", "leaderboard", "--json"])
        .code(0)
        .stdout_has("\"database_id\": \"2\"");
}

#[test]
fn two_matches_are_exit_7_naming_what_selects_each() {
    let sb = Sandbox::new();
    let run = sb.run(&["--demo", "db", "get", "rate-limiter"]);
    run.code(7)
        .stderr_has("2 databases match \"rate-limiter\"")
        .stderr_has("-p upstash a1b2c3d4-0000-4000-8000-000000000002")
        .stderr_has("-p redis-cloud 2145833/13008823");
    assert!(run.stdout.is_empty());
    let json = sb.run(&["--demo", "db", "get", "rate-limiter", "--json"]);
    json.code(7);
    let line: Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(line["error"]["kind"], "conflict");
    // Narrowed, the same name is one database.
    sb.run(&[
        "--demo",
        "db",
        "get",
        "rate-limiter",
        "-p",
        "redis-cloud",
        "--json",
    ])
    .code(0);
}

#[test]
fn with_two_profiles_of_one_provider_p_searches_both_and_names_them_by_profile() {
    let served = Served::start(&[]);
    let sb = Sandbox::new();
    let mut config = String::new();
    for profile in ["blue", "green"] {
        config.push_str(&format!(
            "[profiles.{profile}]\nprovider = \"upstash\"\nemail = \"{}\"\napi_key = \"{}\"\nurl = \"{}\"\n\n",
            served.var("UPSTASH_EMAIL"),
            served.var("UPSTASH_API_KEY"),
            served.var("UPSTASH_API_URL"),
        ));
    }
    sb.config(&config);
    let id = "a1b2c3d4-0000-4000-8000-000000000001";
    // Both profiles reach one account: the same database twice.
    let run = sb.run(&["db", "get", "sessions-cache", "-p", "upstash"]);
    run.code(7)
        .stderr_has(&format!("--profile blue {id} (upstash)"))
        .stderr_has(&format!("--profile green {id} (upstash)"));
    sb.run(&[
        "db",
        "get",
        "sessions-cache",
        "--profile",
        "green",
        "--json",
    ])
    .code(0);
    // What takes no database names the flag that chooses, --profile.
    let create = sb.run(&["db", "create", "-p", "upstash", "--name", "x"]);
    create.code(2).stderr_has("--profile NAME");
    assert!(!create.stderr.contains("-p PROVIDER"), "{}", create.stderr);
}

#[test]
fn a_stale_or_hostile_index_is_never_output() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    sb.run(&["db", "list"]).code(0);
    let path = index_path(&sb);
    let text = std::fs::read_to_string(&path).unwrap();
    // Point `sessions-cache` at another database.
    let forged = text.replace(
        "[\"a1b2c3d4-0000-4000-8000-000000000001\",\"sessions-cache\"]",
        "[\"a1b2c3d4-0000-4000-8000-000000000002\",\"sessions-cache\"]",
    );
    assert_ne!(forged, text, "the index holds [id, name] pairs");
    std::fs::write(&path, forged).unwrap();
    // The provider's answer decides: the wrong entry is refreshed, the right database shown.
    let run = sb.run(&["db", "get", "sessions-cache", "--json", "-v"]);
    run.code(0).stderr_has("stale");
    assert_eq!(run.json()["id"], "a1b2c3d4-0000-4000-8000-000000000001");
    assert!(!std::fs::read_to_string(&path)
        .unwrap()
        .contains("a1b2c3d4-0000-4000-8000-000000000002\",\"sessions-cache"));
    // A name only the index knows is not found.
    let ghost = served.sandbox();
    let ghost_index = index_path(&ghost);
    std::fs::create_dir_all(ghost_index.parent().unwrap()).unwrap();
    std::fs::write(
        &ghost_index,
        json!({"version": 1, "profiles": [{"provider": "upstash", "profile": "upstash",
            "databases": [["a1b2c3d4-0000-4000-8000-000000000002", "ghost"]]}]})
        .to_string(),
    )
    .unwrap();
    let run = ghost.run(&["db", "get", "ghost"]);
    run.code(5).stderr_has("no database named \"ghost\"");
    assert!(run.stdout.is_empty());
}

#[test]
fn the_index_lives_under_xdg_cache_home() {
    let served = Served::start(&[]);
    let cache = tempfile::tempdir().unwrap();
    let sb = served
        .sandbox()
        .env("XDG_CACHE_HOME", cache.path().display().to_string());
    sb.run(&["db", "get", "session-store"]).code(0);
    assert!(cache.path().join("dbctl/index.json").is_file());
    assert!(!index_path(&sb).exists());
}

/// Hostile names and ids reach stderr escaped, in the exit-7 candidates too.
#[tokio::test(flavor = "multi_thread")]
async fn candidates_are_escaped() {
    let server = MockServer::start().await;
    let records = json!([
        {"database_id": "u1\u{202e}exe.txt", "database_name": "twin", "state": "active"},
        {"database_id": "u2", "database_name": "twin", "state": "active"},
    ]);
    Mock::given(method("GET"))
        .and(path("/v2/redis/databases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(records))
        .mount(&server)
        .await;
    let sb = crate::cases::upstash::case().sandbox(&server);
    let run = sb.run(&["db", "get", "twin"]);
    run.code(7)
        .stderr_has("-p upstash 'u1\\u{202e}exe.txt'")
        .stderr_has("-p upstash u2");
    assert!(!run.stderr.contains('\u{202e}'), "{}", run.stderr);
}
