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

/// A field's value as the lines of its table cell: one for a scalar (escaped whole by the
/// renderer, so a provider's newline never starts a line), the lines of an escaped YAML block
/// for a nested value.
pub fn lines(key: &str, value: &Value) -> Vec<String> {
    let scalar = match value {
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
        nested => {
            return super::yaml_text(nested)
                .map(|yaml| yaml.lines().map(str::to_string).collect())
                .unwrap_or_else(|_| vec![nested.to_string()])
        }
    };
    vec![scalar]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_sizes_read_as_words() {
        assert_eq!(label("memory_limit_bytes"), "MEMORY LIMIT");
        assert_eq!(label("provider_status"), "PROVIDER STATUS");
        assert_eq!(
            lines("memory_limit_bytes", &json!(1610612736u64)),
            ["1.5 GiB"]
        );
        assert_eq!(lines("port", &json!(6379)), ["6379"]);
        assert_eq!(lines("region", &Value::Null), ["-"]);
        assert_eq!(lines("name", &json!("a\nb")), ["a\nb"]);
    }

    #[test]
    fn nested_values_are_indented_blocks_with_strings_on_one_line() {
        let block = lines("raw", &json!({"a": {"b": [1, 2]}, "c": "x\n::add-mask::y"}));
        assert_eq!(
            block,
            [
                "a:",
                "  b:",
                "  - 1",
                "  - 2",
                "c: \"x\\n\\u003a:add-mask::y\""
            ]
        );
    }
}
