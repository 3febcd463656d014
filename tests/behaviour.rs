//! The behaviour every provider must show, run once per provider. A provider joins by adding
//! `tests/cases/<provider>.rs` (a `case()` returning a [`Case`]) and one line in `cases()`.
mod common;

mod cases;

use cases::{cases, sandbox};
use common::Sandbox;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_lists_in_every_format_without_leaking() {
    for case in cases() {
        let server = MockServer::start().await;
        (case.mount_list)(&server).await;
        let sb = sandbox(&case, &server);
        let secrets = (case.secrets)();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let json = sb.run(&["db", "list", "--json"]);
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
            for extra in [&[][..], &["--raw"][..], &["-vv", "--raw"][..]] {
                let mut args = vec!["db", "list", "-o", format];
                args.extend_from_slice(extra);
                let run = sb.run(&args);
                run.code(0).no_secrets(&secrets);
                assert!(!run.stdout.is_empty());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_maps_refusals_to_exit_codes() {
    for case in cases() {
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
            let run = sandbox(&case, &server).run(&["db", "get", case.missing_id, "-vv"]);
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
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_survives_broken_answers() {
    for case in cases() {
        for (status, body) in [
            (200, "{\"truncated\": [1, 2"),
            (200, "<html><body>maintenance</body></html>"),
            (200, "\u{0}\u{1}\u{2}not json"),
            (500, "<html><title>Internal Server Error</title></html>"),
        ] {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
                .mount(&server)
                .await;
            let run = sandbox(&case, &server).run(&["db", "list", "--json", "--retries", "1"]);
            run.code(8);
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
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_without_credentials_is_a_config_error() {
    for case in cases() {
        let run = Sandbox::new().run(&["db", "list", "-p", case.provider]);
        run.code(3).stderr_has(case.provider);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_keeps_secrets_out_of_get_and_url() {
    for case in cases() {
        let server = MockServer::start().await;
        (case.mount_get)(&server).await;
        let sb = sandbox(&case, &server);
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
        common::assert_no_secrets("", &shown.stderr, &secrets);
    }
}
