//! The one redaction mechanism: credential values, provider records and free text.
use std::fmt;

use serde_json::Value;

pub const MASK: &str = "***";

/// A credential. `Debug` and `Display` never show it; only `expose` does.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Whether a field name in a provider record or a header names a secret.
pub fn is_secret_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    name.contains("password")
        || name.contains("passwd")
        || name.contains("token")
        || name.contains("secret")
        || name.starts_with("authentication_")
        || name.ends_with("_pass")
        || name == "pass"
        || name == "key"
        || name.ends_with("_key")
        || name.ends_with("apikey")
        || name == "authorization"
        || name.contains("credential")
}

/// Replaces every secret-named field's value (at any depth) with `"***"`.
pub fn redact_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if is_secret_key(key) && !field.is_null() && !field.is_object() {
                    *field = Value::String(MASK.to_string());
                } else {
                    redact_value(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::String(text) => {
            if let Some(masked) = mask_url_password(text) {
                *text = masked;
            }
        }
        _ => {}
    }
}

/// `scheme://user:password@host...` → `scheme://user:***@host...` for every URL in the text;
/// `None` when no URL in it carries a password.
pub fn mask_url_password(text: &str) -> Option<String> {
    let masked = mask_url_passwords(text);
    (masked != text).then_some(masked)
}

/// Masks the password of every `scheme://user:password@` in free text. The password may hold
/// `/`, `?` or `#`: the userinfo ends at the last `@` before the URL's end (white space or a
/// quote).
pub fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let (head, tail) = rest.split_at(found + 3);
        out.push_str(head);
        let url_end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(tail.len());
        let url = &tail[..url_end];
        match url
            .rfind('@')
            .and_then(|at| url[..at].find(':').map(|colon| (colon, at)))
        {
            Some((colon, at)) => {
                out.push_str(&url[..colon]);
                out.push(':');
                out.push_str(MASK);
                out.push_str(&url[at..]);
            }
            None => out.push_str(url),
        }
        rest = &tail[url_end..];
    }
    out.push_str(rest);
    out
}

/// Masks secret-named JSON string values, and URL passwords, in text that may not parse
/// (a truncated body, an error sentence).
pub fn redact_text(text: &str) -> String {
    if let Ok(mut value) = serde_json::from_str::<Value>(text) {
        redact_value(&mut value);
        return value.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Walks the JSON strings one by one, escapes included, so a `\"` inside a value never
    // makes a value look like a key.
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        let body = &rest[start + 1..];
        let Some(end) = string_end(body) else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let string = &body[..end];
        out.push('"');
        out.push_str(string);
        out.push('"');
        rest = &body[end + 1..];
        let after = rest.trim_start();
        if is_secret_key(string) && after.starts_with(':') {
            if let Some(value_body) = after[1..].trim_start().strip_prefix('"') {
                out.push_str(&format!(":\"{MASK}\""));
                rest = match string_end(value_body) {
                    Some(end) => &value_body[end + 1..],
                    None => "",
                };
            }
        }
    }
    out.push_str(rest);
    mask_url_passwords(&out)
}

/// The byte index of the closing quote of a JSON string, given the text after its opening quote.
fn string_end(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
    }

    #[test]
    fn values_are_redacted_at_any_depth() {
        let mut v = json!({"name": "a", "password": "p1", "security": {"password": "p2"},
            "rest_token": "t", "authentication_redis_pass": "r", "database_id": "id", "keyspace": 1});
        redact_value(&mut v);
        assert_eq!(v["password"], "***");
        assert_eq!(v["security"]["password"], "***");
        assert_eq!(v["rest_token"], "***");
        assert_eq!(v["authentication_redis_pass"], "***");
        assert_eq!(v["database_id"], "id");
        assert_eq!(v["keyspace"], 1);
    }

    #[test]
    fn escaped_quotes_do_not_hide_later_secrets() {
        let text =
            r#"[{"note":"say \"hi\"","password":"SECRETPW1","rest_token":"TOKEN1"},{"n":"\""#;
        let out = redact_text(text);
        assert!(
            !out.contains("SECRETPW1") && !out.contains("TOKEN1"),
            "{out}"
        );
        assert!(out.contains(r#""note":"say \"hi\"""#), "{out}");
    }

    #[test]
    fn url_passwords_with_slashes_are_masked_in_text() {
        assert_eq!(
            mask_url_passwords("cannot download ftp://user:ab/cd+e?f@host/x.rdb now"),
            "cannot download ftp://user:***@host/x.rdb now"
        );
        assert_eq!(
            mask_url_passwords("see https://example.com/a"),
            "see https://example.com/a"
        );
        assert_eq!(
            redact_text("<html>s3://key:se/cret@bucket/x</html>"),
            "<html>s3://key:***@bucket/x</html>"
        );
    }

    #[test]
    fn passwords_inside_urls_are_masked() {
        let mut v = json!({"dataset_import_sources": [{"url": "ftp://user:s3cret@host/x.rdb"}],
            "plain": "https://example.com/a@b", "note": "not a url"});
        redact_value(&mut v);
        assert_eq!(
            v["dataset_import_sources"][0]["url"],
            "ftp://user:***@host/x.rdb"
        );
        assert_eq!(v["plain"], "https://example.com/a@b");
        assert_eq!(v["note"], "not a url");
    }

    #[test]
    fn truncated_text_is_redacted() {
        let text = r#"[{"name":"a","password":"se\"cret","rest_token":"tokval"#;
        let out = redact_text(text);
        assert!(!out.contains("cret") && !out.contains("tokval"), "{out}");
        assert!(out.contains("\"name\":\"a\""));
    }
}
