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

/// Whether a field name in a provider record or a header names a secret. camelCase names
/// ending in `Key` (`primaryMasterKey`, `accessKey`, `primaryKey`) are secret too, except the
/// names of data-model keys (`partitionKey`, `shardKey`, `sortKey`, `rowKey`).
pub fn is_secret_key(name: &str) -> bool {
    let camel_key = name
        .strip_suffix("Key")
        .and_then(|head| head.chars().last())
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let name = name.to_ascii_lowercase().replace('-', "_");
    let data_key = ["partitionkey", "shardkey", "sortkey", "rowkey"]
        .iter()
        .any(|k| name.ends_with(k));
    (camel_key && !data_key)
        || name.contains("password")
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
                if is_secret_key(key) && !field.is_null() {
                    *field = Value::String(MASK.to_string());
                } else {
                    redact_value(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::String(text) => {
            let masked = mask_text_secrets(text);
            if masked != *text {
                *text = masked;
            }
        }
        _ => {}
    }
}

/// Masks the password of every `scheme://user:password@` in free text (see
/// [`userinfo_password`]); a `@` in a path or query is left as it is.
pub fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for span in url_password_spans(text) {
        out.push_str(&text[done..span.start]);
        out.push_str(MASK);
        done = span.end;
    }
    out.push_str(&text[done..]);
    out
}

/// The passwords of every `scheme://user:password@` in free text.
pub fn url_passwords(text: &str) -> Vec<&str> {
    url_password_spans(text)
        .into_iter()
        .map(|span| &text[span])
        .collect()
}

fn url_password_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut offset = 0;
    while let Some(found) = text[offset..].find("://") {
        let start = offset + found + 3;
        let tail = &text[start..];
        let url_end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(tail.len());
        if let Some(password) = userinfo_password(&tail[..url_end]) {
            spans.push(start + password.start..start + password.end);
        }
        offset = start + url_end;
    }
    spans
}

/// Where the password is in a URL after its `://` (which ends at white space or a quote). The
/// authority ends at the first `/`, `?` or `#`, and its last `@` ends the userinfo. A password
/// typed unencoded may hold those three: when the authority has no `@`, the userinfo runs to
/// the URL's last `@`, unless the authority is `host:port` (`h:8080/a@b` is a path, and
/// masking it would show a request to `b`).
fn userinfo_password(url: &str) -> Option<std::ops::Range<usize>> {
    let authority = &url[..url.find(['/', '?', '#']).unwrap_or(url.len())];
    let at = match authority.rfind('@') {
        Some(at) => at,
        None => {
            let port = &authority[authority.find(':')? + 1..];
            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            url.rfind('@')?
        }
    };
    let colon = url[..at].find(':')?;
    Some(colon + 1..at)
}

/// Connection-string keys whose value is a credential (`AccountKey=...;`).
const CONNECTION_STRING_KEYS: &[&str] = &["accountkey=", "sharedaccesskey=", "password="];

/// URL passwords and connection-string keys (`AccountKey=...`) masked in free text.
pub fn mask_text_secrets(text: &str) -> String {
    let text = mask_url_passwords(text);
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut at = 0;
    while at < text.len() {
        let found = CONNECTION_STRING_KEYS.iter().find_map(|key| {
            let boundary = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
            (boundary && lower[at..].starts_with(key)).then_some(key.len())
        });
        match found {
            Some(len) => {
                let value = at + len;
                let end = text[value..]
                    .find(|c: char| {
                        c == ';' || c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')
                    })
                    .map_or(text.len(), |e| value + e);
                out.push_str(&text[done..value]);
                if end > value {
                    out.push_str(MASK);
                }
                done = end;
                at = end.max(value);
            }
            None => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out.push_str(&text[done..]);
    out
}

/// Masks secret-named JSON string values, and URL passwords, in text that may not parse
/// (a truncated body, an error sentence). `credentials::redact_text` masks the credentials
/// dbctl knows by value first.
pub fn redact_text_by_name(text: &str) -> String {
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
            let value = after[1..].trim_start();
            if !value.starts_with("null") {
                out.push_str(&format!(":\"{MASK}\""));
                rest = &value[value_end(value)..];
            }
        }
    }
    out.push_str(rest);
    mask_text_secrets(&out)
}

/// Where the JSON value at the start of `text` ends: a string, a whole object or array
/// (strings inside included), or a scalar up to the next delimiter; the end of a truncated
/// text.
fn value_end(text: &str) -> usize {
    if let Some(body) = text.strip_prefix('"') {
        return string_end(body).map_or(text.len(), |end| end + 2);
    }
    if !text.starts_with(['{', '[']) {
        return text
            .find(|c: char| matches!(c, ',' | '}' | ']') || c.is_whitespace())
            .unwrap_or(text.len());
    }
    let mut depth = 0usize;
    let mut at = 0;
    while at < text.len() {
        let c = text.as_bytes()[at];
        match c {
            b'"' => {
                at += 1 + string_end(&text[at + 1..]).map_or(text.len(), |end| end + 1);
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    text.len()
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
        let out = crate::credentials::redact_text(text);
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
            crate::credentials::redact_text("<html>s3://key:se/cret@bucket/x</html>"),
            "<html>s3://key:***@bucket/x</html>"
        );
    }

    #[test]
    fn a_path_or_query_with_an_at_sign_is_not_a_password() {
        for text in [
            "> GET http://127.0.0.1:38211/v2/@host",
            "> GET http://127.0.0.1:38211/redis/database/a@b",
            "> GET https://api.example.com/v2/@host",
            "> GET https://api.example.com:443/x?email=ops@example.com",
            "see http://host/a:b@c and https://h:1#frag@x",
        ] {
            assert_eq!(mask_url_passwords(text), text);
            assert!(url_passwords(text).is_empty(), "{text}");
        }
        assert_eq!(
            mask_url_passwords("https://admin:pw@h:9443/v1/x?email=a@b"),
            "https://admin:***@h:9443/v1/x?email=a@b"
        );
        assert_eq!(
            mask_url_passwords("redis://default:p@ss@h:6379/0"),
            "redis://default:***@h:6379/0"
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
    fn secret_names_hide_any_value() {
        let mut v = json!({"password": {"encrypted": "ENC1"}, "primaryMasterKey": "K1",
            "privateKey": ["K2"], "accessKey": 7, "partitionKey": {"paths": ["/id"]},
            "keyspace": 1, "key_count": 2, "monkey": "m",
            "conn": "AccountEndpoint=https://a/;AccountKey=K3==;Database=d"});
        redact_value(&mut v);
        for key in ["password", "primaryMasterKey", "privateKey", "accessKey"] {
            assert_eq!(v[key], "***", "{key}");
        }
        assert_eq!(v["partitionKey"]["paths"][0], "/id");
        assert_eq!(
            (v["keyspace"].clone(), v["key_count"].clone()),
            (json!(1), json!(2))
        );
        assert_eq!(v["monkey"], "m");
        assert_eq!(
            v["conn"],
            "AccountEndpoint=https://a/;AccountKey=***;Database=d"
        );
    }

    #[test]
    fn truncated_text_hides_numbers_and_objects() {
        let text =
            r#"{"pin_password":12345678,"password":{"encrypted":"ENC2"},"name":"x","token":[1"#;
        let out = crate::credentials::redact_text(text);
        assert!(!out.contains("12345678") && !out.contains("ENC2"), "{out}");
        assert!(out.contains(r#""name":"x""#), "{out}");
    }

    #[test]
    fn truncated_text_is_redacted() {
        let text = r#"[{"name":"a","password":"se\"cret","rest_token":"tokval"#;
        let out = crate::credentials::redact_text(text);
        assert!(!out.contains("cret") && !out.contains("tokval"), "{out}");
        assert!(out.contains("\"name\":\"a\""));
    }
}
