//! Secrets kept out of the config file: `*_command` helpers (run without a shell, with a
//! deadline and an output cap, never logged) and the OS keyring (`config set-secret`,
//! `*_keyring = true`), through the real binary against wiremock. Where each secret comes from
//! is reported, never its value.
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{header_of, requests, Run, Sandbox};

const EMAIL: &str = "ops@example.com";

/// An Upstash API that lists nothing.
async fn upstash() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/redis/databases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    server
}

/// A sandbox whose config has one Upstash profile `p` at `server` with `secret_line` (how
/// its `api_key` is given, in TOML).
fn profile(server: &MockServer, secret_line: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.config(&format!(
        "[profiles.p]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{}/v2\"\n{secret_line}\n",
        server.uri()
    ));
    sb
}

/// The API key the server received, from the Basic header of each request.
async fn keys_received(server: &MockServer) -> Vec<String> {
    requests(server)
        .await
        .iter()
        .filter_map(|r| header_of(r, "authorization"))
        .map(|value| {
            let token = value.strip_prefix("Basic ").expect("basic auth");
            let pair = base64::engine::general_purpose::STANDARD
                .decode(token)
                .expect("base64");
            let pair = String::from_utf8(pair).expect("utf-8");
            pair.strip_prefix(&format!("{EMAIL}:"))
                .expect("email:key")
                .to_string()
        })
        .collect()
}

/// A helper script in the sandbox's home, run as `sh SCRIPT`.
fn script(sb: &Sandbox, name: &str, body: &str) -> String {
    let file = sb.home.path().join(name);
    std::fs::write(&file, body).unwrap();
    file.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_gives_the_secret_and_never_shows_it() {
    let server = upstash().await;
    let secret = "helper-secret-7f3a9";
    let sb = Sandbox::new();
    let helper = script(
        &sb,
        "helper.sh",
        &format!("printf '%s\\n' '{secret}'\necho 'helper says hello' >&2\n"),
    );
    sb.config(&format!(
        "[profiles.p]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{}/v2\"\napi_key_command = \"sh '{helper}'\"\n",
        server.uri()
    ));
    let run = sb.run(&["db", "list", "--profile", "p", "-vv", "--json"]);
    run.code(0).no_secrets(&[secret]);
    assert_eq!(run.stdout.trim(), "[]");
    // Its stderr stays out of a successful run.
    assert!(!run.stderr.contains("helper says hello"), "{}", run.stderr);
    // One trailing newline dropped, nothing else.
    assert_eq!(keys_received(&server).await, vec![secret.to_string()]);

    // Where it comes from is said; the value never is.
    let validate = sb.run(&["config", "validate", "-o", "csv"]);
    validate.code(0).no_secrets(&[secret]);
    validate
        .stdout_has("p,upstash,1,,ok,from ")
        .stdout_has("; api_key: command `sh` (api_key_command)\n");
    let providers = sb.run(&["providers", "--json"]);
    providers.code(0).no_secrets(&[secret]);
    let row = &providers.json()[0];
    assert_eq!(
        row["secrets"],
        json!(["api_key: command `sh` (api_key_command)"])
    );
    let show = sb.run(&["config", "show", "--json"]);
    show.code(0).no_secrets(&[secret]);
    let shown = &show.json()["profiles"]["p"];
    assert_eq!(shown["api_key_command"], format!("sh '{helper}'"));
    assert_eq!(
        shown["secrets"]["api_key"],
        "command `sh` (api_key_command)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_array_command_passes_its_words_as_they_are() {
    let server = upstash().await;
    let sb = profile(
        &server,
        r#"api_key_command = ["printf", "%s+%s", "a b", "$HOME"]"#,
    );
    sb.run(&["db", "list", "--profile", "p"]).code(0);
    assert_eq!(keys_received(&server).await, vec!["a b+$HOME".to_string()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_shell_interprets_the_command() {
    let server = upstash().await;
    // Were this run by a shell: a file `pwned` made, `;` ending the command, globs and `~`
    // and `$HOME` expanded, `>` redirecting.
    let sb = profile(
        &server,
        r#"api_key_command = "printf %s| $(touch pwned) ; * ~ $HOME `id` > out 'a b' \"c\\\"d\"""#,
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file-a"), "").unwrap();
    let run = Run::from(
        sb.cmd()
            .current_dir(dir.path())
            .args(["db", "list", "--profile", "p"])
            .output()
            .unwrap(),
    );
    run.code(0);
    assert_eq!(
        keys_received(&server).await,
        vec![r#"$(touch|pwned)|;|*|~|$HOME|`id`|>|out|a b|c"d|"#.to_string()]
    );
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec!["file-a"], "the command made files");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_is_exit_3_naming_profile_and_field_not_its_output() {
    let server = upstash().await;
    let sb = Sandbox::new();
    let helper = script(
        &sb,
        "fail.sh",
        "echo 'half-printed-secret-42'\necho 'first line' >&2\necho 'pass: upstash is not in the password store.' >&2\nexit 1\n",
    );
    sb.config(&format!(
        "[profiles.p]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{}/v2\"\napi_key_command = [\"sh\", \"{helper}\"]\n",
        server.uri()
    ));
    let run = sb.run(&["db", "list", "--profile", "p", "-vv"]);
    run.code(3).no_secrets(&["half-printed-secret-42"]);
    assert_eq!(
        run.stderr,
        "error: upstash (p): api_key_command of profile 'p' failed (exit status 1)\nhint: its last line on stderr: pass: upstash is not in the password store.\n"
    );
    assert!(requests(&server).await.is_empty(), "a request went out");

    let json = sb.run(&["db", "list", "--profile", "p", "--json"]);
    json.code(3).no_secrets(&["half-printed-secret-42"]);
    let error: serde_json::Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(error["error"]["kind"], "config");
    assert_eq!(error["error"]["profile"], "p");

    let validate = sb.run(&["config", "validate", "-o", "csv"]);
    validate.code(3).no_secrets(&["half-printed-secret-42"]);
    validate
        .stdout_has("p,upstash,1,,problem,api_key_command of profile 'p' failed (exit status 1)\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_program_or_empty_output_is_exit_3() {
    let server = upstash().await;
    let sb = profile(&server, r#"api_key_command = "no-such-helper-x9 --get""#);
    sb.run(&["db", "list", "--profile", "p"])
        .code(3)
        .stderr_has("api_key_command of profile 'p' could not be started: `no-such-helper-x9`: No such file")
        .stderr_has("without a shell");
    let sb = profile(&server, r#"api_key_command = ["printf", "\n"]"#);
    sb.run(&["db", "list", "--profile", "p"])
        .code(3)
        .stderr_has("api_key_command of profile 'p' printed nothing on stdout");
    let sb = profile(&server, r#"api_key_command = "printf 'open""#);
    sb.run(&["db", "list", "--profile", "p"])
        .code(3)
        .stderr_has(
            "'api_key_command' in profile 'p' cannot be split: a single quote is not closed",
        );
    assert!(requests(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_past_its_deadline_is_stopped_with_what_it_started() {
    let server = upstash().await;
    let sb = Sandbox::new();
    let pids = sb.home.path().join("pids");
    let helper = script(
        &sb,
        "slow.sh",
        &format!("sleep 60 &\necho $$ $! > '{}'\nwait\n", pids.display()),
    );
    sb.config(&format!(
        "[profiles.p]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{}/v2\"\napi_key_command = [\"sh\", \"{helper}\"]\n",
        server.uri()
    ));
    let started = Instant::now();
    let run = sb.run(&["db", "list", "--profile", "p"]);
    let took = started.elapsed();
    run.code(3)
        .stderr_has("api_key_command of profile 'p' did not finish within 10 s and was stopped");
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(20),
        "{took:?}"
    );
    // The helper and the sleep it started are gone.
    let pids = std::fs::read_to_string(pids).unwrap();
    for pid in pids.split_whitespace() {
        let alive = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| !stat.split(") ").nth(1).unwrap_or("").starts_with('Z'))
        };
        let gone_by = Instant::now() + Duration::from_secs(2);
        while alive() && Instant::now() < gone_by {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive(), "process {pid} still runs");
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_output_is_refused_at_once() {
    let server = upstash().await;
    for command in [
        // 200 KiB, then exit 0.
        r#"["sh", "-c", "head -c 204800 /dev/zero | tr '\\0' k"]"#,
        // Never ends: stopped at the cap, not at the deadline.
        r#"["yes", "endless-secret"]"#,
    ] {
        let sb = profile(&server, &format!("api_key_command = {command}"));
        let started = Instant::now();
        let run = sb.run(&["db", "list", "--profile", "p", "-vv"]);
        run.code(3)
            .stderr_has("api_key_command of profile 'p' printed more than 64 KiB")
            .no_secrets(&["kkkkkkkk", "endless-secret"]);
        assert!(started.elapsed() < Duration::from_secs(8), "{command}");
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_run_only_when_a_command_needs_the_profile() {
    let server = upstash().await;
    let sb = Sandbox::new();
    let ran = sb.home.path().join("ran");
    sb.config(&format!(
        "[profiles.p]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{}/v2\"\napi_key_command = [\"sh\", \"-c\", \"echo x >> '{}'; echo key-from-helper\"]\n",
        server.uri(),
        ran.display()
    ));
    for args in [&["providers"][..], &["config", "show"], &["config", "path"]] {
        sb.run(args).code(0);
    }
    assert!(!ran.exists(), "providers or config show ran the helper");
    sb.run(&["db", "list", "--profile", "p"]).code(0);
    assert_eq!(std::fs::read_to_string(&ran).unwrap(), "x\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_given_two_ways_is_exit_3_naming_both() {
    let server = upstash().await;
    let sb = profile(
        &server,
        "api_key = \"plain-key-1\"\napi_key_command = \"printf other\"",
    );
    sb.run(&["db", "list", "--profile", "p"])
        .code(3)
        .stderr_has("profile 'p' gives 'api_key' 2 ways (api_key, api_key_command); keep one")
        .no_secrets(&["plain-key-1"]);
    let sb = profile(&server, "api_key_keyring = \"maybe\"");
    sb.run(&["db", "list", "--profile", "p"])
        .code(3)
        .stderr_has("'api_key_keyring' in profile 'p' must be true or false");
    let sb = profile(&server, "api_key_command = 7");
    sb.run(&["db", "list", "--profile", "p"])
        .code(3)
        .stderr_has("'api_key_command' in profile 'p' is integer: give a string");
    assert!(requests(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_mechanism_is_named_in_validate_and_show() {
    let server = upstash().await;
    let sb = Sandbox::new().env("PROD_KEY", "env-key-value-1");
    sb.config(&format!(
        "[profiles.plain]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{uri}/v2\"\napi_key = \"file-key-value-1\"\n\n\
         [profiles.named]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{uri}/v2\"\napi_key_env = \"PROD_KEY\"\n\n\
         [profiles.kept]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{uri}/v2\"\napi_key_keyring = true\n",
        uri = server.uri()
    ));
    let secrets = ["file-key-value-1", "env-key-value-1"];
    let show = sb.run(&["config", "show", "-o", "csv"]);
    show.code(0).no_secrets(&secrets);
    show.stdout_has("\nplain,api_key,***\n")
        .stdout_has("\nplain,secrets.api_key,plain text in the config file\n")
        .stdout_has("\nnamed,api_key_env,PROD_KEY\n")
        .stdout_has("\nnamed,secrets.api_key,environment variable PROD_KEY (api_key_env)\n")
        .stdout_has("\nkept,api_key_keyring,true\n")
        .stdout_has("\nkept,secrets.api_key,the kernel keyring (keyutils) (api_key_keyring)\n");
    let validate = sb.run(&["config", "validate", "--json"]);
    validate.no_secrets(&secrets);
    let rows = validate.json();
    let message = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["profile"] == name)
            .map(|r| r["message"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(message("plain").ends_with("; api_key: plain text in the config file"));
    assert!(message("named").ends_with("; api_key: environment variable PROD_KEY (api_key_env)"));
    // The implicit profile names its own variable.
    let env = Sandbox::new()
        .env("UPSTASH_EMAIL", EMAIL)
        .env("UPSTASH_API_KEY", "implicit-key-1")
        .env("UPSTASH_API_URL", format!("{}/v2", server.uri()));
    let validate = env.run(&["config", "validate", "-o", "csv"]);
    validate.code(0).no_secrets(&["implicit-key-1"]);
    validate.stdout_has(
        "upstash,upstash,,,ok,from environment; api_key: environment variable UPSTASH_API_KEY\n",
    );
}

// ---- the OS keyring ----

/// Makes the calling thread (and every process it starts from now on) join a new session
/// keyring of its own, as `keyctl session -` does; false where keyctl(2) is refused.
fn join_fresh_session_keyring() -> bool {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(2) with a null name joins a new anonymous keyring; no memory is passed.
    unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        ) >= 0
    }
}

/// Removes the key dbctl stored for `profile`'s `api_key` from every keyring (the kernel keeps
/// it in the user's persistent keyring too, for days).
fn invalidate_stored_key(profile: &str) {
    const KEYCTL_SEARCH: libc::c_long = 10;
    const KEYCTL_INVALIDATE: libc::c_long = 21;
    const SESSION: libc::c_long = -3;
    let kind = std::ffi::CString::new("user").unwrap();
    let description = std::ffi::CString::new(format!("keyring:{profile}/api_key@dbctl")).unwrap();
    // SAFETY: keyctl(2) reads the two C strings, which outlive the calls.
    unsafe {
        let key = libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_SEARCH,
            SESSION,
            kind.as_ptr(),
            description.as_ptr(),
            0 as libc::c_long,
        );
        if key > 0 {
            libc::syscall(libc::SYS_keyctl, KEYCTL_INVALIDATE, key);
        }
    }
}

/// `dbctl config set-secret PROFILE FIELD` with `secret` on stdin.
fn set_secret(sb: &Sandbox, profile: &str, field: &str, secret: &str) -> Run {
    Run::from(
        sb.cmd()
            .args(["config", "set-secret", profile, field])
            .write_stdin(secret.to_string())
            .output()
            .unwrap(),
    )
}

/// What a machine without a usable keyring says, for `set-secret` and for a read.
fn assert_no_keyring(set: &Run, read: &Run, secret: &str, name: &str) {
    set.code(3)
        .stderr_has(&format!("error: upstash ({name}): cannot store 'api_key' of profile '{name}': no usable OS keyring on this machine"))
        .stderr_has("hint: give it with 'api_key_env' (a variable) or 'api_key_command' (a helper such as `pass show NAME`) instead")
        .no_secrets(&[secret]);
    read.code(3)
        .stderr_has(&format!(
            "api_key_keyring of profile '{name}': no usable OS keyring on this machine"
        ))
        .stderr_has("instead of 'api_key_keyring'")
        .no_secrets(&[secret]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyring_keeps_a_secret_set_from_stdin() {
    let server = upstash().await;
    // A name of its own: the persistent keyring outlives the test.
    let name = format!("kr-{}-{}", std::process::id(), fastrand::u32(..));
    let sb = Sandbox::new();
    sb.config(&format!(
        "[profiles.{name}]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\nurl = \"{}/v2\"\napi_key_keyring = true\n",
        server.uri()
    ));
    let secret = "keyring-secret-5c1d";
    if !join_fresh_session_keyring() {
        eprintln!("no kernel keyring on this machine: checking the clear error instead");
        let set = set_secret(&sb, &name, "api_key", secret);
        let read = sb.run(&["db", "list", "--profile", &name]);
        return assert_no_keyring(&set, &read, secret, &name);
    }
    // Before anything is stored: what to run.
    sb.run(&["db", "list", "--profile", &name])
        .code(3)
        .stderr_has(&format!("api_key_keyring of profile '{name}': the kernel keyring (keyutils) holds nothing for it"))
        .stderr_has(&format!("hint: store it with `dbctl config set-secret {name} api_key`"));
    let set = set_secret(&sb, &name, "api_key", &format!("{secret}\n"));
    set.code(0).no_secrets(&[secret]);
    assert_eq!(
        set.stderr,
        format!("stored 'api_key' of profile '{name}' in the kernel keyring (keyutils)\n")
    );
    assert_eq!(set.stdout, "");
    let run = sb.run(&["db", "list", "--profile", &name, "-vv"]);
    run.code(0).no_secrets(&[secret]);
    assert_eq!(keys_received(&server).await, vec![secret.to_string()]);
    sb.run(&["config", "validate", "-o", "csv"])
        .code(0)
        .no_secrets(&[secret])
        .stdout_has("; api_key: the kernel keyring (keyutils) (api_key_keyring)\n");
    // Stored again: replaced.
    set_secret(&sb, &name, "api_key", "second-secret-9e2").code(0);
    sb.run(&["db", "list", "--profile", &name]).code(0);
    invalidate_stored_key(&name);
    assert_eq!(keys_received(&server).await[1], "second-secret-9e2");
    sb.run(&["db", "list", "--profile", &name])
        .code(3)
        .stderr_has("holds nothing for it");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_usable_keyring_one_error_says_what_to_use_instead() {
    use std::os::unix::process::CommandExt;
    let server = upstash().await;
    let sb = profile(&server, "api_key_keyring = true");
    let secret = "never-stored-secret-3b";
    // A session keyring nobody may write or search: as a container's, or a locked store.
    let locked = |args: &[&str], stdin: &str| {
        let mut command = sb.command();
        // SAFETY: only keyctl(2) between fork and exec; no allocation, no lock.
        unsafe {
            command.pre_exec(|| {
                const JOIN: libc::c_long = 1;
                const SETPERM: libc::c_long = 5;
                const SESSION: libc::c_long = -3;
                const POSSESSOR_VIEW: libc::c_long = 0x0100_0000;
                libc::syscall(libc::SYS_keyctl, JOIN, std::ptr::null::<libc::c_char>());
                libc::syscall(libc::SYS_keyctl, SETPERM, SESSION, POSSESSOR_VIEW);
                Ok(())
            });
        }
        Run::from(
            assert_cmd::Command::from_std(command)
                .args(args)
                .write_stdin(stdin.to_string())
                .output()
                .unwrap(),
        )
    };
    let set = locked(&["config", "set-secret", "p", "api_key"], secret);
    let read = locked(&["db", "list", "--profile", "p"], "");
    assert_no_keyring(&set, &read, secret, "p");
    assert!(requests(&server).await.is_empty());
}

#[test]
fn set_secret_takes_only_a_secret_field_of_a_file_profile() {
    let sb = Sandbox::new()
        .env("UPSTASH_EMAIL", EMAIL)
        .env("UPSTASH_API_KEY", "k-1234");
    sb.config(&format!(
        "[profiles.p]\nprovider = \"upstash\"\nemail = \"{EMAIL}\"\napi_key_keyring = true\n"
    ));
    set_secret(&sb, "p", "email", "x")
        .code(2)
        .stderr_has("'email' is not a secret of upstash profiles; their secrets: api_key");
    set_secret(&sb, "nope", "api_key", "x")
        .code(3)
        .stderr_has("no profile named 'nope' in ")
        .stderr_has("(its profiles: p)");
    // The implicit profile of the variables has no keyring twin.
    set_secret(&sb, "upstash", "api_key", "x")
        .code(3)
        .stderr_has("no profile named 'upstash'");
    set_secret(&sb, "p", "api_key", "\n")
        .code(2)
        .stderr_has("stdin held no secret");
    sb.run(&["--demo", "config", "set-secret", "p", "api_key"])
        .code(2)
        .stderr_has("--demo reads no credentials");
}
