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

/// `scheme://user:password@host...` → `scheme://user:***@host...`; `None` when there is no
/// password in the URL.
pub fn mask_url_password(text: &str) -> Option<String> {
    let scheme_end = text.find("://")? + 3;
    let rest = &text[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    let colon = rest[..at].find(':')?;
    Some(format!(
        "{}{}:{MASK}{}",
        &text[..scheme_end],
        &rest[..colon],
        &rest[at..]
    ))
}

/// Masks secret-named JSON string values in text that may not parse (a truncated body).
pub fn redact_text(text: &str) -> String {
    if let Ok(mut value) = serde_json::from_str::<Value>(text) {
        redact_value(&mut value);
        return value.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let key = &after[..end];
        let tail = &after[end + 1..];
        let trimmed = tail.trim_start();
        out.push_str(&rest[..start + 1 + end + 1]);
        if is_secret_key(key) && trimmed.starts_with(':') {
            let value = trimmed[1..].trim_start();
            if let Some(value_body) = value.strip_prefix('"') {
                out.push_str(&format!(":\"{MASK}\""));
                rest = skip_json_string(value_body);
                continue;
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Given the text after an opening quote, returns what follows the closing quote.
fn skip_json_string(text: &str) -> &str {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return &text[i + 1..],
            _ => escaped = false,
        }
    }
    ""
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
