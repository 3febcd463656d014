use comfy_table::Color;
use serde::Serialize;

/// A type the renderers can print as a table row and a CSV row.
pub trait Record: Serialize {
    /// Table headers for lists.
    const COLUMNS: &'static [&'static str];
    /// JSON field names, in order: the CSV header.
    const FIELDS: &'static [&'static str];
    /// Table cells, in `COLUMNS` order.
    fn cells(&self) -> Vec<String>;
    /// Which cell holds the status word, and its colour on a terminal.
    fn status_column(&self) -> Option<(usize, Color)>;
    /// What an empty list has none of, for the `no ...` line on stderr.
    const NOUN: &'static str = "results";
}
