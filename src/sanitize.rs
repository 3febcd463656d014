//! Provider bytes are untrusted: the one place that makes text safe for a terminal, a
//! spreadsheet, a shell script or a URL, and the one writer for stderr.
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

/// Whether a character can act on a terminal, break a line, reorder text or break an XML
/// document: C0/C1 controls, DEL, the line and paragraph separators (a line break to
/// JavaScript and Python), the bidi and direction marks, and U+FFFE/U+FFFF (no XML 1.0
/// character).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
}

/// The first character of `name` nobody sees: an [`is_unsafe_char`], a default-ignorable
/// code point (zero-width spaces and joiners, variation selectors...), which the TR39 skeleton
/// drops, or the blank braille pattern U+2800, drawn as a space that is none. A name holding
/// one reads as another name; `plan` refuses it, `db create` never makes it.
pub fn invisible_char(name: &str) -> Option<char> {
    name.chars().find(|&c| {
        is_unsafe_char(c)
            || c == '\u{2800}'
            || unicode_security::skeleton(c.encode_utf8(&mut [0; 4]))
                .next()
                .is_none()
    })
}

/// What makes `name` unfit for a new database, if anything: blank, or holding a character
/// nobody sees (named with its code point).
pub fn name_fault(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("is blank".into());
    }
    invisible_char(name).map(|c| format!("holds U+{:04X}, which cannot be seen", c as u32))
}

/// Whether the character at byte `at` of `text` would let it form a GitHub Actions workflow
/// command in a CI log: the first `:` of a `::` that starts the text or follows whitespace
/// (the runner reads `::name::` after a line's leading whitespace, and renderers break lines
/// only at whitespace), or the first `#` of a `##[` (the legacy form, read anywhere in a line).
fn forms_workflow_command(text: &str, at: usize, before: Option<char>) -> bool {
    let rest = &text[at..];
    (rest.starts_with("::") && before.is_none_or(char::is_whitespace)) || rest.starts_with("##[")
}

/// The one neutralizer every renderer uses: `text` with each character that must not be
/// written raw ([`is_unsafe_char`], or one that would form a workflow command) written by
/// `escape` in the format's own escape syntax. Borrowed when there is none.
pub fn escape_with(text: &str, escape: impl Fn(char, &mut String)) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut before = None;
    for (at, c) in text.char_indices() {
        if is_unsafe_char(c) || forms_workflow_command(text, at, before) {
            let out = out.get_or_insert_with(|| {
                let mut out = String::with_capacity(text.len() + 8);
                out.push_str(&text[..at]);
                out
            });
            escape(c, out);
        } else if let Some(out) = &mut out {
            out.push(c);
        }
        before = Some(c);
    }
    out.map_or(Cow::Borrowed(text), Cow::Owned)
}

/// Text for people (tables, detail views, CSV, JUnit, stderr): every unsafe character as a
/// visible escape (`\x1b`, `\n`, `\u{202e}`), and workflow commands broken (`\x3a:error::`,
/// `\x23#[error]`).
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape_with(text, |c, out| match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    })
}

/// JSON text (a whole document) with every unsafe character serde_json leaves raw (C1, bidi,
/// U+FFFE) and every workflow-command `:` or `#` written as `\uXXXX`: the same data to a
/// parser, as they can only occur inside strings. The document's own line breaks stay.
pub fn escape_json(text: &str) -> Cow<'_, str> {
    escape_with(text, |c, out| {
        if c == '\n' {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
    })
}

/// Whether rendered text is safe on a terminal and in a CI log: no unsafe character but its
/// own line breaks, and no line that forms a workflow command.
pub fn is_inert(text: &str) -> bool {
    !text.chars().any(|c| c != '\n' && is_unsafe_char(c))
        && text
            .lines()
            .all(|line| !line.trim_start().starts_with("::") && !line.contains("##["))
}

/// A host a provider sent, if it is one: a DNS name, an IPv4 address, or an IPv6 address
/// (bare or bracketed, returned without brackets). Anything else is no usable endpoint.
pub fn host(text: &str) -> Option<String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    if inner.contains(':') {
        return inner
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|_| inner.to_string());
    }
    if inner.len() != text.len() {
        return None;
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (name.len() <= 253 && name.split('.').all(label_ok)).then(|| text.to_string())
}

/// Profile names reach shell completion scripts: `[A-Za-z0-9][A-Za-z0-9._-]*`.
pub fn is_profile_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A CSV cell a spreadsheet would run as a formula gets a leading `'` (OWASP CSV injection).
pub fn csv_cell(text: String) -> String {
    // A CSV file is read on terminals too: controls show as escapes, as in a table.
    let text = escape_controls(&text).into_owned();
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// Writes one message line to stderr: credentials scrubbed, URL passwords masked, controls
/// escaped. A closed or full stderr is ignored, never a panic.
pub fn stderr_line(text: &str) {
    let clean = escape_controls(&crate::credentials::scrub_text(text)).into_owned();
    write_stderr(&(clean + "\n"));
}

/// Whether stderr speaks JSON (`--json`): warnings become `{"warning": ...}` lines.
static JSON_STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn json_stderr(on: bool) {
    JSON_STDERR.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// A warning: `warning: ...` for people, one `{"warning": ...}` line under `--json`.
pub fn warn(text: &str) {
    if JSON_STDERR.load(std::sync::atomic::Ordering::Relaxed) {
        stderr_json(&serde_json::json!({ "warning": text }));
    } else {
        stderr_line(&format!("warning: {text}"));
    }
}

/// `stderr_line` for a one-line JSON document (the `--json` error line).
pub fn stderr_json(value: &serde_json::Value) {
    let clean = escape_json(&crate::credentials::scrub_text(&value.to_string())).into_owned();
    write_stderr(&(clean + "\n"));
}

/// A prompt: like `stderr_line` without the line end, flushed.
pub fn stderr_prompt(text: &str) {
    write_stderr(&escape_controls(&crate::credentials::scrub_text(text)));
}

/// The wait spinner while one runs: lines written to stderr go above it, not through it.
static SPINNER: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Registers (or, with `None`, forgets) the spinner [`write_stderr`] steps around.
pub fn set_spinner(bar: Option<indicatif::ProgressBar>) {
    *SPINNER.lock().unwrap_or_else(|e| e.into_inner()) = bar;
}

fn write_stderr(text: &str) {
    let write = || {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr
            .write_all(text.as_bytes())
            .and_then(|()| stderr.flush());
    };
    let spinner = SPINNER.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match spinner {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// `eprintln!` for dbctl: formats, then writes through [`stderr_line`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::sanitize::stderr_line(&format!($($arg)*))
    };
}

/// Whether a host is `localhost` or a name under `.localhost`, which RFC 6761 reserves for
/// the local machine (the emulator's databases live there): dialed as 127.0.0.1, in plaintext,
/// whatever a resolver would make of it.
pub fn is_loopback_name(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod loopback_tests {
    #[test]
    fn localhost_and_names_under_it_are_loopback() {
        for name in ["localhost", "LocalHost.", "db-1.emulator.localhost"] {
            assert!(super::is_loopback_name(name), "{name}");
        }
        for name in [
            "localhost.example.com",
            "notlocalhost",
            "127.0.0.1",
            "x.localhost.io",
        ] {
            assert!(!super::is_loopback_name(name), "{name}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(
            escape_controls("a\u{1b}]0;t\u{7}b\u{9b}c\u{202e}d\re\u{7f}"),
            "a\\x1b]0;t\\x07b\\u{9b}c\\u{202e}d\\re\\x7f"
        );
        assert_eq!(escape_controls("plain – ünïcode"), "plain – ünïcode");
        assert_eq!(escape_json("\"a\u{9b}\u{202e}\""), "\"a\\u009b\\u202e\"");
    }

    #[test]
    fn workflow_commands_are_broken_in_every_escape_syntax() {
        assert_eq!(escape_controls("::add-mask::x"), "\\x3a:add-mask::x");
        assert_eq!(
            escape_controls("a\n::error::b \u{3000}::warning::c"),
            "a\\n\\x3a:error::b \u{3000}\\x3a:warning::c"
        );
        assert_eq!(
            escape_controls("x##[error]y###[z"),
            "x\\x23#[error]y#\\x23#[z"
        );
        // IPv6 and other `::` inside a word stay as they are.
        assert_eq!(escape_controls("[::1]:6379 a::b"), "[::1]:6379 a::b");
        assert_eq!(escape_controls("\u{fffe}\u{ffff}"), "\\u{fffe}\\u{ffff}");
        assert_eq!(
            escape_json("\"::set-output name=x::##[error]\""),
            "\"::set-output name=x::\\u0023#[error]\""
        );
        assert_eq!(escape_json("[\n  \" ::x\"\n]"), "[\n  \" \\u003a:x\"\n]");
        for text in ["::error::x", "  ::error::x", "a ##[b", "a\u{fffe}", "a\rb"] {
            assert!(!is_inert(text), "{text:?}");
        }
        assert!(is_inert("a::b\n[::1]\n#[x]##\n"));
    }

    #[test]
    fn hosts_are_validated() {
        for good in [
            "redis.example.com",
            "10.0.0.1",
            "x.upstash.io.",
            "a_b.example",
        ] {
            assert_eq!(host(good).as_deref(), Some(good));
        }
        assert_eq!(host("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(host("[2001:db8::1]").as_deref(), Some("2001:db8::1"));
        for bad in [
            "-e\nBASH_ENV=./x\nY=",
            "a b",
            "",
            "host\u{1b}",
            "a..b",
            "[10.0.0.1]",
            "ho$t",
            "[::1",
            "x@y",
        ] {
            assert_eq!(host(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn profile_names_and_csv_cells() {
        assert!(is_profile_name("prod-upstash.2_x"));
        for bad in ["", "-x", "x$(touch f)y", "a\"; touch f", "a b"] {
            assert!(!is_profile_name(bad), "{bad:?}");
        }
        assert_eq!(csv_cell("=1+1".into()), "'=1+1");
        // A control character is shown as an escape, so it neither acts nor starts a formula.
        assert_eq!(csv_cell("\tx".into()), "\\tx");
        assert_eq!(csv_cell("a\u{1b}[2J".into()), "a\\x1b[2J");
        assert_eq!(csv_cell("name".into()), "name");
    }
}
