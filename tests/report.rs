//! `dbctl report`: one self-contained HTML page (opened in headless Chromium) or Markdown;
//! hostile names are text in both; drift from a spec; a profile not read is exit 12.
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wiremock::MockServer;

use crate::cases;
use crate::common::{mount_record, Sandbox, Served};
use crate::metrics::tool;

/// Names that try every way out of HTML: markup, an event handler, a `javascript:` URL, CSS.
const HOSTILE: [(&str, &[&str]); 4] = [
    (
        "upstash",
        &["<script>alert(1)</script><img src=x onerror=alert(2)>"],
    ),
    ("redis-enterprise", &["\" onmouseover=\"alert(3)\" x=\""]),
    ("cosmos", &["javascript:alert(4)"]),
    (
        "redis-cloud",
        &["</style><style>body{display:none}</style>"],
    ),
];

/// Text as it must appear in the page: HTML-escaped.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Text as a browser serializes a text node: `&`, `<` and `>` escaped, quotes as they are.
fn dom_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Where the report and its screenshot are kept: target/report/.
fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Chromium as the machine's notes say, headless, with a fresh profile; (stdout, stderr).
fn chromium(chromium: &str, args: &[String]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("run chromium");
    assert!(output.status.success(), "{output:?}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_html_report_opens_in_headless_chromium_with_every_database() {
    let Some(browser) = tool("chromium") else {
        return;
    };
    let served = Served::start(&[]);
    let sandbox = served.sandbox();
    for (provider, names) in HOSTILE {
        for name in names {
            let mut args = vec!["db", "create", "-p", provider, "--name", name];
            if provider == "redis-cloud" {
                args.extend(["--subscription", "2145833"]);
            }
            if provider == "upstash" {
                args.extend(["--region", "us-east-1"]);
            }
            if provider == "redis-enterprise" {
                args.extend(["--memory", "1GB"]);
            }
            sandbox.run(&args).code(0);
        }
    }
    let list = sandbox.run(&["db", "list", "--json"]).code(0).json();
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|db| db["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.len() > 15, "{names:?}");
    let run = sandbox.run(&["report"]);
    run.code(0);
    let page = out_dir().join("fleet.html");
    std::fs::write(&page, &run.stdout).unwrap();
    let url = format!("file://{}", page.display());

    let (dom, log) = chromium(&browser, &["--dump-dom".to_string(), url.clone()]);
    // Every database, by name, as text.
    for name in &names {
        assert!(
            dom.contains(&format!("<td>{}</td>", dom_text(name))),
            "{name:?} missing from the page"
        );
    }
    // Nothing hostile became markup: in the serialized DOM every `<` of text is `&lt;`, so
    // each `<` opens an element. Only the page's own elements, one style element, and no
    // attribute that runs script, loads anything or styles an element.
    let lower = dom.to_ascii_lowercase();
    let own = [
        "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
        "section", "div", "b", "span", "table", "thead", "tbody", "tr", "th", "td", "svg", "rect",
        "ul", "li", "footer",
    ];
    let mut styles = 0;
    for tag in lower
        .split('<')
        .skip(1)
        .filter(|t| t.starts_with(|c: char| c.is_ascii_alphabetic()))
    {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let name = tag.split([' ', '/']).next().unwrap();
        assert!(
            own.contains(&name),
            "an element <{name}> in the page: <{tag}>"
        );
        styles += usize::from(name == "style");
        for attribute in tag
            .split_whitespace()
            .skip(1)
            .filter_map(|a| a.split('=').next())
        {
            assert!(
                !attribute.starts_with("on")
                    && !["href", "src", "srcset", "style", "action"].contains(&attribute),
                "an attribute {attribute} in <{tag}>"
            );
        }
    }
    assert_eq!(styles, 1);
    assert!(!lower.contains("url("), "a URL in the style");
    assert!(
        dom.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"")
    );
    // No console message (a CSP refusal is one) and no request for anything.
    for line in log.lines() {
        assert!(
            !line.contains("CONSOLE") && !line.contains("Refused to") && !line.contains("net::ERR"),
            "chromium said: {line}"
        );
    }

    let shot = out_dir().join("fleet.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &browser,
        &[
            "--window-size=1400,3000".to_string(),
            format!("--screenshot={}", shot.display()),
            url,
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_are_text_in_markdown_and_html_for_every_provider() {
    let hostile = "[x](javascript:alert(1)) <b>|</b> `c` *e*\n::error::y ##[group]\u{1b}[2J";
    let mut sandbox = Sandbox::new();
    let mut servers = Vec::new();
    for case in cases::all() {
        let server = MockServer::start().await;
        mount_record(&case, &server, hostile, "127.0.0.1").await;
        for (key, value) in (case.env)(&server.uri()) {
            sandbox.set_env(key, value);
        }
        servers.push(server);
    }
    // The usage endpoints are not mounted: figures not read, named, exit 12.
    let markdown = sandbox.run(&["report", "-o", "markdown"]);
    markdown.code(12).stderr_has("the list is incomplete");
    let name = "\\[x\\]\\(javascript\\:alert\\(1\\)\\) \\<b\\>\\|\\</b\\> \\`c\\` \\*e\\*\\n\\:\\:error\\:\\:y \\#\\#\\[group\\]\\x1b\\[2J";
    for provider in ["upstash", "redis-cloud", "redis-enterprise", "cosmos"] {
        let section = markdown
            .stdout
            .split("\n## ")
            .find(|s| s.contains(&format!(" · {provider}\n")))
            .unwrap_or_else(|| panic!("no {provider} section:\n{}", markdown.stdout));
        assert!(
            section.contains(&format!("| {name} |")),
            "{provider}:\n{section}"
        );
    }
    assert!(markdown.stdout.contains("\n## Not read\n"));
    for line in markdown.stdout.lines() {
        assert!(
            !line.trim_start().starts_with("::") && !line.contains("##["),
            "{line}"
        );
        assert!(!line.contains('\u{1b}'));
    }
    let html = sandbox.run(&["report"]);
    html.code(12);
    let cell = "[x](javascript:alert(1)) &lt;b&gt;|&lt;/b&gt; `c` *e*\\n\\x3a:error::y \\x23#[group]\\x1b[2J";
    for provider in ["upstash", "redis-cloud", "redis-enterprise", "cosmos"] {
        let section = html
            .stdout
            .split("<section>")
            .find(|s| s.contains(&format!("· {provider} ·")))
            .unwrap_or_else(|| panic!("no {provider} section:\n{}", html.stdout));
        assert!(
            section.contains(&format!("<tr><td>{cell}</td>")),
            "{provider}:\n{section}"
        );
    }
    assert!(!html.stdout.contains("<b>|</b>") && !html.stdout.contains("##["));
}

#[test]
fn the_report_shows_drift_from_a_spec_and_every_demo_database() {
    let sandbox = Sandbox::new();
    let spec = sandbox.run(&["--demo", "export"]).code(0).stdout.clone();
    // The spec wants rate-limiter bigger than it is.
    let at = spec
        .find("name = \"rate-limiter\"")
        .expect("rate-limiter in the spec");
    let memory = spec[at..].find("memory = ").unwrap() + at;
    let end = spec[memory..].find('\n').unwrap() + memory;
    let edited = format!("{}memory = \"4GiB\"{}", &spec[..memory], &spec[end..]);
    let file = sandbox.home.path().join("fleet.toml");
    std::fs::write(&file, edited).unwrap();
    let file = file.display().to_string();
    let markdown = sandbox.run(&["--demo", "report", "-f", &file, "-o", "markdown"]);
    markdown.code(0);
    assert!(
        markdown.stdout.contains(
            "| update | redis-cloud | rate-limiter | 2145833/13008823 | memory\\: 512MiB → 4GiB |"
        ),
        "{}",
        markdown.stdout
    );
    let html = sandbox.run(&["--demo", "report", "-f", &file]);
    html.code(0).stdout_has("<h2>Drift from ");
    let demo = sandbox
        .run(&["--demo", "db", "list", "--json"])
        .code(0)
        .json();
    for db in demo.as_array().unwrap() {
        let name = db["name"].as_str().unwrap();
        assert!(
            html.stdout.contains(&format!("<td>{}</td>", escaped(name))),
            "{name}"
        );
    }
    let markdown_names = demo.as_array().unwrap().iter().filter(|db| {
        let name: String = db["name"].as_str().unwrap().replace('_', "\\_");
        markdown.stdout.contains(&format!("| {name} |"))
    });
    assert_eq!(markdown_names.count(), demo.as_array().unwrap().len());
}

#[test]
fn the_report_writes_html_or_markdown_only() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&["--demo", "report", "-o", "json"])
        .code(2)
        .stderr_has("report writes HTML (the default, or -o html) or Markdown (-o markdown)");
    sandbox
        .run(&["--demo", "db", "list", "-o", "html"])
        .code(2)
        .stderr_has("-o html is for `dbctl report`");
    let html = sandbox.run(&["--demo", "report", "-o", "html"]);
    html.code(0);
    assert!(html
        .stdout
        .starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.stdout.ends_with("</html>\n"));
    let value: Value = serde_json::from_str(
        &sandbox
            .run(&["--demo", "db", "list", "--json"])
            .code(0)
            .stdout,
    )
    .unwrap();
    assert!(html.stdout.contains(&format!(
        "<b>{}</b>databases",
        value.as_array().unwrap().len()
    )));
}
