//! `-w/--watch [--interval S]`: a command's output again and again until Ctrl-C (exit 0).
//!
//! Each refresh renders the command's document with the renderers as a single run would,
//! then shows it by where it goes:
//! - a table on a terminal is redrawn in place: the cursor goes home, every line is written
//!   over the old one and cleared to its end, and what is left below is cleared, in one write
//!   (no scrolling, no flicker); lines past the terminal's height are cut, and said so;
//! - JSON is one document a line (NDJSON), whether stdout is a terminal or not;
//! - YAML is a stream, each document after `---`;
//! - anything else (a table or CSV in a pipe) is each refresh in full, a blank line between.
//!
//! Refreshes never overlap: the next starts `--interval` after the last one ended, later when
//! a provider's rate limit needs it (the requests a refresh made, at the provider's published
//! rate). The first refresh's error ends the command as it would without `--watch`; a later
//! one is reported on stderr and the watch goes on.
use std::future::Future;
use std::time::Duration;

use super::App;
use crate::cli::WatchArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::model::ProviderKind;
use crate::output::Refreshes as Mode;
use crate::provider::registry::Registered;

/// One rendering of a command: its stdout document, and how the command ends once it is out.
pub struct Frame {
    pub text: String,
    /// Run after the text is printed: success, or the error to end with (exit 12 naming
    /// the profiles that failed, exit 13 for a failing check).
    pub then: Box<dyn FnOnce() -> Result<()>>,
}

impl Frame {
    /// A document with nothing to say after it.
    pub fn new(text: String) -> Frame {
        Frame {
            text,
            then: Box::new(|| Ok(())),
        }
    }

    pub fn then(text: String, then: impl FnOnce() -> Result<()> + 'static) -> Frame {
        Frame {
            text,
            then: Box::new(then),
        }
    }
}

/// Runs `refresh` once and prints it, or with `--watch` again and again until Ctrl-C.
pub async fn run<F, Fut>(app: &App, watch: &WatchArgs, mut refresh: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Frame>>,
{
    if !watch.watch {
        let frame = refresh().await?;
        app.print(&frame.text)?;
        return (frame.then)();
    }
    let mode = app.out.refreshes();
    let interval = Duration::from_secs_f64(watch.interval);
    let refreshes = async {
        let mut first = true;
        let mut stretched = false;
        loop {
            let sent = sent_now(app);
            // Each refresh is a run of its own: a fresh `--request-timeout`.
            app.shared.http.restart_deadline();
            match refresh().await {
                Ok(frame) => {
                    draw(app, (mode, first), interval, &frame.text)?;
                    match (frame.then)() {
                        Err(error) if error.kind != ErrorKind::NotAsExpected => report(app, &error),
                        _ => {}
                    }
                }
                Err(error) if first => return Err(error),
                Err(error) => report(app, &error),
            }
            first = false;
            let (pause, why) = pause(app, interval, &sent);
            if let Some(why) = why.filter(|_| !stretched) {
                stretched = true;
                crate::say!("note: {why}");
            }
            tokio::time::sleep(pause).await;
        }
    };
    tokio::select! {
        result = refreshes => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// A later refresh's error, on stderr as every error is, and the watch goes on.
fn report(app: &App, error: &Error) {
    crate::error::report(error, app.json());
}

/// Requests sent so far to each provider with a published rate limit.
fn sent_now(app: &App) -> Vec<(ProviderKind, u64)> {
    ProviderKind::all()
        .iter()
        .filter(|kind| kind.spec().requests_per_minute.is_some())
        .map(|kind| (*kind, app.shared.http.requests_sent(*kind)))
        .collect()
}

/// The time until the next refresh: `interval`, or longer when the last refresh's requests
/// at a provider's published rate take longer (and why).
fn pause(
    app: &App,
    interval: Duration,
    before: &[(ProviderKind, u64)],
) -> (Duration, Option<String>) {
    let mut pause = interval;
    let mut why = None;
    for (kind, sent) in before {
        let Some(per_minute) = kind.spec().requests_per_minute else {
            continue;
        };
        let made = app.shared.http.requests_sent(*kind).saturating_sub(*sent);
        let needed = Duration::from_secs_f64(made as f64 * 60.0 / f64::from(per_minute));
        if needed > pause {
            pause = needed;
            why = Some(format!(
                "refreshing every {}s: a refresh makes {made} {kind} requests and {kind} allows {per_minute} a minute",
                needed.as_secs_f64().ceil()
            ));
        }
    }
    (pause, why)
}

/// Writes one refresh (the `first` or a later one) to stdout as `mode` shows it.
fn draw(app: &App, (mode, first): (Mode, bool), interval: Duration, text: &str) -> Result<()> {
    let out = match mode {
        Mode::JsonLines => one_line(text) + "\n",
        Mode::YamlStream => format!("---\n{text}"),
        Mode::Blocks if first => text.to_string(),
        Mode::Blocks => format!("\n{text}"),
        Mode::Screen => screen(interval, text),
    };
    app.print(&out)
}

/// The frame for a terminal: from the top-left corner, a header line, then the text, each
/// line cleared to its end, and the rest of the screen cleared.
fn screen(interval: Duration, text: &str) -> String {
    const HOME: &str = "\x1b[H";
    const CLEAR_LINE: &str = "\x1b[K";
    const CLEAR_BELOW: &str = "\x1b[J";
    let header = format!(
        "every {}s, {} (Ctrl-C ends)",
        interval.as_secs_f64(),
        chrono::Local::now().format("%H:%M:%S")
    );
    let lines: Vec<&str> = text.lines().collect();
    // The header takes a row, and the cursor ends on the row below the last line: what is
    // taller than the rest is cut, and a line says so.
    let room = crate::output::terminal_rows().map(|rows| rows.saturating_sub(2));
    let (shown, cut) = match room {
        Some(room) if lines.len() > room => {
            let shown = room.saturating_sub(1).max(1);
            (&lines[..shown], lines.len() - shown)
        }
        _ => (&lines[..], 0),
    };
    let mut out = format!("{HOME}{header}{CLEAR_LINE}\n");
    for line in shown {
        out.push_str(line);
        out.push_str(CLEAR_LINE);
        out.push('\n');
    }
    if cut > 0 {
        out.push_str(&format!(
            "... {cut} more lines (a taller terminal, or a pipe, shows them){CLEAR_LINE}\n"
        ));
    }
    out.push_str(CLEAR_BELOW);
    out
}

/// A JSON document on one line: the whitespace between its tokens dropped, every string
/// (with the renderer's escapes) kept byte for byte. Pretty JSON has newlines only between
/// tokens: inside a string a newline is always `\n`.
fn one_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_goes_on_one_line_with_its_strings_untouched() {
        let pretty = "[\n  {\n    \"name\": \"a b\\n \\\"c\\\" \\u0023\",\n    \"n\": 1\n  }\n]\n";
        assert_eq!(
            one_line(pretty),
            "[{\"name\":\"a b\\n \\\"c\\\" \\u0023\",\"n\":1}]"
        );
        let value: serde_json::Value = serde_json::from_str(&one_line(pretty)).unwrap();
        assert_eq!(value[0]["name"], "a b\n \"c\" #");
    }

    #[test]
    fn a_screen_frame_starts_home_clears_each_line_and_below() {
        let frame = screen(Duration::from_secs(5), "A\nB\n");
        assert!(frame.starts_with("\x1b[Hevery 5s, "));
        assert!(frame.ends_with("A\x1b[K\nB\x1b[K\n\x1b[J"));
        assert!(
            !frame.contains("\x1b[2J"),
            "never clears the whole screen first"
        );
    }
}
