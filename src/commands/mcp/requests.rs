//! The client's side of the wire: stdin read line by line, each line at most
//! [`MAX_REQUEST_BYTES`], handed to the server. A longer line is never held whole: it is
//! answered at once with a JSON-RPC "Invalid Request" error (with its id when one can be found
//! in it), said on stderr, and the server goes on with the next line.
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// The longest request line read, newline included: rmcp's own cap, so every line handed to
/// the server fits it (rmcp drops a longer one without an answer).
pub const MAX_REQUEST_BYTES: usize = rmcp::transport::async_rw::DEFAULT_MAX_LINE_LENGTH;

/// Copies request lines from `client` to `server` until either side closes. A line longer
/// than `limit` (newline included) is not passed on: its error answer goes to `replies`.
pub async fn relay(
    mut client: impl AsyncBufRead + Unpin,
    mut server: impl AsyncWrite + Unpin,
    replies: mpsc::Sender<String>,
    limit: usize,
) {
    let mut line = Vec::new();
    // Set while the rest of a line over the limit goes by.
    let mut oversized: Option<IdFinder> = None;
    loop {
        let (taken, ended) = {
            let Ok(available) = client.fill_buf().await else {
                break;
            };
            if available.is_empty() {
                break;
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let piece = &available[..newline.map_or(available.len(), |i| i + 1)];
            match &mut oversized {
                Some(finder) => finder.feed(piece),
                None if line.len() + piece.len() > limit => {
                    let mut finder = IdFinder::default();
                    finder.feed(&line);
                    finder.feed(piece);
                    line.clear();
                    oversized = Some(finder);
                }
                None => line.extend_from_slice(piece),
            }
            (piece.len(), newline.is_some())
        };
        client.consume(taken);
        if !ended {
            continue;
        }
        match oversized.take() {
            Some(finder) => refuse(finder.id(), limit, &replies).await,
            None => {
                let passed = async {
                    server.write_all(&line).await?;
                    server.flush().await
                };
                if passed.await.is_err() {
                    return;
                }
                line.clear();
            }
        }
    }
    // The client closed its side in the middle of a line too long to read.
    if let Some(finder) = oversized {
        refuse(finder.id(), limit, &replies).await;
    }
}

/// Answers a request over the limit, echoing its id's JSON text as sent (a number past
/// `f64` stays the client's number), and says so on stderr.
async fn refuse(id: Option<String>, limit: usize, replies: &mpsc::Sender<String>) {
    let id = id.unwrap_or_else(|| "null".into());
    crate::sanitize::warn(&format!(
        "mcp: refused a request over {} MiB (id {id}); answered Invalid Request",
        limit >> 20
    ));
    let error = json!({
        "code": rmcp::model::ErrorCode::INVALID_REQUEST.0,
        "message": format!("Invalid Request: the request is over {} MiB, the most this server reads in one message", limit >> 20),
    });
    let answer = format!(r#"{{"jsonrpc":"2.0","id":{id},"error":{error}}}"#);
    // The writer is gone only when the client is.
    let _ = replies.send(format!("{answer}\n")).await;
}

/// The longest top-level key kept (`"id"` with its quotes is 4 bytes; escapes make it longer).
const MAX_KEY_BYTES: usize = 64;
/// The longest id kept; a longer one is not recovered.
const MAX_ID_BYTES: usize = 1024;

/// Finds the top-level `"id"` of a JSON-RPC message read piece by piece, keeping only the
/// top-level keys and the id's own bytes (each capped), so a message too long to hold can still
/// be answered with its id. JSON-RPC ids are strings or numbers; anything else is no id.
#[derive(Default)]
struct IdFinder {
    depth: usize,
    in_string: bool,
    escaped: bool,
    member: Member,
    /// The top-level key being read, quotes included.
    key: Vec<u8>,
    /// The bytes of the value of a top-level `"id"` while it is read.
    value: Option<Vec<u8>>,
    /// The id's JSON text, when it is a string or a number.
    id: Option<String>,
}

/// Where the reading is in a member of the top-level object.
#[derive(Default, Clone, Copy, PartialEq)]
enum Member {
    /// Not in a top-level object (before it, after it, or in a batch array).
    #[default]
    Outside,
    Key,
    Colon,
    Value,
}

impl IdFinder {
    fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.step(byte);
        }
    }

    fn id(self) -> Option<String> {
        self.id
    }

    fn step(&mut self, byte: u8) {
        if self.in_string {
            self.keep(byte);
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
                if self.depth == 1 && self.member == Member::Key {
                    self.member = Member::Colon;
                }
            }
            return;
        }
        match (byte, self.depth, self.member) {
            (b'{', 0, _) => {
                self.depth = 1;
                self.member = Member::Key;
            }
            (b'"', 1, Member::Key) => {
                self.in_string = true;
                self.key = vec![byte];
            }
            (b':', 1, Member::Colon) => {
                self.member = Member::Value;
                let key: Option<String> = serde_json::from_slice(&self.key).ok();
                self.value = (key.as_deref() == Some("id")).then(Vec::new);
            }
            (b',', 1, Member::Value) => {
                self.end_value();
                self.member = Member::Key;
            }
            (b'}', 1, _) => {
                self.end_value();
                self.depth = 0;
                self.member = Member::Outside;
            }
            _ => {
                self.keep(byte);
                match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
    }

    /// Keeps a byte of a top-level key, or of the id's value.
    fn keep(&mut self, byte: u8) {
        if self.depth == 0 {
            return;
        }
        if self.depth == 1 && self.member == Member::Key {
            if self.key.len() < MAX_KEY_BYTES {
                self.key.push(byte);
            }
        } else if self.member == Member::Value {
            if let Some(value) = &mut self.value {
                if value.len() < MAX_ID_BYTES {
                    value.push(byte);
                } else {
                    self.value = None;
                }
            }
        }
    }

    fn end_value(&mut self) {
        if let Some(value) = self.value.take() {
            let parsed: Option<Value> = serde_json::from_slice(&value).ok();
            self.id = parsed
                .filter(|id| id.is_string() || id.is_number())
                .and_then(|_| String::from_utf8(value).ok())
                .map(|text| text.trim().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_text(message: &str) -> Option<String> {
        let mut finder = IdFinder::default();
        // Byte by byte: a piece may end anywhere.
        for byte in message.as_bytes() {
            finder.feed(&[*byte]);
        }
        finder.id()
    }

    fn id_in(message: &str) -> Option<Value> {
        id_text(message).map(|text| serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn a_numeric_id_is_echoed_as_its_own_text() {
        for id in ["123456789012345678901234567890", "1.0", "-0", "7"] {
            let message = format!(r#"{{"jsonrpc":"2.0", "id" : {id} ,"method":"x"}}"#);
            assert_eq!(id_text(&message).as_deref(), Some(id));
        }
    }

    #[test]
    fn the_top_level_id_is_found_wherever_it_is() {
        let big = "x".repeat(5000);
        assert_eq!(
            id_in(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call"}"#),
            Some(json!(7))
        );
        assert_eq!(
            id_in(&format!(
                r#" {{ "params" : {{"id": 1, "spec": "{big} \" }} id"}}, "id" : "a\"b" }}"#
            )),
            Some(json!("a\"b"))
        );
        assert_eq!(
            id_in(r#"{"params":{"id":9,"a":[{"id":3}]},"\u0069d":-2.5}"#),
            Some(json!(-2.5))
        );
    }

    #[test]
    fn no_id_is_made_up() {
        for message in [
            r#"{"jsonrpc":"2.0","method":"x","params":{"id":3}}"#,
            r#"[{"id":1}]"#,
            r#"{"id":null}"#,
            r#"{"id":{"a":1}}"#,
            r#"{"id":[1]}"#,
            r#"{"idx":1,"x":"\"id\":2"}"#,
            r#"{"id":"unterminated"#,
            "",
        ] {
            assert_eq!(id_in(message), None, "{message}");
        }
        let long = format!(r#"{{"id":"{}"}}"#, "a".repeat(MAX_ID_BYTES));
        assert_eq!(id_in(&long), None);
    }
}
