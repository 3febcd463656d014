//! Every table on a real terminal, colour on, 80 and 120 columns wide: each line as wide as it
//! looks (colour never counts, East Asian wide characters count two) and at most the
//! terminal's width; the columns a table exists for stay; and, written to a pipe, every table
//! keeps every column in full.
//!
//! The terminal is a pseudo-terminal opened here with rustix (`openpt`, window size set with
//! `tcsetwinsize`): dbctl's stdout is the terminal, its stderr a pipe read apart, and nothing
//! passes through a shell or `script(1)`, so the environment is exactly the sandbox's minus
//! `NO_COLOR`.
use std::io::Read;
use std::process::Stdio;

use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use unicode_width::UnicodeWidthStr;

use crate::common::Sandbox;

/// What a terminal `columns` wide showed of `dbctl ARGS` (colour on), and its stderr.
pub struct Screen {
    /// stdout as received, `\r\n` as `\n`.
    pub raw: String,
    pub stderr: String,
    pub code: i32,
}

impl Screen {
    /// The lines without their colour codes.
    pub fn lines(&self) -> Vec<String> {
        self.raw.lines().map(strip_colour).collect()
    }

    /// The lines of the stderr note saying what gave way to fit the terminal.
    pub fn note_lines(&self) -> Vec<&str> {
        let mut lines: Vec<&str> = self
            .stderr
            .lines()
            .skip_while(|l| !l.starts_with("note: ") || l.starts_with("note: --demo"))
            .collect();
        let end = (1..=lines.len()).find(|&n| lines[..n].join(" ").ends_with("every column"));
        lines.truncate(end.unwrap_or(0));
        lines
    }

    /// The note on one line.
    pub fn note(&self) -> String {
        self.note_lines().join(" ")
    }
}

/// `text` without SGR sequences (`ESC [ ... m`).
fn strip_colour(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let end = tail.find('m').map_or(tail.len(), |m| m + 1);
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Runs `dbctl ARGS` with stdout on a new pseudo-terminal `columns` wide and colour on.
pub fn on_terminal(sb: &Sandbox, columns: u16, args: &[&str]) -> Screen {
    let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    rustix::pty::grantpt(&master).expect("grantpt");
    rustix::pty::unlockpt(&master).expect("unlockpt");
    let name = rustix::pty::ptsname(&master, Vec::new()).expect("ptsname");
    let terminal = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY,
        Mode::empty(),
    )
    .expect("open the terminal");
    let size = rustix::termios::Winsize {
        ws_row: 60,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(&terminal, size).expect("set the window size");
    let mut command = sb.command();
    command
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::from(terminal))
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run dbctl");
    // The terminal's last open end is the child's: its exit ends the reading below.
    drop(command);
    let reader = std::thread::spawn(move || {
        let mut master = std::fs::File::from(master);
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 8192];
        // EIO once the child's end is closed.
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            bytes.extend_from_slice(&chunk[..n]);
        }
        bytes
    });
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);
    let raw = String::from_utf8_lossy(&reader.join().unwrap()).replace("\r\n", "\n");
    Screen { raw, stderr, code }
}

const UPSTASH_DB: &str = "a1b2c3d4-0000-4000-8000-000000000001";

/// A spec that differs from the demo fleet: updates, a create with a wide-character name.
fn spec(sb: &Sandbox) -> String {
    let export = sb.run(&["--demo", "export"]);
    export.code(0);
    let text = export
        .stdout
        .replacen("throughput = 400", "throughput = 800", 1)
        .replace("memory = \"2GiB\"", "memory = \"4GiB\"")
        .replace("memory = \"5GiB\"", "memory = \"6GiB\"")
        + "\n[[database]]\nprofile = \"redis-enterprise\"\nname = \"orders-キャッシュ\"\nmemory = \"1GiB\"\n";
    let path = sb.home.path().join("fleet.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Every list command, with the exit code it ends with and the widths at which it shows a
/// coloured column (at 80, `db list --usage` keeps the figures and lets STATUS go).
fn tables(spec: &str) -> Vec<(Vec<&str>, i32, &'static [u16])> {
    let both: &[u16] = &[80, 120];
    vec![
        (vec!["db", "list"], 0, both),
        (vec!["db", "list", "--usage"], 0, &[120]),
        (vec!["db", "stats"], 0, &[]),
        (vec!["check"], 13, both),
        (vec!["db", "ping"], 0, both),
        (vec!["backup", "list", UPSTASH_DB, "-p", "upstash"], 0, both),
        (vec!["plan", "-f", spec], 13, both),
        (vec!["apply", "-f", spec, "--yes"], 0, both),
        (vec!["providers"], 0, both),
        (vec!["config", "validate"], 0, both),
    ]
}

#[test]
fn every_table_fits_80_and_120_columns_with_colour_on() {
    let sb = Sandbox::new();
    let spec = spec(&sb);
    for (args, code, coloured) in tables(&spec) {
        for columns in [80u16, 120] {
            let mut all = vec!["--demo"];
            all.extend(&args);
            let screen = on_terminal(&sb, columns, &all);
            let what = format!("{args:?} at {columns} columns");
            assert_eq!(
                screen.code, code,
                "{what}\n{}\n{}",
                screen.raw, screen.stderr
            );
            assert!(screen.lines().len() > 1, "{what}: a table\n{}", screen.raw);
            if coloured.contains(&columns) {
                assert!(
                    screen.raw.contains("\x1b[3"),
                    "{what}: colour\n{:?}",
                    screen.raw
                );
            }
            for line in screen.lines() {
                assert!(
                    line.width() <= usize::from(columns),
                    "{what}: a line {} wide:\n{line}\n{}",
                    line.width(),
                    screen.raw
                );
            }
            // The note saying what gave way is wrapped to the terminal too.
            for line in screen.note_lines() {
                assert!(line.width() <= usize::from(columns), "{what}: {line}");
            }
        }
    }
}

/// The display column at which `word` starts in `line`.
fn column_of(line: &str, word: &str) -> Option<usize> {
    line.find(word).map(|at| line[..at].width())
}

#[test]
fn a_coloured_status_keeps_its_column_and_wide_names_count_two() {
    let sb = Sandbox::new();
    let screen = on_terminal(&sb, 80, &["--demo", "db", "list"]);
    assert_eq!(screen.code, 0);
    // Colour wraps the word, never its padding.
    assert!(
        screen.raw.contains("\x1b[32mactive\x1b[39m"),
        "{:?}",
        screen.raw
    );
    assert!(!screen.raw.contains("active \x1b[39m"), "{:?}", screen.raw);
    let lines = screen.lines();
    let status = column_of(&lines[0], "STATUS").expect("STATUS shown at 80 columns");
    for line in &lines[1..] {
        let word = ["active", "pending", "suspended"]
            .iter()
            .find_map(|w| column_of(line, w))
            .unwrap_or_else(|| panic!("a status in {line:?}"));
        assert_eq!(word, status, "STATUS column moved:\n{}", lines.join("\n"));
    }
    let tokyo = lines
        .iter()
        .find(|l| l.contains("キャッシュ-tokyo"))
        .unwrap();
    assert_eq!(column_of(tokyo, "suspended"), Some(status), "{tokyo}");
}

/// Every word of `text`, in order, in the screen's words (a wrapped cell continues on the
/// lines below its row).
fn reads_whole(screen: &[String], text: &str) -> bool {
    let words: Vec<&str> = screen.iter().flat_map(|l| l.split_whitespace()).collect();
    let want: Vec<&str> = text.split_whitespace().collect();
    words.windows(want.len()).any(|w| w == want.as_slice())
}

/// `dbctl --demo check EXTRA` on a terminal `columns` wide, each finding's message reading
/// whole and its id on one line.
fn check_reads_whole(sb: &Sandbox, columns: u16, extra: &[&str]) -> Screen {
    let args = [&["--demo", "check"][..], extra].concat();
    let findings = sb.run(&[&args[..], &["--json"]].concat()).json();
    let screen = on_terminal(sb, columns, &args);
    let lines = screen.lines();
    for finding in findings.as_array().unwrap() {
        let message = finding["message"].as_str().unwrap();
        assert!(
            reads_whole(&lines, message),
            "{message:?} in\n{}",
            screen.raw
        );
        let id = finding["database_id"].as_str().unwrap();
        assert!(
            lines.iter().any(|l| l.contains(id)),
            "{id} whole in\n{}",
            screen.raw
        );
    }
    screen
}

#[test]
fn at_80_columns_the_information_a_row_exists_for_stays() {
    let sb = Sandbox::new();
    // check: every finding's message, id and name; the rule and provider go first.
    let screen = check_reads_whole(&sb, 80, &[]);
    let lines = screen.lines();
    assert!(lines[0].contains("MESSAGE"), "{}", screen.raw);
    assert!(lines[0].contains("SEVERITY"), "{}", screen.raw);
    assert!(screen.note().contains("RULE hidden"), "{}", screen.stderr);

    // db stats: OPS/S, CONN and RU/S before the timestamp; ids whole.
    let screen = on_terminal(&sb, 80, &["--demo", "db", "stats"]);
    let header = &screen.lines()[0];
    for column in ["ID", "NAME", "OPS/S", "CONN", "RU/S"] {
        assert!(
            header.split_whitespace().any(|h| h == column),
            "{column} in {header}"
        );
    }
    assert!(!header.contains("SAMPLED"), "{header}");
    assert!(
        screen.note().contains("SAMPLED hidden"),
        "{}",
        screen.stderr
    );
    let stats = sb.run(&["--demo", "db", "stats", "--json"]).json();
    for usage in stats.as_array().unwrap() {
        let id = usage["database_id"].as_str().unwrap();
        assert!(screen.lines().iter().any(|l| l.contains(id)), "{id}");
    }

    // plan: every change reads whole.
    let spec = spec(&sb);
    let plan = sb.run(&["--demo", "plan", "-f", &spec, "--json"]).json();
    let screen = on_terminal(&sb, 80, &["--demo", "plan", "-f", &spec]);
    let lines = screen.lines();
    assert!(lines[0].contains("CHANGES"), "{}", screen.raw);
    for action in plan.as_array().unwrap() {
        for change in action["changes"].as_array().unwrap() {
            let field = change["field"].as_str().unwrap();
            assert!(
                lines.iter().any(|l| l.contains(field)),
                "{field} in\n{}",
                screen.raw
            );
        }
        let name = action["name"].as_str().unwrap();
        assert!(lines.iter().any(|l| l.contains(name)), "{name} whole");
    }
}

/// The demo fleet's spec without the Upstash `rate-limiter`, pruning: a plan that deletes it.
fn pruning_spec(sb: &Sandbox) -> String {
    let export = sb.run(&["--demo", "export"]);
    export.code(0);
    let blocks: Vec<&str> = export.stdout.split("[[database]]\n").collect();
    let kept: Vec<&str> = blocks
        .iter()
        .copied()
        .filter(|b| !b.starts_with("profile = \"upstash\"\nname = \"rate-limiter\"\n"))
        .collect();
    assert_eq!(kept.len() + 1, blocks.len(), "{}", export.stdout);
    let text = kept
        .join("[[database]]\n")
        .replace("prune = false", "prune = true");
    let path = sb.home.path().join("pruning.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn at_80_columns_a_plan_that_deletes_keeps_its_id_whole() {
    let sb = Sandbox::new();
    let spec = pruning_spec(&sb);
    let screen = on_terminal(&sb, 80, &["--demo", "plan", "-f", &spec]);
    assert_eq!(screen.code, 13, "{}\n{}", screen.raw, screen.stderr);
    let lines = screen.lines();
    assert_eq!(
        lines[..2],
        [
            " ACTION    PROFILE  NAME          ID                                    CHANGES",
            " - delete  upstash  rate-limiter  a1b2c3d4-0000-4000-8000-000000000002  not in",
        ],
        "{}",
        screen.raw
    );
    assert!(reads_whole(&lines, "not in the spec"), "{}", screen.raw);
    for line in &lines {
        assert!(line.width() <= 80, "{line}\n{}", screen.raw);
    }
    assert_eq!(
        screen.note(),
        "note: CHANGES wrapped to fit 80 columns; `-o wide` shows every column"
    );
}

#[test]
fn written_to_a_pipe_every_table_keeps_every_column_in_full() {
    let sb = Sandbox::new();
    let spec = spec(&sb);
    let full: [(&[&str], &[&str]); 7] = [
        (
            &["db", "list", "--usage"],
            &[
                "PROVIDER", "PROFILE", "ID", "NAME", "STATUS", "REGION", "ENDPOINT", "USED",
                "LIMIT", "USED%", "OPS/S", "CONN", "RU/S",
            ],
        ),
        (
            &["db", "stats"],
            &[
                "PROVIDER", "PROFILE", "ID", "NAME", "USED", "LIMIT", "USED%", "OPS/S", "CONN",
                "RU/S", "SAMPLED",
            ],
        ),
        (
            &["check"],
            &[
                "RULE", "SEVERITY", "PROVIDER", "PROFILE", "ID", "NAME", "MESSAGE",
            ],
        ),
        (
            &["db", "ping"],
            &[
                "PROVIDER", "PROFILE", "ID", "NAME", "ENDPOINT", "TLS", "RESULT", "MIN", "MS",
                "AVG", "MS", "MAX", "MS", "ERROR",
            ],
        ),
        (
            &["backup", "list", UPSTASH_DB, "-p", "upstash"],
            &[
                "PROVIDER", "PROFILE", "DATABASE", "ID", "NAME", "STATUS", "CREATED", "SIZE",
            ],
        ),
        (
            &["plan", "-f", &spec],
            &["ACTION", "PROFILE", "NAME", "ID", "CHANGES"],
        ),
        (
            &["db", "list"],
            &[
                "PROVIDER", "PROFILE", "ID", "NAME", "STATUS", "REGION", "ENDPOINT", "MEMORY",
            ],
        ),
    ];
    for (args, header) in full {
        let mut all = vec!["--demo"];
        all.extend(args);
        let run = sb.run(&all);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            header,
            "{args:?}"
        );
        assert!(!run.stdout.contains('…'), "{args:?}:\n{}", run.stdout);
        assert!(
            !run.stdout.contains('\x1b'),
            "{args:?}: no colour in a pipe"
        );
        assert!(!run.stderr.contains("to fit"), "{args:?}: {}", run.stderr);
        // One line a row: nothing wrapped.
        all.push("--json");
        let rows = sb.run(&all).json().as_array().unwrap().len();
        assert_eq!(lines.len(), rows + 1, "{args:?}:\n{}", run.stdout);
    }
}

/// On a terminal too narrow for the ids and names alone, nothing is squeezed to a sliver for
/// nothing: each finding's message still reads whole, and the note says the table is wider.
#[test]
fn too_narrow_for_the_ids_the_table_says_so_and_squeezes_nothing() {
    let screen = check_reads_whole(&Sandbox::new(), 40, &["-p", "upstash"]);
    // The note is wrapped to the terminal too.
    let note = screen.stderr.replace('\n', " ");
    assert!(
        note.contains("still wider than 40 columns: ids and names are never cut"),
        "{note}"
    );
    assert!(!note.contains("to fit 40 columns"), "{note}");
}
