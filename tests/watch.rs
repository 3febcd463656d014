//! `-w/--watch [--interval S]` on `db list`, `db get`, `db stats`, `db list --usage` and
//! `check` (issue 25): redrawn in place on a terminal, one JSON document a line under
//! `--json`, Ctrl-C ends with exit 0, refreshes never overlap and keep to a provider's rate.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::Sandbox;

/// `dbctl ARGS` running, stdout read line by line as it comes.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watching {
    fn start(sb: &Sandbox, args: &[&str]) -> Watching {
        let mut child = sb
            .command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dbctl");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines }
    }

    /// The next `count` lines, each within `wait`.
    fn take(&self, count: usize, wait: Duration) -> Vec<String> {
        (0..count)
            .map(|i| {
                self.lines
                    .recv_timeout(wait)
                    .unwrap_or_else(|_| panic!("line {i} did not come within {wait:?}"))
            })
            .collect()
    }

    /// Ctrl-C, then the exit code and stderr.
    fn interrupt(self) -> (i32, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let output = self.child.wait_with_output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

#[test]
fn json_is_one_document_a_line_until_ctrl_c_which_exits_0() {
    let sb = Sandbox::new();
    let started = Instant::now();
    let watching = Watching::start(
        &sb,
        &["--demo", "db", "list", "-w", "--interval", "1", "--json"],
    );
    let lines = watching.take(2, Duration::from_secs(20));
    for line in &lines {
        let list: Value = serde_json::from_str(line).expect("each line is a JSON document");
        assert_eq!(list.as_array().unwrap().len(), 17, "{line}");
    }
    // The second refresh came an interval after the first ended, not at once.
    assert!(started.elapsed() >= Duration::from_secs(1));
    let (code, stderr) = watching.interrupt();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

/// What each refresh of a watched command must be.
type Expect = fn(&Value) -> bool;

#[test]
fn every_watched_command_refreshes_its_own_document() {
    let sb = Sandbox::new();
    let commands: [(&[&str], Expect); 4] = [
        (&["db", "get", "session-store"], |v| v["id"] == "1"),
        (&["db", "stats"], |v| {
            v.as_array().is_some_and(|a| a.len() == 17)
        }),
        (&["db", "list", "--usage"], |v| {
            v.as_array()
                .is_some_and(|a| a.iter().all(|row| row.get("memory_used_bytes").is_some()))
        }),
        (&["check", "--rule", "status"], |v| {
            v.as_array()
                .is_some_and(|a| a.iter().all(|f| f["rule"] == "status"))
        }),
    ];
    let running: Vec<_> = commands
        .iter()
        .map(|(args, check)| {
            let mut full = vec!["--demo"];
            full.extend_from_slice(args);
            full.extend_from_slice(&["--watch", "--interval", "1", "--json"]);
            (args, check, Watching::start(&sb, &full))
        })
        .collect();
    for (args, check, watching) in running {
        for line in watching.take(2, Duration::from_secs(30)) {
            let value: Value = serde_json::from_str(&line).expect("JSON");
            assert!(check(&value), "{args:?}: {line}");
        }
        // A failing check is what it watches, not an error: still exit 0 on Ctrl-C.
        let (code, stderr) = watching.interrupt();
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }
}

#[test]
fn a_table_in_a_pipe_is_each_refresh_in_full_a_blank_line_between() {
    let sb = Sandbox::new();
    let watching = Watching::start(&sb, &["--demo", "db", "list", "-w", "--interval", "1"]);
    let lines = watching.take(17 + 1 + 1 + 18, Duration::from_secs(20));
    assert!(lines[0].trim_start().starts_with("PROVIDER"));
    assert_eq!(lines[18], "");
    assert!(lines[19].trim_start().starts_with("PROVIDER"));
    assert_eq!(watching.interrupt().0, 0);
}

#[test]
fn the_interval_is_a_second_at_least_and_belongs_to_watch() {
    let sb = Sandbox::new();
    sb.run(&["--demo", "db", "list", "-w", "--interval", "0.5"])
        .code(2)
        .stderr_has("at least 1 second");
    sb.run(&["--demo", "db", "list", "--interval", "2"])
        .code(2)
        .stderr_has("--watch");
    sb.run(&["--demo", "check", "-w", "--format", "junit"])
        .code(2)
        .stderr_has("junit");
}

/// A refresh that costs more of a provider's rate budget than the interval allows waits
/// longer, and says so once; refreshes never overlap.
#[tokio::test(flavor = "multi_thread")]
async fn refreshes_keep_to_the_provider_rate_limit() {
    let server = MockServer::start().await;
    let subscriptions: Vec<Value> = (1..=12).map(|id| json!({"id": id})).collect();
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"subscriptions": subscriptions})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1/subscriptions/\d+/databases$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"subscription": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/fixed/subscriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"subscriptions": []})))
        .mount(&server)
        .await;
    let sb = crate::cases::redis_cloud::case().sandbox(&server);
    let watching = Watching::start(&sb, &["db", "list", "-w", "--interval", "1", "--json"]);
    let first = watching.take(1, Duration::from_secs(10));
    let started = Instant::now();
    assert_eq!(first, ["[]"]);
    watching.take(1, Duration::from_secs(10));
    // 14 requests a refresh at 400 a minute: 2.1 s, not the 1 s asked for.
    assert!(
        started.elapsed() >= Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
    let (code, stderr) = watching.interrupt();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "a refresh makes 14 redis-cloud requests and redis-cloud allows 400 a minute"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("allows 400 a minute").count(), 1, "{stderr}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len() % 14, 0, "whole refreshes only");
}

/// What a terminal `columns` × `rows` shows when `dbctl ARGS` run on it (script(1)) ends;
/// `shell` wraps the command (e.g. `timeout -s INT 2 {}`) and `redirect` sends its streams
/// elsewhere. Also the raw bytes, `EXIT=CODE` at their end.
pub(crate) fn on_terminal(
    sb: &Sandbox,
    (columns, rows): (usize, usize),
    args: &[&str],
    (shell, redirect): (&str, &str),
) -> (Vec<String>, String) {
    typed_on_terminal(sb, (columns, rows), args, (shell, redirect), "")
}

/// [`on_terminal`] with `input` typed at the terminal.
pub(crate) fn typed_on_terminal(
    sb: &Sandbox,
    (columns, rows): (usize, usize),
    args: &[&str],
    (shell, redirect): (&str, &str),
    input: &str,
) -> (Vec<String>, String) {
    let dbctl = sb.command();
    let command = format!(
        "'{}' {} {redirect}",
        dbctl.get_program().to_string_lossy(),
        args.iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let line = format!(
        "stty cols {columns} rows {rows}; {}; echo \"EXIT=$?\"",
        shell.replace("{}", &command)
    );
    let mut script = Command::new("script");
    script
        .args(["-qec", &line, "/dev/null"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (key, value) in dbctl.get_envs() {
        if let Some(value) = value {
            script.env(key, value);
        }
    }
    let mut child = script.spawn().expect("script(1) runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().expect("script(1) ends");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    // The screen as dbctl left it, before the exit status is echoed.
    let before_exit = raw.rfind("EXIT=").map_or(&raw[..], |at| &raw[..at]);
    (screen(before_exit, columns, rows), raw)
}

/// The screen a terminal shows after `raw`: printable text with wrapping and scrolling, and
/// the controls dbctl and its spinners use (CR, LF, cursor up/down/home/column, erase line
/// and below).
pub(crate) fn screen(raw: &str, columns: usize, rows: usize) -> Vec<String> {
    let mut cells = vec![vec![' '; columns]; rows];
    let (mut row, mut column) = (0usize, 0usize);
    let newline = |cells: &mut Vec<Vec<char>>, row: &mut usize| {
        if *row + 1 == rows {
            cells.remove(0);
            cells.push(vec![' '; columns]);
        } else {
            *row += 1;
        }
    };
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut args = String::new();
                let mut command = ' ';
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        command = c;
                        break;
                    }
                    args.push(c);
                }
                let n: usize = args.parse().unwrap_or(1);
                match command {
                    'A' => row = row.saturating_sub(n),
                    'B' => row = (row + n).min(rows - 1),
                    'G' => column = n.saturating_sub(1).min(columns - 1),
                    'H' => (row, column) = (0, 0),
                    'K' if args == "2" => cells[row] = vec![' '; columns],
                    'K' => cells[row][column.min(columns)..].fill(' '),
                    'J' => {
                        cells[row][column.min(columns)..].fill(' ');
                        for line in cells.iter_mut().skip(row + 1) {
                            line.fill(' ');
                        }
                    }
                    _ => {}
                }
            }
            '\r' => column = 0,
            '\n' => newline(&mut cells, &mut row),
            c if c.is_control() => {}
            c => {
                if column == columns {
                    column = 0;
                    newline(&mut cells, &mut row);
                }
                cells[row][column] = c;
                column += 1;
            }
        }
    }
    cells
        .into_iter()
        .map(|line| line.into_iter().collect::<String>().trim_end().to_string())
        .collect()
}

#[test]
fn a_terminal_is_redrawn_in_place_and_ctrl_c_leaves_exit_0() {
    let sb = Sandbox::new();
    let (shown, raw) = on_terminal(
        &sb,
        (120, 40),
        &["--demo", "db", "list", "-w", "--interval", "1"],
        ("timeout --preserve-status -s INT 3.5 {}", "2>/dev/null"),
    );
    assert!(raw.contains("EXIT=0"), "{raw:?}");
    // Two refreshes or more, each from the top-left corner, never a whole-screen clear.
    assert!(raw.matches("\x1b[H").count() >= 2, "{raw:?}");
    assert!(!raw.contains("\x1b[2J"));
    for frame in raw.split("\x1b[H").skip(1) {
        let frame = frame.split("\x1b[J").next().unwrap();
        assert!(
            frame
                .lines()
                .all(|l| l.trim_end_matches('\r').ends_with("\x1b[K")),
            "every line of a frame clears what was there: {frame:?}"
        );
    }
    // Nothing scrolled: the screen holds one header, one table.
    let text: Vec<&String> = shown.iter().filter(|l| !l.is_empty()).collect();
    assert!(text[0].starts_with("every 1s, "), "{shown:#?}");
    assert_eq!(shown.iter().filter(|l| l.contains("PROVIDER")).count(), 1);
    assert_eq!(
        shown
            .iter()
            .filter(|l| l.contains("sessions-cache"))
            .count(),
        1,
        "{shown:#?}"
    );
}

#[test]
fn a_frame_taller_than_the_terminal_is_cut_and_says_so() {
    let sb = Sandbox::new();
    let (shown, raw) = on_terminal(
        &sb,
        (160, 10),
        &["--demo", "db", "list", "-w", "--interval", "1"],
        ("timeout --preserve-status -s INT 2.5 {}", "2>/dev/null"),
    );
    assert!(raw.contains("EXIT=0"), "{raw:?}");
    assert!(shown[0].starts_with("every 1s, "), "{shown:#?}");
    assert!(shown[1].trim_start().starts_with("PROVIDER"), "{shown:#?}");
    assert!(shown.iter().any(|l| l.contains("more lines")), "{shown:#?}");
}
