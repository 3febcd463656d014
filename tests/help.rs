//! `--help` and `dbctl man` as a reader meets them: the examples are true, and the man page
//! holds the exit codes, the environment and no reference to a page that does not exist.

use std::path::Path;

use clap::CommandFactory;

use crate::common::{Sandbox, Served, SPEED};

/// Every command path of the tree (`["db", "get"]`), the root first as `[]`.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in command.get_subcommands() {
            let mut next = path.clone();
            next.push(sub.get_name().to_string());
            walk(sub, next, out);
        }
    }
    let mut out = Vec::new();
    walk(&dbctl::cli::Cli::command(), Vec::new(), &mut out);
    out
}

/// The example commands `dbctl PATH --help` ends with, without their trailing comments.
fn examples_of(sb: &Sandbox, path: &[String]) -> Vec<String> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = sb.run(&args);
    help.code(0);
    help.stdout
        .lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A comment is set off from its command by two spaces or more.
        .map(|l| l.trim().split("  ").next().unwrap_or_default().to_string())
        .collect()
}

/// The example as a bash command line run against the emulator (`--demo`).
fn demo_script(example: &str) -> String {
    if example.contains("--demo") {
        example.to_string()
    } else {
        example.replacen("dbctl ", "dbctl --demo ", 1)
    }
}

/// Runs one example under bash (pipes fail when dbctl does) in `dir`, dbctl on the PATH. It
/// must succeed; `check` and `plan` may also exit 13, as they do when they find something
/// (the demo fleet has a suspended database).
fn run_example(sb: &Sandbox, dir: &Path, example: &str) {
    let binary = assert_cmd::cargo::cargo_bin("dbctl");
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new("bash")
        .args(["-o", "pipefail", "-c", &demo_script(example)])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", sb.home.path())
        .env("XDG_CONFIG_HOME", sb.home.path().join(".config"))
        .env("NO_COLOR", "1")
        .env("DBCTL_EMULATOR_SPEED", SPEED)
        .env("GITHUB_ENV", dir.join("github.env"))
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .output()
        .expect("run bash");
    let finds = example.starts_with("dbctl check") || example.starts_with("dbctl plan");
    assert!(
        output.status.success() || (finds && output.status.code() == Some(13)),
        "example `{example}` failed ({:?}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An `emulator serve` example: it starts, prints its export lines, and they work. The server
/// runs until interrupted, so it is started the way the test helper starts one (on port 0,
/// which the example asks for or leaves to the default).
fn check_emulator_example(example: &str) {
    let args: Vec<&str> = example
        .split_whitespace()
        .skip_while(|w| *w != "serve")
        .skip(1)
        .take_while(|w| !matches!(*w, ">" | "&" | "|"))
        .collect();
    let extra: Vec<&str> = match args.iter().position(|a| *a == "--port") {
        Some(i) => {
            assert_eq!(
                args.get(i + 1),
                Some(&"0"),
                "`{example}` names a fixed port"
            );
            [&args[..i], &args[i + 2..]].concat()
        }
        None => args,
    };
    let served = Served::start(&extra);
    let url = served.var("UPSTASH_API_URL");
    assert!(
        !url.contains(":0/"),
        "port 0 must be replaced by the real port: {url}"
    );
    served.sandbox().run("db list").code(0);
}

/// A `metrics serve` example: it serves until stopped, so it is started under `--demo` on a
/// free loopback port (whatever `--listen` the example names), scraped once, and stopped.
fn check_metrics_example(example: &str) {
    use std::io::{BufRead, Read, Write};
    let words: Vec<&str> = example.split_whitespace().skip(3).collect();
    let mut args: Vec<&str> = Vec::new();
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        match *word {
            "--listen" => {
                rest.next();
            }
            word => args.push(word),
        }
    }
    let sb = Sandbox::new();
    let mut child = sb
        .command()
        .args(["--demo", "metrics", "serve", "--listen", "127.0.0.1:0"])
        .args(&args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("metrics serve");
    let mut first = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("`{example}` said {first:?}"));
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "`{example}`: {answer}");
}

#[test]
fn every_help_example_works_under_demo() {
    let sb = Sandbox::new();
    let mut with_examples = Vec::new();
    let mut checks = Vec::new();
    for path in command_paths() {
        let examples = examples_of(&sb, &path);
        if !examples.is_empty() {
            with_examples.push(path.join(" "));
        }
        for example in examples {
            assert!(
                example.starts_with("dbctl "),
                "`{}` shows an example that is not a dbctl command: {example}",
                path.join(" ")
            );
            checks.push(example);
        }
    }
    for wanted in [
        "",
        "db list",
        "db get",
        "db create",
        "db wait",
        "db url",
        "plan",
        "apply",
        "check",
        "api",
    ] {
        assert!(
            with_examples.iter().any(|p| p == wanted),
            "`dbctl {wanted} --help` ends with no examples"
        );
    }
    // Each example in a directory of its own that holds a spec of the demo fleet, in parallel,
    // on the emulator's fast clock (a demo database turns active at once).
    std::thread::scope(|scope| {
        for example in &checks {
            let sb = &sb;
            scope.spawn(move || {
                if example.contains("emulator serve") {
                    return check_emulator_example(example);
                }
                if example.contains("metrics serve") {
                    return check_metrics_example(example);
                }
                let dir = tempfile::tempdir().unwrap();
                run_example(sb, dir.path(), "dbctl --demo export > fleet.toml");
                run_example(sb, dir.path(), example);
            });
        }
    });
}

/// Every `-q`/`--query` example of the README runs under `--demo` (`<ID>`: a demo database).
#[test]
fn every_readme_query_example_works_under_demo() {
    let examples: Vec<String> = include_str!("../README.md")
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("dbctl ") && (l.contains(" -q ") || l.contains(" --query ")))
        .map(|l| l.replace("<ID>", "a1b2c3d4-0000-4000-8000-000000000001"))
        .collect();
    assert!(examples.len() >= 4, "{examples:?}");
    let sb = Sandbox::new();
    let dir = tempfile::tempdir().unwrap();
    for example in &examples {
        run_example(&sb, dir.path(), example);
    }
}

/// The page with roff's escapes for `-` and `\` read back.
/// Help and version that cannot be written (a full disk, `>/dev/full`) fail like every
/// other stdout write: one `error:` line on stderr and exit 1, never a silent 0 or a panic.
#[test]
fn help_and_version_to_a_full_stdout_are_one_error_line_and_exit_1() {
    let sb = Sandbox::new();
    for args in [
        &["--help"][..],
        &["-h"],
        &["db", "list", "--help"],
        &["help", "db"],
        &["--version"],
        &["-V"],
        &["man"],
    ] {
        let output = sb
            .command()
            .args(args)
            .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
            .output()
            .expect("run dbctl");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line\n{stderr}");
        assert!(
            lines[0].starts_with("error: cannot write to stdout"),
            "{args:?}: {stderr}"
        );
    }
    // Under --json the same failure is the one JSON error line.
    let output = sb
        .command()
        .args(["--help", "--json"])
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("run dbctl");
    assert_eq!(output.status.code(), Some(1));
    let line: serde_json::Value =
        serde_json::from_slice(&output.stderr).expect("one JSON error line");
    assert_eq!(line["error"]["exit_code"], 1);
    // A closed pipe (`| head`) stays a quiet success.
    let mut child = sb
        .command()
        .arg("--help")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn man_page() -> String {
    let man = Sandbox::new().run("man");
    man.code(0);
    man.stdout.replace("\\-", "-").replace("\\e", "\\")
}

/// The bold tags (`.TP` items) of one `.SH` section.
fn section_tags(page: &str, heading: &str) -> Vec<String> {
    page.lines()
        .skip_while(|l| *l != format!(".SH {heading}") && *l != format!(".SH \"{heading}\""))
        .skip(1)
        .take_while(|l| !l.starts_with(".SH "))
        .filter_map(|l| l.strip_prefix("\\fB")?.strip_suffix("\\fR"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_man_page_lists_exit_codes_environment_and_examples() {
    let page = man_page();
    let codes = section_tags(&page, "EXIT STATUS");
    let expected: Vec<String> = (0..=13).chain([130]).map(|c| c.to_string()).collect();
    assert_eq!(codes, expected, "EXIT STATUS");

    let vars = section_tags(&page, "ENVIRONMENT");
    for var in [
        "UPSTASH_API_KEY",
        "REDIS_CLOUD_SECRET_KEY",
        "REDIS_ENTERPRISE_CA_CERT",
        "COSMOS_KEY",
        "DBCTL_CONFIG",
        "NO_COLOR",
    ] {
        assert!(
            vars.iter().any(|v| v == var),
            "ENVIRONMENT lacks {var}: {vars:?}"
        );
    }

    let examples: String = page
        .lines()
        .skip_while(|l| *l != ".SH EXAMPLES")
        .take_while(|l| !l.starts_with(".SH VERSION"))
        .collect();
    assert!(examples.contains("dbctl db list"), "EXAMPLES: {examples}");

    // Each command is in the page, with its own arguments and examples.
    assert!(page.contains(".SS \"dbctl db create\""));
    assert!(page.contains("512MB = 512 MiB"));
    assert!(page.contains("dbctl db get 2145833/13008822 -p redis-cloud --raw -o yaml"));
}

#[test]
fn the_man_page_refers_only_to_pages_dbctl_generates() {
    let page = man_page();
    // `dbctl man` writes one page, dbctl(1), holding every command.
    let generated = ["dbctl(1)"];
    let references: Vec<&str> = page
        .split(|c: char| c.is_whitespace() || c == ',' || c == '"')
        .filter(|w| w.starts_with("dbctl") && w.ends_with(')') && w.contains('('))
        .collect();
    let unknown: Vec<&&str> = references
        .iter()
        .filter(|r| !generated.contains(r))
        .collect();
    assert!(
        unknown.is_empty(),
        "references to pages not generated: {unknown:?}"
    );
}

/// groff checks the page; without groff the test fails under `CI=true` and skips elsewhere.
#[test]
fn the_man_page_is_valid_roff() {
    let Some(groff) = crate::common::tool("groff", "apt-get install groff-base") else {
        return;
    };
    let page = Sandbox::new().run("man").stdout;
    let mut child = std::process::Command::new(groff)
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "groff warnings"
    );
}
