//! What ships besides the binary: the container image's command (run as a plain process, as
//! no container engine works on the CI machine), the release archives' names against the
//! `cargo binstall` metadata, the install script of the GitHub Action (`action.yml`) against a
//! fake release, and the README's service-container example. The Debian package is checked by
//! `scripts/check-deb.sh`, which `.ci/run` runs.

use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Run, Sandbox, Served};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// This machine's address on its default route, when it has one that is not loopback.
fn non_loopback_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("203.0.113.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// The JSON array of a Containerfile instruction (`CMD ["a", "b"]`).
fn instruction(containerfile: &str, name: &str) -> Vec<String> {
    let line = containerfile
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("Containerfile has no {name}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{name} {line}: {e}"))
}

#[test]
fn the_container_command_serves_the_emulator_on_every_interface() {
    let containerfile = repo_file("Containerfile");
    assert_eq!(instruction(&containerfile, "ENTRYPOINT"), ["dbctl"]);
    let command = instruction(&containerfile, "CMD");
    assert_eq!(command[..2], ["emulator", "serve"]);
    let value_of = |flag: &str| {
        let at = command.iter().position(|a| a == flag);
        at.and_then(|i| command.get(i + 1)).cloned()
    };
    assert_eq!(value_of("--bind").as_deref(), Some("0.0.0.0"));
    let port = value_of("--port").expect("CMD names its port");
    let exposed = containerfile
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .expect("EXPOSE");
    assert_eq!(exposed.trim(), port);
    assert!(
        containerfile.contains(&format!("/dev/tcp/127.0.0.1/{port}")),
        "the health check probes another port"
    );

    // The image's command as a plain process, on a free port instead of its fixed one.
    let args: Vec<&str> = command[2..].iter().map(String::as_str).collect();
    let at = args.iter().position(|a| *a == "--port").unwrap();
    let args = [&args[..at], &args[at + 2..]].concat();
    let served = Served::start(&args);
    let url = served.var("UPSTASH_API_URL");
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "the export lines must name an address a client dials, not the wildcard: {url}"
    );

    let host = non_loopback_address().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let sandbox = served
        .vars
        .iter()
        .fold(Sandbox::new(), |sb, (name, value)| {
            sb.env(name, value.replace("127.0.0.1", &host.to_string()))
        });
    let run = sandbox.run(&["db", "list", "--json"]);
    run.code(0);
    let listed = run.json();
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(names.contains(&"sessions-cache"), "{names:?} (via {host})");
}

#[test]
fn the_emulator_listens_on_loopback_unless_told_otherwise() {
    let Some(host) = non_loopback_address() else {
        eprintln!("this machine has no address but loopback: nothing to refuse");
        return;
    };
    let served = Served::start(&[]);
    let url = served.var("UPSTASH_API_URL");
    let port: u16 = url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"));
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
    assert!(
        TcpStream::connect((host, port)).is_err(),
        "the default emulator answers on {host}:{port}"
    );
}

#[test]
fn a_bind_address_of_another_machine_says_what_to_give() {
    Sandbox::new()
        .run(&["emulator", "serve", "--bind", "203.0.113.7", "--port", "0"])
        .code(2)
        .stderr_has("emulator cannot listen on 203.0.113.7:0")
        .stderr_has("--bind takes an address of this machine");
    Sandbox::new()
        .run(&["emulator", "serve", "--bind", "localhost:80"])
        .code(2)
        .stderr_has("--bind");
    // The exporter says the same, about its own flag.
    Sandbox::new()
        .run("--demo metrics serve --listen 203.0.113.7:0")
        .code(2)
        .stderr_has("metrics serve cannot listen on 203.0.113.7:0")
        .stderr_has("--listen takes an address of this machine: loopback (127.0.0.1:0), or every interface (0.0.0.0:0)");
    Sandbox::new()
        .run("emulator serve --bind 2001:db8::7 --port 0")
        .code(2)
        .stderr_has(
            "--bind takes an address of this machine: loopback (::1), or every interface (::)",
        );
}

/// The release targets of .github/workflows/release.yml, with the archive format each gets.
fn release_targets() -> Vec<(String, &'static str)> {
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(&repo_file(".github/workflows/release.yml")).unwrap();
    workflow["jobs"]["archive"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("a target matrix")
        .iter()
        .map(|entry| {
            let target = entry["target"].as_str().unwrap().to_string();
            let format = if target.contains("windows") {
                "zip"
            } else {
                "tar.gz"
            };
            (target, format)
        })
        .collect()
}

/// Runs scripts/archive.sh for `target` into `out`, with a stand-in for the binary (a script
/// that prints what `dbctl --version` does): packing the 160 MB debug build takes seconds.
fn archive(target: &str, out: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let binary = out.join("build/dbctl");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::write(&binary, format!("#!/bin/sh\necho 'dbctl {VERSION}'\n")).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/archive.sh"))
        .arg(target)
        .arg(&binary)
        .arg(out)
        .output()
        .expect("run scripts/archive.sh");
    let run = Run::from(output);
    run.code(0);
    PathBuf::from(run.stdout.trim())
}

#[test]
fn binstall_finds_the_archives_the_release_makes() {
    let mut targets: Vec<String> = release_targets().into_iter().map(|(t, _)| t).collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-gnu",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-gnu",
            "x86_64-unknown-linux-musl",
        ]
    );

    let manifest: toml::Value = toml::from_str(&repo_file("Cargo.toml")).unwrap();
    let package = &manifest["package"];
    let repo = package["repository"].as_str().unwrap();
    let binstall = &package["metadata"]["binstall"];
    for (target, format) in release_targets() {
        let setting = |key: &str| {
            binstall
                .get("overrides")
                .and_then(|o| o.get(&target))
                .and_then(|o| o.get(key))
                .unwrap_or(&binstall[key])
                .as_str()
                .unwrap()
                .to_string()
        };
        let exe = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let render = |template: String| {
            template
                .replace("{ repo }", repo)
                .replace("{ name }", "dbctl")
                .replace("{ bin }", "dbctl")
                .replace("{ version }", VERSION)
                .replace("{ target }", &target)
                .replace("{ binary-ext }", exe)
        };
        let name = format!("dbctl-{VERSION}-{target}");
        assert_eq!(
            render(setting("pkg-url")),
            format!("{repo}/releases/download/v{VERSION}/{name}.{format}")
        );
        assert_eq!(render(setting("bin-dir")), format!("{name}/dbctl{exe}"));
        let expected_format = if format == "zip" { "zip" } else { "tgz" };
        assert_eq!(setting("pkg-fmt"), expected_format, "{target}");
    }

    // The archive scripts/archive.sh makes has that name and holds the binary where bin-dir says.
    let out = tempfile::tempdir().unwrap();
    let target = "x86_64-unknown-linux-musl";
    let made = archive(target, out.path());
    let name = format!("dbctl-{VERSION}-{target}");
    assert_eq!(made, out.path().join(format!("{name}.tar.gz")));
    let listing = std::process::Command::new("tar")
        .arg("-tzf")
        .arg(&made)
        .output()
        .unwrap();
    let mut entries: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_string())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            name.clone(),
            format!("{name}/README.md"),
            format!("{name}/dbctl")
        ]
    );
}

/// A fake GitHub for scripts/install.sh: the API's latest release, and one release with its
/// archive and the SHA256SUMS that `sums` writes from the archive's file name and bytes.
struct FakeRelease {
    server: MockServer,
    archive: Vec<u8>,
    _dir: tempfile::TempDir,
}

const TARGET: &str = "x86_64-unknown-linux-musl";

impl FakeRelease {
    async fn start(sums: impl FnOnce(&str, &[u8]) -> String) -> FakeRelease {
        let dir = tempfile::tempdir().unwrap();
        let made = archive(TARGET, dir.path());
        let archive = std::fs::read(&made).unwrap();
        let file = made.file_name().unwrap().to_str().unwrap().to_string();
        let server = MockServer::start().await;
        let base = format!("/acme/dbctl/releases/download/v{VERSION}");
        let latest = format!(r#"{{"url":"x","tag_name":"v{VERSION}","name":"dbctl v{VERSION}"}}"#);
        Mock::given(method("GET"))
            .and(path("/repos/acme/dbctl/releases/latest"))
            .respond_with(ResponseTemplate::new(200).set_body_string(latest))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{base}/SHA256SUMS")))
            .respond_with(ResponseTemplate::new(200).set_body_string(sums(&file, &archive)))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{base}/{file}")))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(archive.clone()))
            .mount(&server)
            .await;
        FakeRelease {
            server,
            archive,
            _dir: dir,
        }
    }

    /// Runs scripts/install.sh as the action does on a Linux x86_64 runner, with `env` added;
    /// returns what it printed and the runner's directory (tools/, path, output).
    fn install(&self, env: &[(&str, &str)]) -> (Run, tempfile::TempDir) {
        let runner = tempfile::tempdir().unwrap();
        let output = std::process::Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", runner.path())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TOOL_CACHE", runner.path().join("tools"))
            .env("GITHUB_PATH", runner.path().join("path"))
            .env("GITHUB_OUTPUT", runner.path().join("output"))
            .env(
                "GITHUB_ACTION_PATH",
                "/home/runner/work/_actions/acme/dbctl/v1",
            )
            .env("DBCTL_GITHUB_URL", self.server.uri())
            .env("DBCTL_GITHUB_API", self.server.uri())
            .envs(env.iter().copied())
            .output()
            .expect("run scripts/install.sh");
        (Run::from(output), runner)
    }

    async fn requests(&self) -> Vec<wiremock::Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_installs_the_latest_release_for_its_runner() {
    let release = FakeRelease::start(|file, bytes| {
        format!(
            "{}  dbctl_{VERSION}-1_amd64.deb\n{}  {file}\n",
            "0".repeat(64),
            sha256_hex(bytes)
        )
    })
    .await;
    let token = "ghs_action-token-4f1d";
    let (run, runner) = release.install(&[("DBCTL_VERSION", "latest"), ("GITHUB_TOKEN", token)]);
    run.code(0).no_secrets(&[token]);
    let dir = runner
        .path()
        .join(format!("tools/dbctl/{VERSION}/{TARGET}"));
    assert_eq!(
        run.stdout,
        format!(
            "dbctl {VERSION} ({TARGET}) installed in {}\n",
            dir.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(runner.path().join("path")).unwrap(),
        format!("{}\n", dir.display())
    );
    assert_eq!(
        std::fs::read_to_string(runner.path().join("output")).unwrap(),
        format!("version={VERSION}\n")
    );
    let installed = std::process::Command::new(dir.join("dbctl"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&installed.stdout),
        format!("dbctl {VERSION}\n")
    );

    // The token goes to the API only, never to the download host.
    let requests = release.requests().await;
    let authorized: Vec<(String, Option<String>)> = requests
        .iter()
        .map(|r| {
            let auth = crate::common::header_of(r, "authorization");
            (r.url.path().to_string(), auth)
        })
        .collect();
    assert_eq!(authorized.len(), 3, "{authorized:?}");
    for (route, auth) in authorized {
        let expected = route
            .starts_with("/repos/")
            .then(|| format!("Bearer {token}"));
        assert_eq!(auth, expected, "{route}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_refuses_an_archive_whose_sha256_differs() {
    let forged = sha256_hex(b"another archive");
    let listed = forged.clone();
    let release = FakeRelease::start(move |file, _| format!("{listed}  {file}\n")).await;
    let (run, runner) = release.install(&[("DBCTL_VERSION", &format!("v{VERSION}"))]);
    run.code(1);
    let actual = sha256_hex(&release.archive);
    assert_eq!(
        run.stderr,
        format!(
            "::error title=install dbctl::dbctl-{VERSION}-{TARGET}.tar.gz has SHA-256 {actual}, \
             but SHA256SUMS of v{VERSION} says {forged}: not installed\n"
        )
    );
    assert!(!runner.path().join("tools").exists());
    assert!(!runner.path().join("path").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_refuses_what_names_no_release_before_downloading() {
    let release =
        FakeRelease::start(|file, bytes| format!("{}  {file}\n", sha256_hex(bytes))).await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("DBCTL_VERSION", "0.1.0/../../../evil")],
            "version '0.1.0/../../../evil' is not a release version (like 0.1.0) or latest",
        ),
        (
            &[("DBCTL_REPOSITORY", "acme/..")],
            "repository 'acme/..' is not owner/name",
        ),
        (
            &[("RUNNER_ARCH", "ARM")],
            "no dbctl release archive for Linux/ARM",
        ),
        (
            &[("DBCTL_VERSION", "9.9.9")],
            "cannot download SHA256SUMS of acme/dbctl v9.9.9",
        ),
    ];
    for (env, message) in cases {
        let (run, runner) = release.install(env);
        run.code(1);
        // The last line is the annotation; curl may say why before it.
        assert_eq!(
            run.stderr.lines().last(),
            Some(format!("::error title=install dbctl::{message}").as_str()),
            "{}",
            run.stderr
        );
        assert!(!runner.path().join("tools").exists());
    }
    // Only the last case reached the server (for its SHA256SUMS, which does not exist).
    let routes: Vec<String> = release
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(routes, ["/acme/dbctl/releases/download/v9.9.9/SHA256SUMS"]);
}

#[test]
fn the_readme_service_container_sets_what_the_emulator_prints() {
    let readme = repo_file("README.md");
    let block = readme
        .split("```yaml")
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("services:") && b.contains("dbctl"))
        .expect("README shows a service container");
    let container: Vec<String> = instruction(&repo_file("Containerfile"), "CMD");
    let port = &container[container.iter().position(|a| a == "--port").unwrap() + 1];
    assert!(block.contains(&format!("\"{port}:{port}\"")), "{block}");
    let served = Served::start(&[]);
    let at = served.var("UPSTASH_API_URL");
    let host_port = at
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    for (name, value) in &served.vars {
        let expected = value.replace(&host_port, &format!("127.0.0.1:{port}"));
        let line = format!("{name}: {expected}");
        assert!(
            block.lines().any(|l| l.trim() == line),
            "README's service-container env lacks `{line}`:\n{block}"
        );
    }
    let job: Value = serde_json::to_value(
        serde_yaml::from_str::<serde_yaml::Value>(block).expect("the README example is YAML"),
    )
    .unwrap();
    assert!(job["jobs"].is_object(), "{job}");
}
