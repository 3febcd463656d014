//! Desired state you can trust with prune: each way a spec in a pull request could make
//! `apply --yes` do something other than what its reviewer read, as the attacker or the
//! newcomer met it, then what happens now. Every run that may prune asserts exactly which
//! databases were deleted: the DELETE requests wiremock received, or the emulator's fleet.
use std::collections::BTreeSet;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixture, requests_by_method, Run, Sandbox, Served};
use crate::desired::{actions, clean, edit_block, exported, names_of, spec, without};

/// The (profile, name) pairs `before` had and the fleet has no longer.
fn deleted(sb: &Sandbox, before: &BTreeSet<(String, String)>) -> Vec<(String, String)> {
    before.difference(&names_of(sb)).cloned().collect()
}

fn pair(profile: &str, name: &str) -> (String, String) {
    (profile.to_string(), name.to_string())
}

/// The export with `prune = true` and `edit` applied.
fn pruning(sb: &Sandbox, edit: impl Fn(String) -> String) -> String {
    exported(sb, |text| {
        edit(text.replacen("prune = false", "prune = true", 1))
    })
}

/// The paths of the DELETE requests a server received.
async fn deletes(server: &MockServer) -> Vec<String> {
    requests_by_method(server, "DELETE")
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect()
}

/// Case 1: a lookalike of an existing name (NFD, a zero-width joiner, a bidi mark, a Cyrillic
/// letter) once planned `+ create X` and `? unmanaged X` lines that read the same, and
/// `apply --prune --yes` deleted the real database. Now NFD is the same name, and the others
/// are refused at plan (exit 3) with their code points; nothing is deleted.
#[test]
fn lookalike_names_never_become_a_create_and_a_delete() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let before = names_of(&sb);

    // NFD for the provider's NFC is the same database: nothing to change, nothing deleted.
    let nfd = pruning(&sb, |text| {
        edit_block(
            &text,
            "t\u{e9}l\u{e9}m\u{e9}trie",
            "name = \"t\u{e9}l\u{e9}m\u{e9}trie\"",
            "name = \"te\u{301}le\u{301}me\u{301}trie\"",
        )
    });
    let file = spec(&sb, "nfd.toml", &nfd);
    clean(sb.run(&["plan", "-f", &file]).code(0)).stdout_has("No differences");
    let applied = sb.run(&["apply", "-f", &file, "--yes", "--prune", "--json"]);
    assert_eq!(clean(applied.code(0)).json(), json!([]));
    assert_eq!(deleted(&sb, &before), vec![]);

    for (lookalike, says) in [
        ("rate\u{200d}-limiter", "holds U+200D"),
        ("rate-limiter\u{200f}", "holds U+200F"),
        ("r\u{430}te-limiter", "U+0072 U+0430 U+0074"),
    ] {
        let text = pruning(&sb, |text| {
            edit_block(
                &text,
                "rate-limiter\"\nprovider = \"upstash",
                "name = \"rate-limiter\"",
                &format!("name = \"{lookalike}\""),
            )
        });
        let file = spec(&sb, "lookalike.toml", &text);
        let plan = sb.run(&["plan", "-f", &file]);
        clean(plan.code(3)).stderr_has(says);
        assert_eq!(plan.stdout, "", "no plan to misread");
        let apply = sb.run(&["apply", "-f", &file, "--yes", "--prune"]);
        clean(apply.code(3)).stderr_has(says);
        assert_eq!(deleted(&sb, &before), vec![], "{lookalike:?}");
    }
    // The Cyrillic twin is named next to the real one, both with their code points.
    let text = pruning(&sb, |text| {
        edit_block(
            &text,
            "rate-limiter\"\nprovider = \"upstash",
            "name = \"rate-limiter\"",
            "name = \"r\u{430}te-limiter\"",
        )
    });
    let file = spec(&sb, "cyrillic.toml", &text);
    sb.run(&["plan", "-f", &file])
        .code(3)
        .stderr_has("profile upstash has two names that look alike (Unicode TR39 confusables)")
        .stderr_has("\"rate-limiter\" [U+0072 U+0061 U+0074 U+0065")
        .stderr_has("\"r\u{430}te-limiter\" [U+0072 U+0430");
}

/// A provider's own name that hides a character is refused too: its reviewer would read a
/// name that is not there. Nothing is deleted.
#[tokio::test(flavor = "multi_thread")]
async fn a_provider_name_with_an_invisible_character_is_refused() {
    let (server, sb) = crate::desired::upstash(json!([
        crate::desired::upstash_db("u-1", "cache\u{200b}"),
        crate::desired::upstash_db("u-2", "cache"),
    ]))
    .await;
    let file = spec(
        &sb,
        "fleet.toml",
        "prune = true\n\n[[database]]\nprofile = \"upstash\"\nname = \"cache\"\nregion = \"us-east-1\"\n",
    );
    for command in [&["plan", "-f", &file][..], &["apply", "-f", &file, "--yes"]] {
        sb.run(command)
            .code(3)
            .stderr_has("upstash database u-1: the name \"cache\\u{200b}\" [U+0063 U+0061 U+0063 U+0068 U+0065 U+200B] in profile upstash holds U+200B")
            .no_secrets(&["wm-password-1"]);
    }
    assert_eq!(deletes(&server).await, Vec::<String>::new());
}

/// Case 2: `-p` once widened plan/apply: `apply -f re-only.toml -p upstash --prune --yes` applied
/// the Redis Enterprise change and deleted every Upstash database. Now `-p`/`--profile`
/// narrow to the spec's profiles, and one the spec does not declare is exit 3.
#[test]
fn dash_p_narrows_and_never_widens() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let before = names_of(&sb);
    let re_only = sb.run(&["export", "-p", "redis-enterprise"]);
    let text = edit_block(
        &clean(re_only.code(0)).stdout,
        "feature-flags",
        "memory = \"256MiB\"",
        "memory = \"512MiB\"",
    );
    let file = spec(&sb, "re-only.toml", &text);
    for narrowing in [&["-p", "upstash"][..], &["--profile", "upstash"]] {
        let run = sb.run(&[&["apply", "-f", &file, "--prune", "--yes"][..], narrowing].concat());
        clean(run.code(3))
            .stderr_has("the spec does not declare it (it declares redis-enterprise)");
        assert_eq!(run.stdout, "");
    }
    assert_eq!(deleted(&sb, &before), vec![]);
    let memory = |sb: &Sandbox| {
        let db = sb.run(&["db", "get", "3", "-p", "redis-enterprise", "--json"]);
        db.code(0).json()["memory_limit_bytes"].clone()
    };
    assert_eq!(memory(&sb), json!(256 << 20), "the RE change was not made");

    // A spec of two profiles, narrowed to one: only that one is planned and applied, and the
    // other's databases outside the spec are not deleted though the spec prunes.
    let text = format!(
        "profiles = [\"upstash\", \"redis-enterprise\"]\nprune = true\n{}",
        text.split_once("prune = false\n").unwrap().1
    );
    let file = spec(&sb, "two.toml", &text);
    let plan = sb.run(&["plan", "-f", &file, "--json", "-p", "redis-enterprise"]);
    assert_eq!(
        actions(&clean(plan.code(13)).json()),
        vec![(
            "update".into(),
            "redis-enterprise".into(),
            "feature-flags".into()
        )]
    );
    let whole = sb.run(&["plan", "-f", &file, "--json"]).code(13).json();
    assert_eq!(
        actions(&whole)
            .iter()
            .filter(|(a, p, _)| a == "delete" && p == "upstash")
            .count(),
        3,
        "without -p the spec would delete the three upstash databases: {whole:#}"
    );
    let applied = sb.run(&[
        "apply",
        "-f",
        &file,
        "--yes",
        "--profile",
        "redis-enterprise",
        "--json",
    ]);
    let results = clean(applied.code(0)).json();
    assert_eq!(results.as_array().unwrap().len(), 1, "{results:#}");
    assert_eq!(results[0]["action"], "update");
    assert_eq!(memory(&sb), json!(512 << 20));
    assert_eq!(deleted(&sb, &before), vec![]);
}

/// The served emulator's Upstash account again, as a config-file profile `prod-upstash`.
fn alias_profile(served: &Served, sb: &Sandbox) {
    sb.config(&format!(
        "[profiles.prod-upstash]\nprovider = \"upstash\"\nemail = \"{}\"\napi_key = \"{}\"\nurl = \"{}/\"\n",
        served.var("UPSTASH_EMAIL"),
        served.var("UPSTASH_API_KEY"),
        served.var("UPSTASH_API_URL"),
    ));
}

/// Case 3: the environment profile and a config profile with the same key are one account: a
/// spec keeping its databases under one and declaring the other once had `apply --prune`
/// delete them all. Now the spec is refused (exit 3) naming both, whatever narrows it.
#[test]
fn two_profiles_for_one_account_cannot_split_it() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    alias_profile(&served, &sb);
    let before = names_of(&sb);
    let kept = sb.run(&["export", "-p", "upstash", "--profile", "upstash"]);
    let text = clean(kept.code(0)).stdout.replacen(
        "profiles = [\"upstash\"]\n",
        "profiles = [\"upstash\", \"prod-upstash\"]\n",
        1,
    );
    let text = text.replacen("prune = false", "prune = true", 1);
    let file = spec(&sb, "alias.toml", &text);
    for extra in [&[][..], &["--profile", "prod-upstash"], &["--prune"]] {
        for command in [&["plan", "-f", &file][..], &["apply", "-f", &file, "--yes"]] {
            let run = sb.run(&[command, extra].concat());
            clean(run.code(3))
                .stderr_has("profiles upstash and prod-upstash reach one account (upstash account at http://127.0.0.1:")
                .stderr_has("/upstash/v2, key sha256:")
                .no_secrets(&[&served.var("UPSTASH_API_KEY")]);
            assert_eq!(run.stdout, "");
        }
    }
    assert_eq!(deleted(&sb, &before), vec![]);
    // One profile per account is fine, whichever it is.
    let single = text.replacen("\"upstash\", \"prod-upstash\"", "\"upstash\"", 1);
    let file = spec(&sb, "single.toml", &single);
    clean(sb.run(&["plan", "-f", &file]).code(0)).stdout_has("No differences");
}

/// The same alias against wiremock: no DELETE request is ever sent.
#[tokio::test(flavor = "multi_thread")]
async fn an_alias_profile_sends_no_delete() {
    let (server, sb) = crate::desired::upstash(json!([
        crate::desired::upstash_db("u-1", "kept"),
        crate::desired::upstash_db("u-2", "other"),
    ]))
    .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("OK")))
        .mount(&server)
        .await;
    let env = (crate::cases::upstash::case().env)(&server.uri());
    let var = |name: &str| env.iter().find(|(k, _)| *k == name).unwrap().1.clone();
    sb.config(&format!(
        "[profiles.team]\nprovider = \"upstash\"\nemail = \"{}\"\napi_key_env = \"TEAM_KEY\"\nurl = \"{}\"\n",
        var("UPSTASH_EMAIL").to_uppercase(),
        var("UPSTASH_API_URL").replace("http://", "HTTP://"),
    ));
    let sb = sb.env("TEAM_KEY", var("UPSTASH_API_KEY"));
    let file = spec(
        &sb,
        "fleet.toml",
        "profiles = [\"upstash\", \"team\"]\nprune = true\n\n[[database]]\nprofile = \"upstash\"\nname = \"kept\"\n",
    );
    sb.run(&["apply", "-f", &file, "--yes", "--prune"])
        .code(3)
        .stderr_has("profiles upstash and team reach one account")
        .no_secrets(&[crate::cases::upstash::KEY]);
    assert_eq!(deletes(&server).await, Vec::<String>::new());
}

/// Case 4: `[database.settings]` once overrode managed fields: with `name` and `memory_size`
/// settings, apply reported "create visible-name done" and created `other-name` at 500 GiB.
/// Now a setting naming a managed field, in any provider's spelling, is exit 3 at its line.
#[test]
fn settings_cannot_set_a_managed_field_twice() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let before = names_of(&sb);
    let create = |settings: &str| {
        format!(
            "[[database]]\nprofile = \"redis-enterprise\"\nname = \"visible-name\"\nmemory = \"1GiB\"\n\n[database.settings]\nshards_count = 1\n{settings}\n"
        )
    };
    let file = spec(
        &sb,
        "settings.toml",
        &create("name = \"other-name\"\nmemory_size = 536870912000"),
    );
    for command in [&["plan", "-f", &file][..], &["apply", "-f", &file, "--yes"]] {
        let run = sb.run(command);
        clean(run.code(3)).stderr_has(
            "settings.toml line 8, column 1: [database.settings] sets \"name\": `name`, a field the spec manages itself",
        );
        assert_eq!(run.stdout, "");
    }
    for (setting, says) in [
        (
            "memory_size = 536870912000",
            "redis-enterprise's `memory_size`, that is `memory`",
        ),
        (
            "datasetSizeInGb = 500",
            "redis-cloud's `datasetSizeInGb`, that is `memory`",
        ),
        (
            "dataset_size_in_gb = 500",
            "redis-cloud's `datasetSizeInGb`, that is `memory`",
        ),
        (
            "tls_mode = \"disabled\"",
            "redis-enterprise's `tls_mode`, that is `tls`",
        ),
        (
            "database_name = \"x\"",
            "upstash's `database_name`, that is `name`",
        ),
        (
            "throughput = 400",
            "`throughput`, a field the spec manages itself",
        ),
    ] {
        sb.run(&["plan", "-f", &spec(&sb, "settings.toml", &create(setting))])
            .code(3)
            .stderr_has("settings.toml line 8, column 1")
            .stderr_has(says);
    }
    assert_eq!(names_of(&sb), before, "nothing was created");
    // The provider's own settings still go through, typed.
    let file = spec(
        &sb,
        "settings.toml",
        &create("eviction_policy = \"allkeys-lru\""),
    );
    let applied = sb.run(&["apply", "-f", &file, "--yes", "--json"]);
    assert_eq!(clean(applied.code(0)).json()[0]["result"], "done");
    let created = sb.run(&["export", "-p", "redis-enterprise"]).stdout;
    let block = &created[created.find("name = \"visible-name\"").unwrap()..];
    assert!(
        block.contains("memory = \"1GiB\"")
            && block.contains("eviction_policy = \"allkeys-lru\"\n")
            && block.contains("shards_count = 1\n"),
        "{block}"
    );
}

/// Case 5: Naming one database once made its whole profile managed, with no way to plan or apply
/// part of a spec. Now `--target PROFILE/NAME` plans and applies only those databases.
#[test]
fn target_plans_and_applies_only_the_named_databases() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let before = names_of(&sb);
    let text = pruning(&sb, |text| {
        let text = edit_block(
            &text,
            "feature-flags",
            "memory = \"256MiB\"",
            "memory = \"512MiB\"",
        );
        let text = edit_block(
            &text,
            "staging-cache",
            "memory = \"1GiB\"",
            "memory = \"2GiB\"",
        );
        without(&text, "cosmos", "sessions")
    });
    let file = spec(&sb, "fleet.toml", &text);
    let all = sb.run(&["plan", "-f", &file, "--json"]).code(13).json();
    assert_eq!(actions(&all).len(), 3, "{all:#}");

    let one = sb.run(&[
        "plan",
        "-f",
        &file,
        "--json",
        "--target",
        "redis-enterprise/feature-flags",
    ]);
    assert_eq!(
        actions(&clean(one.code(13)).json()),
        vec![(
            "update".into(),
            "redis-enterprise".into(),
            "feature-flags".into()
        )]
    );
    let applied = sb.run(&[
        "apply",
        "-f",
        &file,
        "--yes",
        "--json",
        "--target",
        "redis-enterprise/feature-flags",
    ]);
    assert_eq!(clean(applied.code(0)).json().as_array().unwrap().len(), 1);
    assert_eq!(deleted(&sb, &before), vec![], "sessions was not targeted");
    let left = sb.run(&["plan", "-f", &file, "--json"]).code(13).json();
    assert_eq!(
        actions(&left),
        vec![
            ("delete".into(), "cosmos".into(), "sessions".into()),
            (
                "update".into(),
                "redis-cloud".into(),
                "staging-cache".into()
            ),
        ]
    );

    // A delete is targeted like any change: exactly that database goes.
    let pruned = sb.run(&["apply", "-f", &file, "--yes", "--target", "cosmos/sessions"]);
    clean(pruned.code(0)).stdout_has("- delete");
    assert_eq!(deleted(&sb, &before), vec![pair("cosmos", "sessions")]);

    // A target that names nothing, or a profile the plan does not cover, is exit 3.
    for (target, says) in [
        ("upstash/nope", "no database \"nope\" in profile upstash"),
        ("nope/x", "profile nope is not one this plan covers"),
    ] {
        sb.run(&["plan", "-f", &file, "--target", target])
            .code(3)
            .stderr_has(says);
    }
    sb.run(&["plan", "-f", &file, "--target", "no-slash"])
        .code(2)
        .stderr_has("expected PROFILE/NAME");
}

/// The GitHub Actions example of the README, step by step: its `run:` lines, the gate first.
fn readme_steps() -> (String, String) {
    let readme = include_str!("../README.md");
    let block = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.contains("GITHUB_STEP_SUMMARY"))
        .expect("the README's Actions example");
    let runs: Vec<String> = block
        .lines()
        .filter_map(|line| line.trim().strip_prefix("run: dbctl "))
        .map(|command| format!("dbctl {command}"))
        .collect();
    assert_eq!(runs.len(), 2, "a gate and a deploy step: {runs:?}");
    (runs[0].clone(), runs[1].clone())
}

/// One step as the runner runs it: bash with pipefail, the workflow's `env:` (the served
/// emulator's variables), `$GITHUB_STEP_SUMMARY` a file.
fn step(served: &Served, dir: &std::path::Path, command: &str) -> Run {
    let binary = assert_cmd::cargo::cargo_bin("dbctl");
    let output = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", command])
        .current_dir(dir)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                binary.parent().unwrap().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .envs(served.vars.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run bash");
    Run::from(output)
}

/// Case 6: After a database was removed from the spec and `apply --yes` ran without `--prune`,
/// `plan` once exited 13 on every later run: the README's gate failed every pull request. Now
/// with `prune = false` it stays green (the database is reported as unmanaged) and with
/// `prune = true` the gate is red until the deploy step deletes exactly that database.
#[test]
fn the_readme_gate_stays_green_after_a_removal_and_prune_deletes_it() {
    let served = Served::start(&[]);
    let sb = served.sandbox();
    let (gate, deploy) = readme_steps();
    assert!(gate.contains("plan") && deploy.contains("apply") && !deploy.contains("--prune"));
    let dir = tempfile::tempdir().unwrap();
    let summary = || std::fs::read_to_string(dir.path().join("summary.md")).unwrap_or_default();
    let before = names_of(&sb);
    let removed = exported(&sb, |text| without(&text, "upstash", "rate-limiter"));
    assert!(
        removed.contains("\nprune = false\n"),
        "export writes prune = false"
    );
    std::fs::write(dir.path().join("fleet.toml"), &removed).unwrap();

    for command in [&gate, &deploy, &gate] {
        let run = step(&served, dir.path(), command);
        clean(run.code(0)).stdout_has("| ? unmanaged | upstash | rate-limiter |");
    }
    assert_eq!(
        deleted(&sb, &before),
        vec![],
        "prune = false deletes nothing"
    );
    assert!(
        summary().contains("### dbctl plan of fleet\\.toml\n"),
        "{}",
        summary()
    );

    std::fs::write(
        dir.path().join("fleet.toml"),
        removed.replacen("prune = false", "prune = true", 1),
    )
    .unwrap();
    let red = step(&served, dir.path(), &gate);
    clean(red.code(13))
        .stdout_has("| - delete | upstash | rate-limiter | a1b2c3d4-0000-4000-8000-000000000002 | not in the spec |")
        .stdout_has("**0 to create, 0 to update, 0 that cannot change in place, 1 to delete**");
    let deployed = step(&served, dir.path(), &deploy);
    clean(deployed.code(0))
        .stdout_has("### dbctl apply results")
        .stdout_has("| delete | upstash | rate-limiter |");
    assert_eq!(deleted(&sb, &before), vec![pair("upstash", "rate-limiter")]);
    clean(step(&served, dir.path(), &gate).code(0)).stdout_has("No differences");
}

/// `plan -o markdown` is the reviewable form: a hostile name in the spec or at the provider
/// renders as its own text, never a link, an image, HTML, a table break or a workflow command.
#[tokio::test(flavor = "multi_thread")]
async fn the_markdown_plan_shows_hostile_names_as_text() {
    const HOSTILE: &str = "[pay](https://evil.example) ![x](https://evil.example/p.png) <img src=x onerror=alert(1)> a|b `c` **d** @team www.evil.example ::error::x ##[group]";
    let (server, sb) =
        crate::desired::upstash(json!([crate::desired::upstash_db("u-1", HOSTILE)])).await;
    let file = spec(
        &sb,
        "fleet.toml",
        "prune = true\n\n[[database]]\nprofile = \"upstash\"\nname = \"new\"\nregion = \"<b>x</b>\"\n",
    );
    let run = sb.run(&["plan", "-f", &file, "-o", "markdown"]);
    run.code(13);
    let escaped = "\\[pay\\]\\(https\\://evil\\.example\\) \\!\\[x\\]\\(https\\://evil\\.example/p\\.png\\) \\<img src=x onerror=alert\\(1\\)\\> a\\|b \\`c\\` \\*\\*d\\*\\* \\@team www\\.evil\\.example \\:\\:error\\:\\:x \\#\\#\\[group\\]";
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        &lines[2..],
        [
            "| ACTION | PROFILE | NAME | ID | CHANGES |",
            "| --- | --- | --- | --- | --- |",
            &format!("| - delete | upstash | {escaped} | u-1 | not in the spec |"),
            "| + create | upstash | new | | region=\\<b\\>x\\</b\\> |",
            "",
            "**1 to create, 0 to update, 0 that cannot change in place, 1 to delete**",
        ],
        "{}",
        run.stdout
    );
    assert!(lines[0].starts_with("### dbctl plan of /"), "{}", lines[0]);
    assert!(
        run.stdout
            .lines()
            .all(|l| !l.trim_start().starts_with("::") && !l.contains("##[")),
        "{}",
        run.stdout
    );
    assert_eq!(deletes(&server).await, Vec::<String>::new());
}

/// The Cosmos serverless account answers `GET /offers` with 400 "not supported for
/// serverless accounts". That once dropped every database from `db stats` (exit 12) and
/// failed `export` (exit 6). Serverless means "no provisioned throughput": stats, export,
/// plan and apply work, and a spec giving throughput there is exit 3 saying why.
#[tokio::test(flavor = "multi_thread")]
async fn a_serverless_cosmos_account_has_no_throughput_and_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/dbs"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("cosmos", "databases.json"), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/offers"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            fixture("cosmos", "offers-serverless.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let sb = crate::cases::cosmos::case().sandbox(&server);
    let key = [crate::cases::cosmos::KEY];

    let stats = sb.run(&["db", "stats", "--json"]);
    let stats = stats.code(0).no_secrets(&key).json();
    assert_eq!(stats.as_array().unwrap().len(), 4, "{stats:#}");
    for usage in stats.as_array().unwrap() {
        assert_eq!(
            (&usage["throughput_ru"], &usage["throughput_max_ru"]),
            (&Value::Null, &Value::Null)
        );
    }
    let export = sb.run(&["export"]);
    export.code(0).no_secrets(&key);
    assert!(!export.stdout.contains("throughput"), "{}", export.stdout);
    let file = spec(&sb, "fleet.toml", &export.stdout);
    sb.run(&["plan", "-f", &file])
        .code(0)
        .stdout_has("No differences");

    for entry in [
        "[[database]]\nprofile = \"cosmos\"\nname = \"iot2\"\nthroughput = 400\n",
        "[[database]]\nprofile = \"cosmos\"\nname = \"new\"\nthroughput = { autoscale_max = 4000 }\n",
    ] {
        let file = spec(&sb, "fleet.toml", entry);
        for command in [&["plan", "-f", &file][..], &["apply", "-f", &file, "--yes"]] {
            sb.run(command)
                .code(3)
                .stderr_has("fleet.toml line 4, column 14: profile cosmos reaches a serverless account, which provisions no throughput");
        }
    }
    Mock::given(method("GET"))
        .and(path("/dbs/iot2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "iot2", "_rid": "qicAAA=="})),
        )
        .mount(&server)
        .await;
    sb.run(&["db", "update", "iot2", "--throughput", "800"])
        .code(6)
        .stderr_has("serverless account");

    // A database without throughput is created as on any account: no offer header.
    let created = json!({"id": "new", "_rid": "bmV3AA=="});
    Mock::given(method("POST"))
        .and(path("/dbs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(&created))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/dbs/new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&created))
        .mount(&server)
        .await;
    let file = spec(
        &sb,
        "fleet.toml",
        &format!(
            "{}\n[[database]]\nprofile = \"cosmos\"\nname = \"new\"\n",
            export.stdout
        ),
    );
    sb.run(&["apply", "-f", &file, "--yes"])
        .code(0)
        .no_secrets(&key);
    let posts = requests_by_method(&server, "POST").await;
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0]
            .headers
            .keys()
            .all(|h| !h.as_str().contains("offer")),
        "{:?}",
        posts[0].headers
    );
    assert_eq!(deletes(&server).await, Vec::<String>::new());
}
