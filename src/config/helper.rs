//! Secret helpers: a `*_command` run without a shell, as AWS's `credential_process` and git's
//! credential helpers are. Its words are split as a shell would split them (quotes group,
//! nothing is expanded), it gets [`DEADLINE`], its stdout (at most [`MAX_OUTPUT`], one trailing
//! newline dropped) is the secret, and its stderr is kept out of every line dbctl writes but
//! the last one of a failure.
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a helper may take, from start to its last byte of output.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// The most a helper may print on stdout.
pub const MAX_OUTPUT: usize = 64 * 1024;
/// The end of a failed helper's stderr kept for the message.
const STDERR_TAIL: usize = 4096;
/// The longest stderr line shown.
const SHOWN_LINE: usize = 200;

/// Why a helper gave no secret. Never holds what it printed on stdout.
#[derive(Debug)]
pub enum Failure {
    Start(String),
    /// A non-zero exit (or a signal), with the last line it wrote on stderr.
    Exit {
        status: String,
        said: Option<String>,
    },
    Timeout,
    TooLarge,
    Empty,
    NotText,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Start(why) => write!(f, "could not be started: {why}"),
            Failure::Exit { status, .. } => write!(f, "failed ({status})"),
            Failure::Timeout => write!(
                f,
                "did not finish within {} s and was stopped",
                DEADLINE.as_secs()
            ),
            Failure::TooLarge => write!(
                f,
                "printed more than {} KiB; a secret is one line",
                MAX_OUTPUT / 1024
            ),
            Failure::Empty => f.write_str("printed nothing on stdout"),
            Failure::NotText => f.write_str("printed bytes that are not UTF-8 text"),
        }
    }
}

/// A command line split into words as a POSIX shell splits them, and nothing more: blanks
/// separate words, `'…'` keeps everything literally, `"…"` keeps everything but `\"`, `\\`,
/// `\$` and `` \` ``, and a backslash outside quotes keeps the next character. `$`, `~`,
/// globs, `;`, `|` and redirections are plain characters.
pub fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => words.extend(word.take()),
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err("a single quote is not closed".into()),
                    }
                }
            }
            '"' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => current.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => return Err("a double quote is not closed".into()),
                        },
                        Some(c) => current.push(c),
                        None => return Err("a double quote is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("it ends with a lone backslash".into()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// Runs `argv` (no shell) with stdin closed and returns its stdout, one trailing newline
/// dropped. Past [`DEADLINE`] or [`MAX_OUTPUT`] it is killed, with whatever it started.
pub fn run(argv: &[String]) -> Result<String, Failure> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Failure::Start("the command is empty".into()))?;
    let started = Instant::now();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout stops what it started too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| Failure::Start(format!("`{program}`: {e}")))?;
    let stdout = read_in_background(child.stdout.take(), MAX_OUTPUT + 1, false);
    let stderr = read_in_background(child.stderr.take(), STDERR_TAIL, true);
    let status = match wait(&mut child, started, &stdout) {
        Ok(status) => status,
        Err(failure) => {
            stop(&mut child);
            return Err(failure);
        }
    };
    let left = DEADLINE.saturating_sub(started.elapsed());
    // Something it started may still hold stdout open: that counts against the deadline.
    let output = match stdout.1.recv_timeout(left) {
        Ok(output) => output,
        Err(_) => {
            stop(&mut child);
            return Err(Failure::Timeout);
        }
    };
    if !status.success() {
        let said = stderr
            .1
            .recv_timeout(Duration::from_millis(100))
            .ok()
            .and_then(|bytes| last_line(&bytes));
        return Err(Failure::Exit {
            status: describe(status),
            said,
        });
    }
    if output.len() > MAX_OUTPUT {
        return Err(Failure::TooLarge);
    }
    let mut text = String::from_utf8(output).map_err(|_| Failure::NotText)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(Failure::Empty);
    }
    Ok(text)
}

/// A pipe read to its end on a thread of its own (the first `limit` bytes, or with `tail` the
/// last), with a flag raised as soon as more than `limit` arrived.
type Reader = (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    mpsc::Receiver<Vec<u8>>,
);

fn read_in_background(
    pipe: Option<impl Read + Send + 'static>,
    limit: usize,
    tail: bool,
) -> Reader {
    use std::sync::atomic::{AtomicBool, Ordering};
    let over = std::sync::Arc::new(AtomicBool::new(false));
    let (sender, receiver) = mpsc::sync_channel(1);
    let flag = over.clone();
    let spawned = std::thread::Builder::new()
        .name("dbctl-helper-pipe".into())
        .spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut pipe) = pipe {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    kept.extend_from_slice(&chunk[..n]);
                    if kept.len() > limit {
                        if !tail {
                            flag.store(true, Ordering::Relaxed);
                            break;
                        }
                        kept.drain(..kept.len() - limit);
                    }
                }
            }
            let _ = sender.send(kept);
        });
    if spawned.is_err() {
        over.store(true, Ordering::Relaxed);
    }
    (over, receiver)
}

/// Waits for the exit, giving up at the deadline or as soon as stdout overflows.
fn wait(child: &mut Child, started: Instant, stdout: &Reader) -> Result<ExitStatus, Failure> {
    loop {
        if stdout.0.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Failure::TooLarge);
        }
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(e) => return Err(Failure::Start(format!("cannot wait for it: {e}"))),
        }
        if started.elapsed() >= DEADLINE {
            return Err(Failure::Timeout);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Kills the helper and its process group, and reaps it.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals that process group; it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return format!("killed by signal {signal}");
    }
    status.to_string()
}

/// The last non-blank line of what a failed helper wrote on stderr, cut short.
fn last_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let mut shown: String = line.chars().take(SHOWN_LINE).collect();
    if shown.len() < line.len() {
        shown.push_str("...");
    }
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        split_words(text).unwrap()
    }

    #[test]
    fn words_split_like_a_shell_but_nothing_expands() {
        assert_eq!(words("pass show upstash"), ["pass", "show", "upstash"]);
        assert_eq!(words("  a\t b \n"), ["a", "b"]);
        assert_eq!(
            words("op read 'op://vault/my item/key'"),
            ["op", "read", "op://vault/my item/key"]
        );
        assert_eq!(
            words(r#"x "a \"b\" \$HOME \n" c"#),
            ["x", r#"a "b" $HOME \n"#, "c"]
        );
        assert_eq!(words(r"a\ b c\\d"), ["a b", r"c\d"]);
        assert_eq!(words("echo '' \"\" x"), ["echo", "", "", "x"]);
        assert_eq!(words("a'b'\"c\"d"), ["abcd"]);
        assert_eq!(
            words("echo $(touch x) ; ls * ~ > f | y && z `id`"),
            ["echo", "$(touch", "x)", ";", "ls", "*", "~", ">", "f", "|", "y", "&&", "z", "`id`"]
        );
        assert!(words("").is_empty());
        assert!(split_words("'open").is_err());
        assert!(split_words("\"open").is_err());
        assert!(split_words("trailing\\").is_err());
    }

    #[test]
    fn the_last_stderr_line_is_cut_short() {
        assert_eq!(last_line(b"one\ntwo\n\n  \n"), Some("two".into()));
        assert_eq!(last_line(b" \n"), None);
        let long = "x".repeat(500);
        assert_eq!(last_line(long.as_bytes()).unwrap().len(), SHOWN_LINE + 3);
    }
}
