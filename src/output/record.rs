//! What the renderers print: each record type declares its table once, as a list of
//! [`Column`]s — the header, how to get the cell, its colour, how it sorts and how it gives
//! way on a narrow terminal — and every format, `--sort` and the fitting read that one list.
use std::cmp::Ordering;

use serde::Serialize;

/// A type the renderers can print as a list: a table, CSV rows, or JSON/YAML documents.
pub trait Record: Serialize + Sized {
    /// JSON field names, in order: the CSV header.
    const FIELDS: &'static [&'static str];
    /// What an empty list has none of, for the `no ...` line on stderr.
    const NOUN: &'static str = "results";
    /// The table, left to right.
    fn columns() -> Vec<Column<Self>>;
}

/// A status colour on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Green,
    Yellow,
    Red,
    Magenta,
    Cyan,
    Grey,
}

impl Color {
    /// The colour of a status word (`active`, `pending`, `failed`, ...).
    pub fn of_status(word: &str) -> Color {
        match word {
            "active" | "completed" | "configured" => Color::Green,
            "pending" | "running" | "deleting" | "warning" | "incomplete" => Color::Yellow,
            "failed" | "error" => Color::Red,
            "suspended" => Color::Magenta,
            _ => Color::Grey,
        }
    }

    /// `text` in this colour (SGR foreground, then back to the default).
    pub fn paint(self, text: &str) -> String {
        let code = match self {
            Color::Green => 32,
            Color::Yellow => 33,
            Color::Red => 31,
            Color::Magenta => 35,
            Color::Cyan => 36,
            Color::Grey => 90,
        };
        format!("\x1b[{code}m{text}\x1b[39m")
    }
}

/// What a column gives up when the table is wider than the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Give {
    /// Nothing: the information the row exists for (an id, a name, a status).
    Never,
    /// Hidden when every row repeats the column with this header (PROFILE equal to PROVIDER).
    Repeats(&'static str),
    /// Shortened with `…` down to this width, or hidden when that is not enough.
    Shorten(usize),
    /// Shortened with `…` down to this width, never hidden.
    Trim(usize),
    /// Hidden.
    Hide,
    /// Wrapped onto more lines, down to this width: never cut, never hidden (a message).
    Wrap(usize),
}

/// A value `--sort` orders by: numbers by value, text in natural order (`2` before `10`);
/// missing values come last whichever the direction.
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    Number(f64),
    Text(String),
    Missing,
}

impl SortValue {
    /// A number, or missing.
    pub fn number(value: Option<impl Into<f64>>) -> SortValue {
        value.map_or(SortValue::Missing, |n| SortValue::Number(n.into()))
    }

    /// Text, or missing when empty.
    pub fn text(value: &str) -> SortValue {
        if value.is_empty() {
            SortValue::Missing
        } else {
            SortValue::Text(value.to_string())
        }
    }

    /// The order of two present values (both numbers, or both text).
    pub fn cmp_present(&self, other: &SortValue) -> Ordering {
        match (self, other) {
            (SortValue::Number(a), SortValue::Number(b)) => a.total_cmp(b),
            (SortValue::Text(a), SortValue::Text(b)) => natural(a, b),
            (SortValue::Number(_), _) => Ordering::Less,
            (_, SortValue::Number(_)) => Ordering::Greater,
            _ => Ordering::Equal,
        }
    }
}

/// Case-insensitive, digit runs compared as numbers: `db-2` before `db-10`.
fn natural(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let take = |chars: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut digits = String::new();
                    while let Some(c) = chars.next_if(char::is_ascii_digit) {
                        digits.push(c);
                    }
                    digits
                };
                let (x, y) = (take(&mut a), take(&mut b));
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                let order = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
                if order != Ordering::Equal {
                    return order;
                }
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                a.next();
                b.next();
            }
        }
    }
}

/// One column of a record's table.
pub struct Column<T> {
    /// The table header; empty for a key `--sort` knows that no table shows.
    pub header: &'static str,
    /// The `--sort` name: the header in lower case, without a `/S` rate suffix, spaces as
    /// `-` (`OPS/S` → `ops`, `MIN MS` → `min-ms`), unless [`Column::key`] names it.
    key: Option<&'static str>,
    /// The cell's text (escaped and masked by the renderer; empty shows as `-`).
    pub cell: fn(&T) -> String,
    /// How the column sorts; without it, by the cell's text.
    order: Option<fn(&T) -> SortValue>,
    /// The cell's colour on a terminal.
    pub color: Option<fn(&T) -> Color>,
    /// What the column gives up on a narrow terminal, and when: lower ranks first.
    pub give: Give,
    pub rank: u8,
}

impl<T> Column<T> {
    /// A column that never gives way.
    pub fn new(header: &'static str, cell: fn(&T) -> String) -> Self {
        Column {
            header,
            key: None,
            cell,
            order: None,
            color: None,
            give: Give::Never,
            rank: 0,
        }
    }

    /// A `--sort` key that no table shows (`created` of `db list`).
    pub fn sort_only(key: &'static str, order: fn(&T) -> SortValue) -> Self {
        Column {
            key: Some(key),
            order: Some(order),
            ..Column::new("", |_| String::new())
        }
    }

    /// Gives way on a narrow terminal as `give`, after every column of a lower `rank`.
    pub fn gives(self, rank: u8, give: Give) -> Self {
        Column { give, rank, ..self }
    }

    pub fn sorts(self, order: fn(&T) -> SortValue) -> Self {
        Column {
            order: Some(order),
            ..self
        }
    }

    pub fn colored(self, color: fn(&T) -> Color) -> Self {
        Column {
            color: Some(color),
            ..self
        }
    }

    /// A `--sort` name other than the one made from the header.
    pub fn key(self, key: &'static str) -> Self {
        Column {
            key: Some(key),
            ..self
        }
    }

    /// Whether a table shows it.
    pub fn shown(&self) -> bool {
        !self.header.is_empty()
    }

    /// The `--sort` name.
    pub fn sort_key(&self) -> String {
        match self.key {
            Some(key) => key.to_string(),
            None => {
                let header = self.header.to_lowercase();
                header
                    .strip_suffix("/s")
                    .unwrap_or(&header)
                    .replace(' ', "-")
            }
        }
    }

    /// Whether `--sort NAME` means this column: its key, or its header in any case.
    pub fn answers_to(&self, name: &str) -> bool {
        self.sort_key().eq_ignore_ascii_case(name)
            || (self.shown() && self.header.eq_ignore_ascii_case(name))
    }

    /// The value `--sort` orders this item by.
    pub fn sort_value(&self, item: &T) -> SortValue {
        match self.order {
            Some(order) => order(item),
            None => SortValue::text(&(self.cell)(item)),
        }
    }
}

/// `--sort KEY[:asc|desc]`: the key as typed, checked against the list's columns when a list
/// is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder {
    pub key: String,
    pub descending: bool,
}

impl SortOrder {
    /// `KEY`, `KEY:asc` or `KEY:desc`.
    pub fn parse(text: &str) -> Result<SortOrder, String> {
        let (key, direction) = text.rsplit_once(':').unwrap_or((text, "asc"));
        let descending = match direction.to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(format!(
                "unknown sort direction {other:?} in --sort {text:?}; use KEY, KEY:asc or KEY:desc"
            ))
            }
        };
        if key.trim().is_empty() {
            return Err("--sort needs a key, such as name or memory:desc".to_string());
        }
        Ok(SortOrder {
            key: key.trim().to_string(),
            descending,
        })
    }

    /// Sorts `items` stably by the column the key names: ties keep the command's own order,
    /// and items without the value come last.
    pub fn apply<T>(&self, columns: &[Column<T>], items: &mut [&T]) -> Result<(), String> {
        let column = columns
            .iter()
            .find(|c| c.answers_to(&self.key))
            .ok_or_else(|| {
                let keys: Vec<String> = columns.iter().map(Column::sort_key).collect();
                format!(
                    "unknown sort key {:?} for this list; use one of {}",
                    self.key,
                    keys.join(", ")
                )
            })?;
        items.sort_by(|a, b| match (column.sort_value(a), column.sort_value(b)) {
            (SortValue::Missing, SortValue::Missing) => Ordering::Equal,
            (SortValue::Missing, _) => Ordering::Greater,
            (_, SortValue::Missing) => Ordering::Less,
            (a, b) if self.descending => b.cmp_present(&a),
            (a, b) => a.cmp_present(&b),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let mut words = vec!["db-10", "DB-2", "db-1", "cache", "db-02x"];
        words.sort_by(|a, b| natural(a, b));
        assert_eq!(words, ["cache", "db-1", "DB-2", "db-02x", "db-10"]);
    }

    #[test]
    fn sort_keys_come_from_headers() {
        let column = |header| Column::<u8>::new(header, |_| String::new()).sort_key();
        assert_eq!(column("OPS/S"), "ops");
        assert_eq!(column("RU/S"), "ru");
        assert_eq!(column("USED%"), "used%");
        assert_eq!(column("MIN MS"), "min-ms");
        assert!(Column::<u8>::new("OPS/S", |_| String::new()).answers_to("OPS/S"));
    }

    #[test]
    fn missing_values_come_last_in_either_direction() {
        let columns =
            [Column::<Option<u32>>::new("N", |_| String::new()).sorts(|n| SortValue::number(*n))];
        let items = [Some(2), None, Some(10), Some(1)];
        for (descending, want) in [(false, [1, 2, 10]), (true, [10, 2, 1])] {
            let mut refs: Vec<&Option<u32>> = items.iter().collect();
            SortOrder {
                key: "n".into(),
                descending,
            }
            .apply(&columns, &mut refs)
            .unwrap();
            let got: Vec<Option<u32>> = refs.into_iter().copied().collect();
            assert_eq!(got[..3], want.map(Some));
            assert_eq!(got[3], None);
        }
        let unknown = SortOrder::parse("nope:desc")
            .unwrap()
            .apply(&columns, &mut Vec::new());
        assert_eq!(
            unknown.unwrap_err(),
            "unknown sort key \"nope\" for this list; use one of n"
        );
        assert!(SortOrder::parse("memory:sideways").is_err());
    }
}
