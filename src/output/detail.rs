//! One record as a FIELD/VALUE table (`db get`, dry runs): readable field names, human
//! sizes, `-` for missing values and nested values as indented YAML blocks.
use serde_json::Value;

use crate::model::ByteSize;

/// `memory_limit_bytes` → `MEMORY LIMIT`, `created_at` → `CREATED AT`.
pub fn label(key: &str) -> String {
    key.strip_suffix("_bytes")
        .unwrap_or(key)
        .replace('_', " ")
        .to_uppercase()
}

/// A field's value as table text; may span several lines (a nested value).
pub fn text(key: &str, value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(s) if s.is_empty() => "-".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_u64() {
            Some(bytes) if key.ends_with("_bytes") => ByteSize(bytes).to_string(),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        Value::Array(items) if items.is_empty() => "-".to_string(),
        Value::Object(map) if map.is_empty() => "-".to_string(),
        nested => serde_yaml::to_string(nested)
            .map(|yaml| yaml.trim_end().to_string())
            .unwrap_or_else(|_| nested.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_sizes_read_as_words() {
        assert_eq!(label("memory_limit_bytes"), "MEMORY LIMIT");
        assert_eq!(label("provider_status"), "PROVIDER STATUS");
        assert_eq!(text("memory_limit_bytes", &json!(1610612736u64)), "1.5 GiB");
        assert_eq!(text("port", &json!(6379)), "6379");
        assert_eq!(text("region", &Value::Null), "-");
    }

    #[test]
    fn nested_values_are_indented_blocks() {
        let block = text("raw", &json!({"a": {"b": [1, 2]}}));
        assert_eq!(block, "a:\n  b:\n  - 1\n  - 2");
    }
}
