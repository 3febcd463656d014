//! Reading the files a user names (config, spec, CA file, request bodies): a regular file, or
//! stdin where a command takes `-`; never a device, FIFO or directory, never more than
//! [`MAX_BYTES`], and never waiting past [`DEADLINE`] on a reader that does not end.
use std::fs::Metadata;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// The largest input read.
pub const MAX_BYTES: u64 = 16 << 20;
/// How long reading may take: a file that turns into a FIFO between the check and the open, a
/// hung network mount, or a piped stdin nobody closes. A terminal has a person at it, no limit.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The text of `path`, or of stdin when `stdin_allowed` and `path` is `-`. An error is the
/// reason, for the caller to prefix with what it was reading.
pub fn read_text(path: &Path, stdin_allowed: bool) -> Result<String, String> {
    if stdin_allowed && path == Path::new("-") {
        return read_stdin();
    }
    utf8(read_file(path, stdin_allowed)?)
}

/// The bytes of a regular file.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    read_file(path, false)
}

/// A regular file, checked after following symlinks (before an open that could block) and
/// again once open; `stdin_allowed` adds where a pipe can go instead.
fn read_file(path: &Path, stdin_allowed: bool) -> Result<Vec<u8>, String> {
    let check = move |metadata: std::io::Result<Metadata>| {
        regular(&metadata.map_err(|e| e.to_string())?, stdin_allowed)
    };
    check(std::fs::metadata(path))?;
    let path = path.to_path_buf();
    within_deadline("reading it took longer than", move || {
        let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        check(file.metadata())?;
        bounded(file)
    })
}

/// All of stdin as text.
pub fn read_stdin() -> Result<String, String> {
    use std::io::IsTerminal;
    let bytes = if std::io::stdin().is_terminal() {
        bounded(std::io::stdin().lock())?
    } else {
        within_deadline("stdin was not closed within", || {
            bounded(std::io::stdin().lock())
        })?
    };
    utf8(bytes)
}

/// Refuses anything but a regular file no larger than [`MAX_BYTES`].
fn regular(metadata: &Metadata, stdin_allowed: bool) -> Result<(), String> {
    if !metadata.is_file() {
        let instead = if stdin_allowed {
            "; to read a pipe, give `-` and pipe it to stdin"
        } else {
            ""
        };
        return Err(format!(
            "it is {}, not a regular file{instead}",
            file_kind(metadata)
        ));
    }
    if metadata.len() > MAX_BYTES {
        return Err(too_large());
    }
    Ok(())
}

fn file_kind(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Reads at most one byte more than [`MAX_BYTES`]: a file that grows, or a device behind a
/// swapped path, is cut off there.
fn bounded(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

fn too_large() -> String {
    format!(
        "it is larger than {} MiB; refusing to read it",
        MAX_BYTES >> 20
    )
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "it is not UTF-8 text (byte {} is not)",
            e.utf8_error().valid_up_to() + 1
        )
    })
}

/// Runs a blocking read on its own thread and gives up after [`DEADLINE`] ("`late` 10 s");
/// the thread is left blocked, and the process ends without waiting for it.
fn within_deadline<T: Send + 'static>(
    late: &str,
    read: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("dbctl-read".into())
        .spawn(move || {
            let _ = sender.send(read());
        })
        .map_err(|e| format!("cannot start reading: {e}"))?;
    receiver
        .recv_timeout(DEADLINE)
        .map_err(|_| format!("{late} {} s", DEADLINE.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("spec.toml");
        std::fs::write(&file, "a = 1\n").unwrap();
        assert_eq!(read_text(&file, false).unwrap(), "a = 1\n");
        let refused = read_text(dir.path(), false).unwrap_err();
        assert!(
            refused.starts_with("it is a directory, not a regular file"),
            "{refused}"
        );
        #[cfg(unix)]
        {
            let zero = dir.path().join("zero.toml");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            let refused = read_text(&zero, true).unwrap_err();
            assert!(refused.starts_with("it is a character device"), "{refused}");
        }
        // `-` is a file name unless the caller takes stdin.
        let missing = read_text(Path::new("-"), false).unwrap_err();
        assert!(missing.contains("No such file"), "{missing}");
    }

    #[test]
    fn reading_stops_one_byte_past_the_cap() {
        let endless = std::io::repeat(b'a');
        assert_eq!(bounded(endless).unwrap_err(), too_large());
        let exact = std::io::repeat(b'a').take(MAX_BYTES);
        assert_eq!(bounded(exact).unwrap().len() as u64, MAX_BYTES);
        assert_eq!(
            utf8(vec![b'a', 0xff]).unwrap_err(),
            "it is not UTF-8 text (byte 2 is not)"
        );
    }
}
