//! The emulator's data plane: a small RESP2 responder on the emulator's address (loopback
//! unless `--bind` says otherwise) that answers `db ping` and `INFO` for every emulated Redis
//! database, in plaintext even for TLS databases (the emulator has no certificate a client
//! could verify). `emulator serve` lists every database with its port under a `*.localhost`
//! name; `--demo` dials it whatever a record says (`HttpSettings::dial_override`). Any AUTH is
//! accepted, so each database's own password is. A command is at most [`MAX_COMMAND_BYTES`];
//! past it the connection closes.
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Error, Result};

/// Largest command accepted: its arguments, and its bytes on the wire (headers included).
const MAX_ARGS: usize = 64;
const MAX_COMMAND_BYTES: u64 = 64 * 1024;
/// How long accepting pauses after an error (such as too many open files) before it retries.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Listens on a free port of `bind`; `latency` is added before every answer.
pub async fn start(
    bind: IpAddr,
    latency: Duration,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind((bind, 0))
        .await
        .map_err(|e| Error::internal(format!("emulator data plane cannot listen: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::internal(format!("emulator data plane address: {e}")))?;
    Ok((addr, tokio::spawn(accept(listener, latency))))
}

/// Serves every connection; an accept error (too many open files) is logged once per run of
/// errors and retried after [`ACCEPT_BACKOFF`], so the listener outlives it.
async fn accept(listener: TcpListener, latency: Duration) {
    let mut failing = false;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                failing = false;
                tokio::spawn(serve(stream, latency));
            }
            Err(e) => {
                if !failing {
                    crate::sanitize::stderr_line(&format!(
                        "emulator data plane: cannot accept a connection ({e}); retrying"
                    ));
                }
                failing = true;
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

async fn serve(stream: TcpStream, latency: Duration) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    while let Some(command) = read_command(&mut read).await {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let name = command.first().map(|c| c.to_ascii_uppercase());
        let reply = answer(name.as_deref().unwrap_or_default(), &command);
        if write.write_all(reply.as_bytes()).await.is_err() || name.as_deref() == Some("QUIT") {
            break;
        }
    }
}

fn answer(name: &str, command: &[String]) -> String {
    match name {
        "AUTH" | "SELECT" | "CLIENT" | "QUIT" => "+OK\r\n".into(),
        "PING" => match command.get(1) {
            Some(text) => bulk(text),
            None => "+PONG\r\n".into(),
        },
        "HELLO" => "-NOPROTO this emulator speaks RESP2 only\r\n".into(),
        "INFO" => bulk(&info(chrono::Utc::now().timestamp())),
        _ => "-ERR unknown command\r\n".into(),
    }
}

fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// Plausible numbers that drift slowly with the clock (one step a minute).
fn info(now: i64) -> String {
    let minute = now.div_euclid(60);
    let wave = (minute % 20 - 10).abs(); // 0..=10 and back
    let used = 48 * 1024 * 1024 + wave * 1024 * 1024;
    let ops = 120 + wave * 9 + now.rem_euclid(7);
    let clients = 4 + wave / 2;
    format!(
        "# Memory\r\nused_memory:{used}\r\nmaxmemory:{}\r\nmaxmemory_policy:noeviction\r\n\r\n\
         # Stats\r\ninstantaneous_ops_per_sec:{ops}\r\n\r\n\
         # Clients\r\nconnected_clients:{clients}\r\n",
        256 * 1024 * 1024
    )
}

/// One command: a RESP array of bulk strings, or an inline line, of at most
/// [`MAX_COMMAND_BYTES`]. `None` ends the connection.
async fn read_command<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> Option<Vec<String>> {
    let mut read = read.take(MAX_COMMAND_BYTES);
    let line = read_line(&mut read).await?;
    let Some(count) = line.strip_prefix('*') else {
        return Some(line.split_whitespace().map(str::to_string).collect());
    };
    let count: usize = count.parse().ok().filter(|n| *n <= MAX_ARGS)?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let header = read_line(&mut read).await?;
        let len: usize = header.strip_prefix('$')?.parse().ok()?;
        if (len as u64).saturating_add(2) > read.limit() {
            return None;
        }
        let mut bytes = vec![0; len + 2];
        read.read_exact(&mut bytes).await.ok()?;
        bytes.truncate(len);
        args.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(args)
}

async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> Option<String> {
    let mut line = Vec::new();
    let n = read.read_until(b'\n', &mut line).await.ok()?;
    if n == 0 || !line.ends_with(b"\n") {
        return None;
    }
    Some(String::from_utf8_lossy(&line).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_is_plausible_and_moves_slowly() {
        let a = crate::dataplane::parse_info(&info(1_700_000_000));
        let b = crate::dataplane::parse_info(&info(1_700_000_030));
        assert!(a.used_memory.unwrap() >= 48 * 1024 * 1024);
        assert_eq!(a.maxmemory, Some(256 * 1024 * 1024));
        assert!(a.connected_clients.unwrap() >= 4);
        assert!(
            (a.instantaneous_ops_per_sec.unwrap() - b.instantaneous_ops_per_sec.unwrap()).abs()
                < 10.0
        );
    }

    #[tokio::test]
    async fn commands_are_read_from_resp_and_inline() {
        let input = b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\nPING\r\n*9999\r\n";
        let mut read = BufReader::new(&input[..]);
        assert_eq!(
            read_command(&mut read).await,
            Some(vec!["AUTH".into(), "pw".into()])
        );
        assert_eq!(read_command(&mut read).await, Some(vec!["PING".into()]));
        assert_eq!(read_command(&mut read).await, None);
        // The budget is per command: arguments that each fit but not together end it.
        let half = "x".repeat(MAX_COMMAND_BYTES as usize / 2);
        let input = format!("*2\r\n$4\r\nPING\r\n${}\r\n{half}\r\n", half.len());
        let input =
            input.repeat(2) + &format!("*2\r\n${0}\r\n{half}\r\n${0}\r\n{half}\r\n", half.len());
        let mut read = BufReader::new(input.as_bytes());
        for _ in 0..2 {
            assert_eq!(read_command(&mut read).await.map(|c| c.len()), Some(2));
        }
        assert_eq!(read_command(&mut read).await, None);
        assert_eq!(answer("PING", &["PING".into()]), "+PONG\r\n");
        assert!(answer("FLUSHALL", &[]).starts_with("-ERR"));
    }
}
