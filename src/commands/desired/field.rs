//! The fields a plan compares and `apply` writes: one typed name shared by both.
use std::fmt;

use serde::{Serialize, Serializer};

use crate::provider::Managed;

/// A field of a `[[database]]`: one the spec manages by its own key, or one of its
/// `[database.settings]` under the provider's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpecField {
    Managed(Managed),
    Setting(String),
}

/// As plans name it: `memory`, `settings.shards_count`.
impl fmt::Display for SpecField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecField::Managed(field) => f.write_str(field.key()),
            SpecField::Setting(key) => write!(f, "settings.{key}"),
        }
    }
}

impl Serialize for SpecField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
