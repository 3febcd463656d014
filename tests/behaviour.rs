//! The behaviour every provider must show. Each function here takes a provider's [`Case`];
//! `provider_tests!` turns each behaviour × provider into one named test
//! (`behaviour::upstash::lists_in_every_format_without_leaking`), so a failure names its
//! provider and `cargo test upstash` runs only Upstash's.
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cases::{Case, Refusal};
use crate::common::{refs, requests, requests_to_path, when, Run, Sandbox};

/// One module per provider, one `#[tokio::test]` per behaviour, calling `behaviour(case())`.
macro_rules! provider_tests {
    ([$($provider:ident),* $(,)?], $behaviours:tt) => {
        $(provider_tests!(@one $provider, $behaviours);)*
    };
    (@one $provider:ident, [$($behaviour:ident),* $(,)?]) => {
        mod $provider {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $behaviour() {
                    super::$behaviour(crate::cases::$provider::case()).await
                }
            )*
        }
    };
}

provider_tests!(
    [upstash, redis_cloud, redis_enterprise, cosmos],
    [
        lists_in_every_format_without_leaking,
        maps_refusals_to_exit_codes,
        survives_broken_answers,
        without_credentials_is_a_config_error,
        half_credentials_name_the_missing_variable,
        keeps_secrets_out_of_get_and_url,
        wrong_credentials_are_exit_4_with_a_hint,
        an_unknown_id_is_exit_5_in_the_providers_words,
        a_busy_provider_is_retried_then_explained,
        throttling_is_retried_then_exit_9,
        unsupported_operations_are_exit_6_before_any_request,
        delete_needs_yes_without_a_terminal,
        export_then_plan_finds_nothing,
        check_and_usage_keep_secrets_out,
        a_malformed_id_is_exit_6_before_any_request,
        writes_send_the_documented_requests,
        bad_writes_are_refused_before_any_request,
    ]
);

/// Every write command of the provider (create, update, delete, dry runs, waits) against a
/// server of its own: exit 0, exactly the requests the provider documents (each expected one
/// once, none more), the output it must print, and no secret of the answers.
async fn writes_send_the_documented_requests(case: Case) {
    for write in (case.writes)() {
        let server = MockServer::start().await;
        for mock in write.mocks {
            server.register(mock).await;
        }
        let said = format!("{}: dbctl {}", case.provider, write.args);
        let run = case.sandbox(&server).run(write.args.as_str());
        run.code(0).stdout_has(write.says);
        if !write.hides.is_empty() {
            run.no_secrets(&refs(&write.hides));
        }
        for (pointer, value) in &write.prints {
            let printed = run.json();
            assert_eq!(
                printed.pointer(pointer),
                Some(value),
                "{said}: {pointer} in\n{printed:#}"
            );
        }
        assert_eq!(
            requests(&server).await.len(),
            write.requests,
            "{said}: requests"
        );
        server.verify().await;
    }
}

/// Writes the provider would refuse, or that make no sense, are refused before any request,
/// with the exit code and the words of each.
async fn bad_writes_are_refused_before_any_request(case: Case) {
    let server = MockServer::start().await;
    let sb = case.sandbox(&server);
    for (args, code, says) in case.refused_writes {
        sb.run(*args).code(*code).stderr_has(says);
    }
    assert!(
        requests(&server).await.is_empty(),
        "{}: a refused write reached the provider",
        case.provider
    );
}

/// An id no database of the provider can have — empty, blank, with a control character, or
/// not in the provider's own form — is exit 6 for every command that takes one, before any
/// request (and before asking): one line naming the provider and what a valid id looks like.
async fn a_malformed_id_is_exit_6_before_any_request(case: Case) {
    let server = MockServer::start().await;
    let sb = case.sandbox(&server);
    let common = ["", "  ", "a\u{1b}[31mb", "1\n2"];
    for id in common.iter().chain(case.malformed_ids) {
        for args in [
            "db get ID".to_string(),
            "db delete ID --yes".into(),
            "db delete ID".into(),
            "db update ID --name x".into(),
            "db url ID".into(),
            "db wait ID --status active --timeout 5".into(),
            format!("db stats ID -p {}", case.provider),
        ] {
            let run = sb.run(&Case::args(args.as_str(), id));
            // Another form may be a name: without --yes and a terminal, nothing is looked up.
            if args == "db delete ID" && case.malformed_ids.contains(id) {
                run.code(6).stderr_has("without --yes");
                continue;
            }
            run.code(6)
                .stderr_has(case.provider)
                .stderr_has(case.id_form);
            assert!(run.stdout.is_empty(), "{}: {}", case.provider, run.stdout);
            let lines: Vec<&str> = run.stderr.lines().collect();
            assert_eq!(
                lines.len(),
                1,
                "{}: one line\n{}",
                case.provider,
                run.stderr
            );
            assert!(
                lines[0].starts_with("error: ") && lines[0].contains("not a valid"),
                "{}: {args:?} {id:?}: {}",
                case.provider,
                lines[0]
            );
        }
        let run = sb.run(&["db", "get", id, "--json"]);
        run.code(6);
        let line: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
        assert_eq!(line["error"]["kind"], "invalid");
        assert_eq!(line["error"]["provider"], case.provider);
    }
    // An id of another form may be a name: looked up in the lists, nothing else asked.
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| r.method.as_str() == "GET"),
        "{}: a malformed id reached the provider",
        case.provider
    );
}

/// `check` in every format (JUnit too) and `db list --usage`, with -vv: no secret, whatever
/// the provider answers to the usage requests this list server does not know (exit 12).
async fn check_and_usage_keep_secrets_out(case: Case) {
    let server = case.list_server().await;
    let sb = case.sandbox(&server);
    let secrets = (case.secrets)();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let rules = [
        "--rule",
        "status",
        "--rule",
        "tls",
        "--rule",
        "backups",
        "--rule",
        "persistence",
    ];
    for format in [
        &["-o", "table"][..],
        &["-o", "json"],
        &["-o", "yaml"],
        &["-o", "csv"],
        &["--format", "junit"],
    ] {
        let mut args = vec!["check", "-vv", "--raw"];
        args.extend_from_slice(&rules);
        args.extend_from_slice(format);
        let run = sb.run(&args);
        assert!(
            [0, 13].contains(&run.code),
            "{}: {args:?} gave {}: {}",
            case.provider,
            run.code,
            run.stderr
        );
        run.no_secrets(&secrets);
        assert!(!run.stdout.is_empty());
    }
    for args in [
        &["db", "list", "--usage", "-vv", "--json", "--retries", "1"][..],
        &["db", "stats", "-vv", "--retries", "1"],
    ] {
        let run = sb.run(args);
        assert!(
            [0, 12].contains(&run.code),
            "{}: {args:?} gave {}: {}",
            case.provider,
            run.code,
            run.stderr
        );
        run.no_secrets(&secrets);
    }
}

/// `db list` in every format, with --raw and -vv, shows the fixture's databases and no secret.
async fn lists_in_every_format_without_leaking(case: Case) {
    let server = case.list_server().await;
    let sb = case.sandbox(&server);
    let secrets = (case.secrets)();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let json = sb.run("db list --json");
    json.code(0).no_secrets(&secrets);
    let listed = json.json();
    for name in case.names {
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["name"] == *name && d["provider"] == case.provider),
            "{}: {name} missing from {listed}",
            case.provider
        );
    }
    for format in ["table", "json", "yaml", "csv"] {
        for extra in [&[][..], &["--raw"][..], &["-vv"][..], &["-vv", "--raw"][..]] {
            let mut args = vec!["db", "list", "-o", format];
            args.extend_from_slice(extra);
            let run = sb.run(&args);
            run.code(0).no_secrets(&secrets);
            assert!(!run.stdout.is_empty());
        }
    }
    // -vv logs the request with the credential header masked.
    sb.run("db list -vv")
        .stderr_has(case.masked_header)
        .stderr_has("GET");
}

/// Each refusal status maps to its exit code, with stdout empty and one error line.
async fn maps_refusals_to_exit_codes(case: Case) {
    let secrets = (case.secrets)();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    for (status, body, code) in [
        (401, "{\"error\":\"unauthorized\"}", 4),
        (403, "{\"message\":\"forbidden\"}", 4),
        (404, "{\"message\":\"not found\"}", 5),
        (400, "<html><title>Bad Request</title></html>", 6),
        (409, "{\"message\":\"busy\"}", 7),
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let run = case
            .sandbox(&server)
            .run(&["db", "get", case.missing_id, "-vv"]);
        run.code(code).no_secrets(&secrets);
        assert!(
            run.stdout.is_empty(),
            "{}: stdout must stay empty on error",
            case.provider
        );
        assert_eq!(
            run.stderr.matches("error:").count(),
            1,
            "{}: one error line:\n{}",
            case.provider,
            run.stderr
        );
    }
}

/// Truncated, non-JSON and 5xx answers, and the provider's own broken lists, are exit 8,
/// nothing partial, no secret and no panic.
async fn survives_broken_answers(case: Case) {
    let secrets = (case.secrets)();
    let generic = [
        (200, "{\"truncated\": [1, 2"),
        (200, "<html><body>maintenance</body></html>"),
        (200, "\u{0}\u{1}\u{2}not json"),
        (500, "<html><title>Internal Server Error</title></html>"),
    ]
    .map(|(status, body)| (status, body.to_string(), "application/json"));
    let own = (case.broken_lists)()
        .into_iter()
        .map(|(body, content_type)| (200, body, content_type));
    for (status, body, content_type) in generic.into_iter().chain(own) {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_raw(body.clone(), content_type))
            .mount(&server)
            .await;
        let run = case.sandbox(&server).run("db list --json --retries 1");
        run.code(8).no_secrets(&refs(&secrets));
        assert!(
            run.stdout.is_empty(),
            "{}: nothing partial on stdout",
            case.provider
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{}: {}",
            case.provider,
            run.stderr
        );
    }
}

/// No credentials at all is a config error (exit 3) naming the provider and its variables.
async fn without_credentials_is_a_config_error(case: Case) {
    let run = Sandbox::new().run(&["db", "list", "-p", case.provider]);
    run.code(3).stderr_has(case.provider);
    for needle in case.no_credentials_says {
        run.stderr_has(needle);
    }
}

/// Half a set of credentials is exit 3 naming what is missing.
async fn half_credentials_name_the_missing_variable(case: Case) {
    let server = MockServer::start().await;
    let half = (case.env)(&server.uri())
        .into_iter()
        .filter(|(name, _)| case.half_env.contains(name))
        .fold(Sandbox::new(), |sb, (k, v)| sb.env(k, v));
    let run = half.run("db list");
    run.code(3);
    for needle in case.half_says {
        run.stderr_has(needle);
    }
    assert!(requests(&server).await.is_empty());
}

/// `db get` and `db url` never print a secret unless --show-secrets, and never in the logs.
async fn keeps_secrets_out_of_get_and_url(case: Case) {
    let server = MockServer::start().await;
    (case.mount_get)(&server).await;
    let sb = case.sandbox(&server);
    let secrets = (case.secrets)();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let id = case.existing_id;
    for format in ["table", "json", "yaml", "csv"] {
        for extra in [&[][..], &["--raw"][..], &["-vv", "--raw"][..]] {
            let mut args = vec!["db", "get", id, "-o", format];
            args.extend_from_slice(extra);
            sb.run(&args).code(0).no_secrets(&secrets);
        }
        let url = sb.run(&["db", "url", id, "-o", format, "-vv"]);
        url.code(0).no_secrets(&secrets);
        assert!(
            url.stdout.contains("***"),
            "{}: the masked secret is shown as ***",
            case.provider
        );
    }
    // --show-secrets prints the password on stdout, and still never in the logs.
    let shown = sb.run(&["db", "url", id, "--show-secrets", "-vv"]);
    shown.code(0);
    assert!(
        !shown.stdout.contains("***"),
        "{}: {}",
        case.provider,
        shown.stdout
    );
    crate::common::assert_no_secrets("", &shown.stderr, &secrets);
}

/// Asserts the one `error:` line holds none of the provider's internals.
fn error_line_is_clean(case: &Case, run: &Run) {
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(lines.len(), 1, "one error line:\n{}", run.stderr);
    for noise in case.noise {
        assert!(!lines[0].contains(noise), "{noise} in {}", lines[0]);
    }
}

/// Wrong credentials (401) are exit 4 with the provider's words and a hint naming the
/// variable; the credentials are never echoed, and -vv masks them.
async fn wrong_credentials_are_exit_4_with_a_hint(case: Case) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(case.unauthorized.respond())
        .mount(&server)
        .await;
    let run = case.sandbox(&server).run("db list -vv");
    run.code(4)
        .stderr_has(case.masked_header)
        .no_secrets(&refs(&(case.secrets)()));
    for needle in case.unauthorized.says {
        run.stderr_has(needle);
    }
    assert!(run.stdout.is_empty());
    error_line_is_clean(&case, &run);
}

/// An id the provider does not know is exit 5 in the provider's words, for `db get` and every
/// other command that reads it; under --json one machine-readable line says `not_found`.
async fn an_unknown_id_is_exit_5_in_the_providers_words(case: Case) {
    let server = MockServer::start().await;
    for route in case.missing_paths {
        Mock::given(path(*route))
            .respond_with(case.not_found.respond())
            .mount(&server)
            .await;
    }
    let sb = case.sandbox(&server);
    let id = case.missing_id;
    let run = sb.run(&["db", "get", id]);
    run.code(5);
    for needle in case.not_found.says {
        run.stderr_has(needle);
    }
    assert!(run.stdout.is_empty());
    error_line_is_clean(&case, &run);
    for noise in case.noise {
        assert!(!run.stderr.contains(noise), "{noise} in {}", run.stderr);
    }
    for args in case.missing_commands {
        sb.run(&Case::args(*args, id)).code(5);
    }
    let run = sb.run(&["db", "get", id, "--json"]);
    run.code(5);
    let line: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(line["error"]["kind"], "not_found");
    assert_eq!(line["error"]["exit_code"], 5);
    assert_eq!(line["error"]["provider"], case.provider);
}

/// A server whose list endpoint gives `refusal` (the first `times` requests, or always) and
/// whose other list endpoints answer as usual.
async fn refusing_list(case: &Case, refusal: &Refusal, times: Option<u64>) -> MockServer {
    let server = MockServer::start().await;
    let refusing = when("GET", case.list_path)
        .respond_with(refusal.respond())
        .with_priority(1);
    match times {
        Some(n) => refusing.up_to_n_times(n),
        None => refusing,
    }
    .mount(&server)
    .await;
    (case.mount_list)(&server).await;
    server
}

/// A busy answer (503) to a list is retried (logged under -v) until the list comes; still busy
/// after every attempt, it is exit 8 with the provider's words.
async fn a_busy_provider_is_retried_then_explained(case: Case) {
    let server = refusing_list(&case, &case.busy, Some(2)).await;
    let run = case.sandbox(&server).run("db list --json -v");
    run.code(0).stderr_has("retrying");
    assert_eq!(requests_to_path(&server, case.list_path).await, 3);

    let server = refusing_list(&case, &case.busy, None).await;
    let run = case.sandbox(&server).run("db list --retries 2");
    run.code(8);
    for needle in case.busy.says {
        run.stderr_has(needle);
    }
    assert_eq!(requests_to_path(&server, case.list_path).await, 2);
}

/// A throttled list (429) waits as told and is asked again; throttled on every attempt, it is
/// exit 9 with the provider's words and none of its internals.
async fn throttling_is_retried_then_exit_9(case: Case) {
    let server = refusing_list(&case, &case.throttled, Some(1)).await;
    case.sandbox(&server)
        .run("db list --json")
        .code(0)
        .no_secrets(&refs(&(case.secrets)()));
    assert_eq!(requests_to_path(&server, case.list_path).await, 2);

    let server = refusing_list(&case, &case.throttled, None).await;
    let run = case.sandbox(&server).run("db list --retries 3");
    run.code(9);
    for needle in case.throttled.says {
        run.stderr_has(needle);
    }
    for noise in case.noise {
        assert!(!run.stderr.contains(noise), "{noise} in {}", run.stderr);
    }
    assert_eq!(requests_to_path(&server, case.list_path).await, 3);
}

/// What the provider cannot do is exit 6 naming it, before any request.
async fn unsupported_operations_are_exit_6_before_any_request(case: Case) {
    let server = MockServer::start().await;
    let sb = case.sandbox(&server);
    let secrets = (case.secrets)();
    assert!(!case.unsupported.is_empty());
    for args in case.unsupported {
        sb.run(&Case::args(*args, case.existing_id))
            .code(6)
            .stderr_has(&format!("not supported by {}", case.provider))
            .no_secrets(&refs(&secrets));
    }
    assert!(requests(&server).await.is_empty());
}

/// `db delete` without a terminal needs --yes, and sends nothing without it.
async fn delete_needs_yes_without_a_terminal(case: Case) {
    let server = MockServer::start().await;
    case.sandbox(&server)
        .run(&["db", "delete", case.existing_id])
        .code(6)
        .stderr_has("--yes");
    assert!(requests(&server).await.is_empty(), "nothing deleted");
}

/// `export` of the fleet, then `plan` of that file: nothing differs (exit 0), no secret shown.
async fn export_then_plan_finds_nothing(case: Case) {
    let server = case.list_server().await;
    let sb = case.sandbox(&server);
    let secrets = (case.secrets)();
    let exported = sb.run("export");
    exported.code(0).no_secrets(&refs(&secrets));
    for name in case.names {
        exported.stdout_has(&format!("name = \"{name}\""));
    }
    let file = sb.home.path().join("fleet.toml");
    std::fs::write(&file, &exported.stdout).unwrap();
    let file = file.to_str().unwrap();
    sb.run(&["plan", "-f", file])
        .code(0)
        .no_secrets(&refs(&secrets))
        .stdout_has("No differences");
    let json = sb.run(&["plan", "-f", file, "--json"]);
    assert_eq!(json.code(0).json(), serde_json::json!([]));
}
