//! RESP2, as much as dbctl speaks: it sends AUTH, PING and INFO and reads their replies. An
//! endpoint is untrusted, so every reply is bounded: a line or bulk string over
//! [`MAX_REPLY`] ends the attempt (the caller drops the connection), a bulk string's body is
//! handed on in pieces and never held whole, and of a status or error line only the first
//! [`KEPT`] bytes are kept for messages. One connection holds a few KiB whatever it is sent.
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// The most one reply (a line, or a bulk string's body) may hold: far above any INFO section.
pub const MAX_REPLY: usize = 1024 * 1024;
/// Bytes of a status or error line kept for messages; the rest is counted and skipped.
const KEPT: usize = 512;

/// A reply, without the body of a bulk string (which went to the caller's sink).
#[derive(Debug, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Integer(i64),
    /// A bulk string, its bytes given to the sink.
    Bulk,
    Nil,
}

/// Why a reply could not be read.
#[derive(Debug)]
pub enum ReplyError {
    /// A line or bulk string over [`MAX_REPLY`].
    TooLarge,
    /// The connection ended before the reply did.
    Closed,
    Io(std::io::Error),
    /// Bytes that are not a RESP2 reply (or not one dbctl asked for), described.
    Protocol(String),
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::TooLarge => write!(f, "reply too large (over {} KiB)", MAX_REPLY / 1024),
            ReplyError::Closed => write!(f, "the connection closed mid-reply"),
            ReplyError::Io(e) => write!(f, "{e}"),
            ReplyError::Protocol(what) => write!(f, "not a Redis reply: {what}"),
        }
    }
}

impl From<std::io::Error> for ReplyError {
    fn from(error: std::io::Error) -> Self {
        ReplyError::Io(error)
    }
}

/// Writes one command as a RESP array of bulk strings.
pub async fn send<W: AsyncWrite + Unpin>(write: &mut W, args: &[&[u8]]) -> std::io::Result<()> {
    let mut frame = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        frame.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        frame.extend_from_slice(arg);
        frame.extend_from_slice(b"\r\n");
    }
    write.write_all(&frame).await?;
    write.flush().await
}

/// Reads one reply; a bulk string's body goes to `sink` in pieces as it arrives.
pub async fn read<R: AsyncBufRead + Unpin>(
    read: &mut R,
    sink: &mut (dyn FnMut(&[u8]) + Send),
) -> Result<Reply, ReplyError> {
    let line = read_line(read).await?;
    let (kind, rest) = match line.split_first() {
        Some((kind, rest)) => (*kind, rest),
        None => return Err(ReplyError::Protocol("an empty line".into())),
    };
    let text = || String::from_utf8_lossy(rest).into_owned();
    match kind {
        b'+' => Ok(Reply::Status(text())),
        b'-' => Ok(Reply::Error(text())),
        b':' => text()
            .parse()
            .map(Reply::Integer)
            .map_err(|_| ReplyError::Protocol("an integer reply that is not a number".into())),
        b'$' => {
            let length: i64 = text()
                .parse()
                .map_err(|_| ReplyError::Protocol("a bulk length that is not a number".into()))?;
            if length < 0 {
                return Ok(Reply::Nil);
            }
            if length as u64 > MAX_REPLY as u64 {
                return Err(ReplyError::TooLarge);
            }
            read_body(read, length as usize, sink).await?;
            Ok(Reply::Bulk)
        }
        b'_' => Ok(Reply::Nil),
        b'*' => Err(ReplyError::Protocol(
            "an array where one value was expected".into(),
        )),
        other => Err(ReplyError::Protocol(format!(
            "it starts with byte 0x{other:02x}"
        ))),
    }
}

/// One line without its CRLF, at most [`KEPT`] bytes of it; longer is skipped, and past
/// [`MAX_REPLY`] an error.
async fn read_line<R: AsyncBufRead + Unpin>(read: &mut R) -> Result<Vec<u8>, ReplyError> {
    let mut kept = Vec::new();
    let mut total = 0usize;
    loop {
        let buffer = read.fill_buf().await?;
        if buffer.is_empty() {
            return Err(ReplyError::Closed);
        }
        let (piece, done) = match buffer.iter().position(|b| *b == b'\n') {
            Some(end) => (&buffer[..=end], true),
            None => (buffer, false),
        };
        let used = piece.len();
        total += used;
        if total > MAX_REPLY + 2 {
            return Err(ReplyError::TooLarge);
        }
        let room = KEPT.saturating_sub(kept.len());
        kept.extend_from_slice(&piece[..used.min(room)]);
        read.consume(used);
        if done {
            break;
        }
    }
    // The line end went into `kept` only when the line was short; strip what came.
    if total <= KEPT {
        kept.truncate(total - 1);
        if kept.last() == Some(&b'\r') {
            kept.pop();
        }
    }
    Ok(kept)
}

/// `length` bytes to `sink`, then the CRLF that ends a bulk string.
async fn read_body<R: AsyncBufRead + Unpin>(
    read: &mut R,
    length: usize,
    sink: &mut (dyn FnMut(&[u8]) + Send),
) -> Result<(), ReplyError> {
    let mut left = length + 2;
    let mut tail = [0u8; 2];
    while left > 0 {
        let buffer = read.fill_buf().await?;
        if buffer.is_empty() {
            return Err(ReplyError::Closed);
        }
        let used = buffer.len().min(left);
        let piece = &buffer[..used];
        // The last two bytes of the frame are its CRLF, not body.
        let body = piece.len().min(left.saturating_sub(2));
        sink(&piece[..body]);
        for (i, byte) in piece[body..].iter().enumerate() {
            tail[2 - (left - body) + i] = *byte;
        }
        left -= used;
        read.consume(used);
    }
    if &tail != b"\r\n" {
        return Err(ReplyError::Protocol(
            "a bulk string longer than its length".into(),
        ));
    }
    Ok(())
}

/// Splits a bulk string's pieces into lines for `each`, keeping at most `MAX_LINE` bytes of
/// a line: a longer one is not something dbctl reads, and is skipped whole.
pub struct Lines<F: FnMut(&str)> {
    partial: Vec<u8>,
    overlong: bool,
    each: F,
}

const MAX_LINE: usize = 4096;

impl<F: FnMut(&str)> Lines<F> {
    pub fn new(each: F) -> Self {
        Lines {
            partial: Vec::new(),
            overlong: false,
            each,
        }
    }

    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let (piece, end) = match bytes.iter().position(|b| *b == b'\n') {
                Some(i) => (&bytes[..i], true),
                None => (bytes, false),
            };
            if self.partial.len() + piece.len() > MAX_LINE {
                self.overlong = true;
                self.partial.clear();
            } else if !self.overlong {
                self.partial.extend_from_slice(piece);
            }
            if end {
                self.line();
                bytes = &bytes[piece.len() + 1..];
            } else {
                bytes = &[];
            }
        }
    }

    /// The last line, when the text does not end with one.
    pub fn finish(mut self) {
        self.line();
    }

    fn line(&mut self) {
        if !self.overlong && !self.partial.is_empty() {
            (self.each)(String::from_utf8_lossy(&self.partial).trim_end_matches('\r'));
        }
        self.partial.clear();
        self.overlong = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn one(bytes: &[u8]) -> (Result<Reply, ReplyError>, Vec<u8>) {
        let mut body = Vec::new();
        let mut reader = tokio::io::BufReader::with_capacity(64, bytes);
        let reply = read(&mut reader, &mut |piece| body.extend_from_slice(piece)).await;
        (reply, body)
    }

    #[tokio::test]
    async fn replies_are_read() {
        assert_eq!(
            one(b"+PONG\r\n").await.0.unwrap(),
            Reply::Status("PONG".into())
        );
        assert_eq!(
            one(b"-WRONGPASS invalid\r\n").await.0.unwrap(),
            Reply::Error("WRONGPASS invalid".into())
        );
        assert_eq!(one(b":42\r\n").await.0.unwrap(), Reply::Integer(42));
        assert_eq!(one(b"$-1\r\n").await.0.unwrap(), Reply::Nil);
        let text = "a".repeat(300) + "\r\nb";
        let frame = format!("${}\r\n{text}\r\n", text.len());
        let (reply, body) = one(frame.as_bytes()).await;
        assert_eq!(reply.unwrap(), Reply::Bulk);
        assert_eq!(body, text.as_bytes());
    }

    #[tokio::test]
    async fn hostile_replies_end_the_attempt() {
        let huge = format!("${}\r\n", MAX_REPLY + 1);
        assert!(matches!(
            one(huge.as_bytes()).await.0,
            Err(ReplyError::TooLarge)
        ));
        let endless = [b"+".as_slice(), &vec![b'x'; MAX_REPLY + 10]].concat();
        assert!(matches!(one(&endless).await.0, Err(ReplyError::TooLarge)));
        assert!(matches!(
            one(b"$10\r\nabc").await.0,
            Err(ReplyError::Closed)
        ));
        assert!(matches!(
            one(b"$3\r\nabcdef\r\n").await.0,
            Err(ReplyError::Protocol(_))
        ));
        assert!(matches!(
            one(b"HTTP/1.1 400\r\n").await.0,
            Err(ReplyError::Protocol(_))
        ));
        assert!(matches!(
            one(b"*1\r\n+x\r\n").await.0,
            Err(ReplyError::Protocol(_))
        ));
        assert!(matches!(
            one(b"$abc\r\n").await.0,
            Err(ReplyError::Protocol(_))
        ));
        assert!(matches!(one(b"").await.0, Err(ReplyError::Closed)));
    }

    #[tokio::test]
    async fn a_long_status_line_keeps_only_its_start() {
        let line = format!("-ERR {}\r\n", "y".repeat(10_000));
        match one(line.as_bytes()).await.0.unwrap() {
            Reply::Error(text) => assert_eq!(text.len(), KEPT - 1),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn commands_are_resp_arrays() {
        let mut out = Vec::new();
        send(&mut out, &[b"AUTH", b"pw"]).await.unwrap();
        assert_eq!(out, b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n");
    }

    #[test]
    fn lines_are_split_across_pieces_and_overlong_ones_skipped() {
        let mut seen = Vec::new();
        let mut lines = Lines::new(|line: &str| seen.push(line.to_string()));
        lines.feed(b"a:1\r\nb:");
        lines.feed(b"2\r\n");
        lines.feed(&vec![b'z'; MAX_LINE + 1]);
        lines.feed(b"zz\r\nc:3");
        lines.finish();
        assert_eq!(seen, ["a:1", "b:2", "c:3"]);
    }
}
