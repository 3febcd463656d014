//! The one shape of every provider's `--dry-run` answer:
//! `{"dry_run": true, "requests": [{"method", "path", "headers", "body"}], "validated", "answer"}`.
//! `requests` lists each call the write would send, in order (most writes are one call);
//! `validated` says whether the provider itself checked them (Redis Enterprise's
//! `dry_run=true`), and `answer` is what it said (null otherwise). Bodies are redacted.
use serde_json::{json, Map, Value};

use super::Change;

/// One call a write would send, with no headers of its own; its body redacted.
pub fn request(method: &str, path: impl Into<String>, body: Option<&Value>) -> Value {
    let mut body = body.cloned().unwrap_or(Value::Null);
    crate::secret::redact_value(&mut body);
    json!({"method": method, "path": path.into(), "headers": Map::new(), "body": body})
}

/// The dry run of `requests`, checked by the provider when it gave an `answer`.
pub fn change(requests: Vec<Value>, answer: Option<Value>) -> Change {
    Change::DryRun(json!({
        "dry_run": true,
        "requests": requests,
        "validated": answer.is_some(),
        "answer": answer,
    }))
}
