//! The emulator's data plane: a small RESP2 responder on the emulator's address (loopback
//! unless `--bind` says otherwise) that answers `db ping` and `INFO` for every emulated Redis
//! database. `--demo` dials it instead of the databases'
//! made-up hosts (`HttpSettings::dial_override`), in plaintext even for TLS databases: the
//! emulator has no certificate a client could verify. Any AUTH is accepted.
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Error, Result};

/// Largest command accepted (arguments, bytes per argument); past it the connection closes.
const MAX_ARGS: usize = 64;
const MAX_ARG_BYTES: usize = 64 * 1024;

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
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, latency));
        }
    });
    Ok((addr, server))
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

/// One command: a RESP array of bulk strings, or an inline line. `None` ends the connection.
async fn read_command<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> Option<Vec<String>> {
    let line = read_line(read).await?;
    let Some(count) = line.strip_prefix('*') else {
        return Some(line.split_whitespace().map(str::to_string).collect());
    };
    let count: usize = count.parse().ok().filter(|n| *n <= MAX_ARGS)?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let header = read_line(read).await?;
        let len: usize = header
            .strip_prefix('$')?
            .parse()
            .ok()
            .filter(|n| *n <= MAX_ARG_BYTES)?;
        let mut bytes = vec![0; len + 2];
        read.read_exact(&mut bytes).await.ok()?;
        bytes.truncate(len);
        args.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(args)
}

async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> Option<String> {
    let mut line = Vec::new();
    let n = read
        .take(MAX_ARG_BYTES as u64)
        .read_until(b'\n', &mut line)
        .await
        .ok()?;
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
        assert_eq!(answer("PING", &["PING".into()]), "+PONG\r\n");
        assert!(answer("FLUSHALL", &[]).starts_with("-ERR"));
    }
}
