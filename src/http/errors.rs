//! Error answers turned into one clear line: the kind from the status, the sentence from the
//! body (JSON, HTML title or plain text), credentials masked.
use serde_json::Value;

use crate::credentials::redact_text;
use crate::error::{Error, ErrorKind};
use crate::model::ProviderKind;

/// The error for a non-2xx answer: kind from the status, message from the body.
pub fn status_error(status: reqwest::StatusCode, body: &[u8], provider: ProviderKind) -> Error {
    let code = status.as_u16();
    let kind = match code {
        401 | 403 => ErrorKind::Auth,
        404 | 410 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        400..=499 => ErrorKind::Invalid,
        // 3xx, 5xx, and anything outside 200–599 (999) is the provider's fault.
        _ => ErrorKind::Provider,
    };
    let retryable = matches!(code, 429 | 500 | 502 | 503 | 504);
    let reason = status.canonical_reason().unwrap_or("");
    let detail = describe_body(body);
    // Providers refuse a duplicate with a plain 400 too ("database already exists").
    let kind = match &detail {
        Some(text) if kind == ErrorKind::Invalid && says_already_exists(text) => {
            ErrorKind::Conflict
        }
        _ => kind,
    };
    let message = match detail {
        Some(detail) => format!("{provider} answered {code} {reason}: {detail}"),
        None => format!("{provider} answered {code} {reason}"),
    };
    let mut error = Error::new(kind, message)
        .with_provider(provider)
        .retryable(retryable);
    if status.is_redirection() {
        error.hint = Some(
            "dbctl does not follow redirects (they would carry credentials elsewhere); check the URL configured for this profile".into(),
        );
    }
    error
}

fn says_already_exists(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "already exist",
        "already in use",
        "already taken",
        "duplicate",
    ]
    .iter()
    .any(|phrase| text.contains(phrase))
}

/// The useful sentence in an error body: JSON `"text"`, `{"error": ...}`, `{"message"}`,
/// `{"description"}`, an HTML `<title>`, or the first line of plain text.
pub fn describe_body(body: &[u8]) -> Option<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let found = find_message(&value);
        return found.map(|m| one_line(&redact_text(&m), 300));
    }
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        if start + 7 <= end {
            return Some(format!(
                "HTML page \"{}\"",
                one_line(&redact_text(&text[start + 7..end]), 120)
            ));
        }
    }
    Some(excerpt(body))
}

fn find_message(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => {
            for key in [
                "description",
                "message",
                "Message",
                "error_description",
                "detail",
                "error",
            ] {
                match map.get(key) {
                    Some(Value::String(s)) if !s.is_empty() => return Some(s.clone()),
                    Some(inner @ Value::Object(_)) => {
                        if let Some(found) = find_message(inner) {
                            return Some(found);
                        }
                    }
                    _ => {}
                }
            }
            map.get("error_code")
                .or_else(|| map.get("code"))
                .and_then(Value::as_str)
                .map(str::to_string)
        }
        _ => None,
    }
}

/// A short, single-line, redacted excerpt of a body for messages.
pub fn excerpt(body: &[u8]) -> String {
    excerpt_n(body, 120)
}

pub(super) fn excerpt_n(body: &[u8], max: usize) -> String {
    if body.is_empty() {
        return "(an empty body)".to_string();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    format!("{:?}", one_line(&redact_text(&text), max))
}

fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > max {
        let cut: String = joined.chars().take(max).collect();
        format!("{cut}...")
    } else {
        joined
    }
}

/// `cannot connect to HOST:PORT (connection refused)`: a connection that failed before any
/// answer, in one line. `base` is the profile's URL (only its host and port are shown, never
/// what else it holds); the whole error chain is for `-v`.
pub(super) fn connect_failure(error: &reqwest::Error, base: &str) -> String {
    let place = reqwest::Url::parse(base)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_string();
            Some(match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "the server".to_string());
    format!("cannot connect to {place} ({})", connect_reason(error))
}

/// The host of a profile's URL (`base`), as a certificate would name it.
pub(super) fn host_of(base: &str) -> String {
    reqwest::Url::parse(base)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .unwrap_or_else(|| "the server".to_string())
}

/// Why a connection failed, in a few words: "connection refused", "timed out", "DNS lookup
/// failed: Name or service not known".
fn connect_reason(error: &reqwest::Error) -> String {
    let chain: Vec<&(dyn std::error::Error + 'static)> =
        std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| {
            e.source()
        })
        .collect();
    let innermost = chain.last().map(|e| e.to_string()).unwrap_or_default();
    if chain.iter().any(|e| e.to_string().starts_with("dns error")) {
        return match innermost.rsplit_once(": ") {
            Some((_, why)) if !why.is_empty() => {
                format!("DNS lookup failed: {}", one_line(why, 80))
            }
            _ => "DNS lookup failed".to_string(),
        };
    }
    if let Some(io) = chain
        .iter()
        .find_map(|e| e.downcast_ref::<std::io::Error>())
    {
        use std::io::ErrorKind as Io;
        return match io.kind() {
            Io::ConnectionRefused => "connection refused".to_string(),
            Io::ConnectionReset => "connection reset".to_string(),
            Io::ConnectionAborted => "connection aborted".to_string(),
            Io::TimedOut => "timed out".to_string(),
            _ => {
                let text = io.to_string();
                let text = match text.find(" (os error") {
                    Some(at) => &text[..at],
                    None => &text,
                };
                one_line(&text.to_lowercase(), 80)
            }
        };
    }
    if error.is_timeout() {
        return "timed out".to_string();
    }
    one_line(&innermost, 80)
}

pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_described() {
        assert_eq!(
            describe_body(br#""database not found""#).unwrap(),
            "database not found"
        );
        assert_eq!(describe_body(br#"{"error":"bad key"}"#).unwrap(), "bad key");
        assert_eq!(
            describe_body(
                br#"{"error_code":"missing_db_name","description":"DB name is required"}"#
            )
            .unwrap(),
            "DB name is required"
        );
        assert_eq!(
            describe_body(b"<html><head><title>429 Too Many Requests</title></head></html>")
                .unwrap(),
            "HTML page \"429 Too Many Requests\""
        );
        assert_eq!(
            describe_body(b"rate limited\n").unwrap(),
            "\"rate limited\""
        );
        assert!(describe_body(b"").is_none());
    }
}
