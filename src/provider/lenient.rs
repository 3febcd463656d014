//! Deserializers that accept what providers really send: booleans as strings, numbers as
//! strings or beyond i64, nulls. A field of an unexpected type becomes `None`, never an error.
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::secret::Secret;

pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A password or key: a non-empty string (or number) kept as a [`Secret`], else `None`.
pub fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(string(d)?.filter(|s| !s.is_empty()).map(Secret::new))
}

pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "enabled" => Some(true),
            "false" | "0" | "no" | "disabled" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        _ => None,
    })
}

/// A non-negative integer; floats are rounded, strings parsed, anything else dropped.
pub fn unsigned<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(to_f64(&Value::deserialize(d)?)
        .filter(|f| f.is_finite() && *f >= 0.0 && *f <= u64::MAX as f64)
        .map(|f| f.round() as u64))
}

pub fn signed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(to_f64(&Value::deserialize(d)?)
        .filter(|f| f.is_finite() && f.abs() <= i64::MAX as f64)
        .map(|f| f.round() as i64))
}

pub fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(to_f64(&Value::deserialize(d)?).filter(|f| f.is_finite()))
}

fn to_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_u64().map(|u| u as f64).or_else(|| n.as_f64()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A port: an integer 1–65535, else `None`.
pub fn port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    Ok(unsigned(d)?
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0))
}

/// A list of objects; a non-array (null, a string) is an empty list.
pub fn list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// A nested object; anything that does not decode as `T` (a string, a list) is `None`.
pub fn object<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        value @ Value::Object(_) => serde_json::from_value(value).ok(),
        _ => None,
    })
}

/// A string or a list of strings (e.g. an address field that is one IP or several); anything
/// else, and non-string items, are dropped.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "boolean")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "unsigned")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "string")]
        s: Option<String>,
    }

    #[test]
    fn odd_types_never_fail() {
        let p: Probe =
            serde_json::from_str(r#"{"b":"true","n":9223372036854775808,"s":12}"#).unwrap();
        assert_eq!(p.b, Some(true));
        assert_eq!(p.n, Some(9223372036854775808));
        assert_eq!(p.s.as_deref(), Some("12"));
        let p: Probe = serde_json::from_str(r#"{"b":{},"n":"x","s":null}"#).unwrap();
        assert_eq!((p.b, p.n, p.s), (None, None, None));
    }
}
