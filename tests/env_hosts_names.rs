//! Three edges a newcomer's review found: the `--format env` line as env files read it, an
//! Upstash endpoint that is neither a slug nor a host, and names dbctl would make but could
//! not handle afterwards.
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use crate::cases::{self, all as cases};
use crate::common::{mount_record, reply, Sandbox, DB_PASSWORD};

/// `NAME=value` unquoted: `$GITHUB_ENV`, `docker --env-file` and dotenv keep a quote as part
/// of the value, so the value after the first `=` is exactly what `db url` prints.
#[test]
fn env_lines_are_unquoted_and_hold_exactly_the_url() {
    let sb = Sandbox::new();
    for (args, var) in [
        (
            &[
                "--demo",
                "db",
                "url",
                "Food DB",
                "-p",
                "cosmos",
                "--show-secrets",
            ][..],
            "COSMOS_CONNECTION_STRING",
        ),
        (
            &["--demo", "db", "url", "sessions-cache", "--show-secrets"][..],
            "REDIS_URL",
        ),
    ] {
        let url = sb.run(args);
        url.code(0);
        let env = sb.run(&[args, &["--format", "env"]].concat());
        env.code(0);
        assert_eq!(env.stdout, format!("{var}={}", url.stdout));
    }
    let env = sb.run("--demo db url 'Food DB' -p cosmos --show-secrets --format env");
    assert!(
        env.stdout
            .starts_with("COSMOS_CONNECTION_STRING=AccountEndpoint=http")
            && env.stdout.ends_with(";Database=Food DB\n"),
        "{}",
        env.stdout
    );
}

/// A Cosmos database id that ends with a space, which dotenv drops and `$GITHUB_ENV` keeps, is
/// refused as an env line (exit 8) and printed by the default format. (`#`, where dotenv cuts
/// a comment, can be in neither: Cosmos ids are refused with it, URLs percent-encode it.)
#[tokio::test(flavor = "multi_thread")]
async fn env_lines_whose_readers_disagree_are_refused() {
    let cosmos = cases::cosmos::case();
    for id in ["orders ", "orders\u{3000}"] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(reply(200, json!({"id": id, "_rid": "qicAAA=="})))
            .mount(&server)
            .await;
        let sb = cosmos.sandbox(&server);
        let env = sb.run(&["db", "url", id, "--format", "env"]);
        env.code(8);
        assert_eq!(env.stdout, "");
        assert_eq!(
            env.stderr,
            "error: cosmos: refusing to print COSMOS_CONNECTION_STRING: its value ends with a \
             space, which dotenv drops and $GITHUB_ENV keeps\nhint: print the value alone with \
             `dbctl db url ID` (without --format env)\n"
        );
        sb.run(&["db", "url", id])
            .code(0)
            .stdout_has(&format!(";Database={id}\n"));
    }
}

/// An Upstash endpoint that is neither one DNS label (a slug) nor a host is no endpoint: never
/// a host cut out of it, where this database's password would be sent.
#[tokio::test(flavor = "multi_thread")]
async fn upstash_endpoints_that_are_no_slug_and_no_host_are_no_endpoint() {
    let upstash = cases::upstash::case();
    for endpoint in [
        "user:pw@evil.example",
        "evil.example/path?x=1",
        "https://evil.example:6379",
        "-evil",
        "evil.example:6379",
    ] {
        let server = MockServer::start().await;
        let id = mount_record(&upstash, &server, "cache", endpoint).await;
        let sb = upstash.sandbox(&server);
        let list = sb.run("db list --json");
        list.code(0);
        assert_eq!(list.json()[0]["endpoint"], json!(null), "{endpoint}");
        let table = sb.run("db list");
        table.code(0);
        assert!(
            !table.stdout.contains("upstash.io") && !table.stdout.contains("evil"),
            "{endpoint}: {}",
            table.stdout
        );
        for command in ["url", "connect", "ping"] {
            let run = sb.run(&["db", command, id, "--show-secrets"]);
            assert!(
                !run.stdout.contains("upstash.io") && !run.stdout.contains(DB_PASSWORD),
                "{endpoint}: {run:?}"
            );
            if command != "ping" {
                run.code(8);
                assert_eq!(
                    run.stderr, "error: upstash database u1 has no usable endpoint\n",
                    "{endpoint} {command}"
                );
            } else {
                assert_ne!(run.code, 0, "{endpoint}: {run:?}");
                run.stderr_has("no usable endpoint");
            }
        }
    }
    // A slug is served under upstash.io; a full host stays.
    for (endpoint, host) in [
        (
            "beloved-stallion-58500",
            "beloved-stallion-58500.upstash.io",
        ),
        ("eu1-x.upstash.io", "eu1-x.upstash.io"),
    ] {
        let server = MockServer::start().await;
        let id = mount_record(&upstash, &server, "cache", endpoint).await;
        upstash
            .sandbox(&server)
            .run(&["db", "url", id])
            .code(0)
            .stdout_has(&format!("rediss://default:***@{host}:6379\n"));
    }
}

/// `db create --name` and `db update --name` refuse, before any request, a name `plan` would
/// refuse and lookups could not find (the code point named, exit 6), and a blank one.
#[tokio::test(flavor = "multi_thread")]
async fn names_nobody_can_read_are_never_created_or_given() {
    const HINT: &str = "hint: a database name needs a visible character and holds no control, bidi, zero-width or other invisible one\n";
    for case in cases() {
        let server = MockServer::start().await;
        let sb = case.sandbox(&server);
        for (name, says) in [
            (
                "a\n::error::b",
                r#""a\n::error::b" holds U+000A, which cannot be seen"#,
            ),
            (
                "or\u{200b}ders",
                r#""or\u{200b}ders" holds U+200B, which cannot be seen"#,
            ),
            (
                "\u{202e}sredro",
                r#""\u{202e}sredro" holds U+202E, which cannot be seen"#,
            ),
            (
                "a\u{2028}b",
                r#""a\u{2028}b" holds U+2028, which cannot be seen"#,
            ),
            (
                "\u{2800}",
                "\"\u{2800}\" holds U+2800, which cannot be seen",
            ),
            ("", r#""" is blank"#),
            ("  ", r#""  " is blank"#),
        ] {
            let create = sb.run(&[
                "db",
                "create",
                "--name",
                name,
                "--region",
                "us-east-1",
                "--subscription",
                "7",
            ]);
            let update = sb.run(&["db", "update", "1", "--name", name]);
            for run in [create, update] {
                run.code(6);
                assert_eq!(run.stdout, "");
                assert_eq!(
                    run.stderr,
                    format!("error: --name {says}\n{HINT}"),
                    "{}",
                    case.provider
                );
            }
            let json = sb.run(&["db", "create", "--name", name, "--json"]);
            json.code(6);
            let error: serde_json::Value = serde_json::from_str(&json.stderr).unwrap();
            assert_eq!(error["error"]["kind"], "invalid");
        }
        let received = server.received_requests().await.unwrap_or_default();
        assert!(received.is_empty(), "{}: {received:?}", case.provider);
    }
    // Under --demo the create that exited 0 is refused, and a readable name is still made.
    let sb = Sandbox::new();
    sb.run(&[
        "--demo",
        "db",
        "create",
        "-p",
        "upstash",
        "--region",
        "us-east-1",
        "--name",
        "a\n::error::b",
    ])
    .code(6);
    sb.run("--demo db create -p upstash --region us-east-1 --name キャッシュ-osaka")
        .code(0)
        .stdout_has("キャッシュ-osaka");
}

/// A spec cannot ask `apply` to create a blank name either (an invisible one `plan` already
/// refuses, exit 3).
#[test]
fn a_blank_name_in_a_spec_is_refused() {
    let sb = Sandbox::new();
    let spec = sb.home.path().join("spec.toml");
    for (name, says) in [
        (r#"" ""#, "line 3, column 8: a database name cannot be blank"),
        (
            r#""a\u200bb""#,
            "line 3, column 8: the name \"a\\u{200b}b\" [U+0061 U+200B U+0062] in profile upstash holds U+200B",
        ),
    ] {
        std::fs::write(
            &spec,
            format!("[[database]]\nprofile = \"upstash\"\nname = {name}\nregion = \"us-east-1\"\n"),
        )
        .unwrap();
        let spec = spec.to_str().unwrap();
        for command in [&["plan"][..], &["apply", "--yes"]] {
            let run = sb.run(&[&["--demo"], command, &["-f", spec]].concat());
            run.code(3).stderr_has(says);
        }
    }
}
