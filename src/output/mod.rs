//! The one set of renderers: table, JSON, YAML and CSV for every record type. The renderer
//! owns every format decision — commands hand it records, values and lines for people — and
//! the reading flags (`--query`, `--sort`, `--limit`, `--no-headers`) are applied here once.
//! Everything is rendered to a string first, so stdout never gets half a document.
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::sanitize::{csv_cell, escape_controls, escape_with, is_inert};
use crate::secret::mask_text_secrets;

mod detail;
mod health;
pub mod markdown;
pub mod metrics;
mod query;
mod record;
mod records;
pub mod report;
mod table;

pub use health::DatabaseUsage;
pub use query::Query;
pub use record::{Color, Column, Give, Record, SortOrder, SortValue};

/// What `-o` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Yaml,
    Csv,
    /// A table with every column in full, whatever the terminal's width (kubectl's).
    Wide,
    /// A self-contained page (`dbctl report`).
    Html,
    /// A GitHub Flavored Markdown table (a pull-request comment, `$GITHUB_STEP_SUMMARY`).
    Markdown,
}

/// The two forms of `dbctl report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Html,
    Markdown,
}

/// How `--watch` shows one refresh after another, as the format and the terminal allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshes {
    /// A table on a terminal, redrawn in place.
    Screen,
    /// One JSON document a line.
    JsonLines,
    /// A YAML stream.
    YamlStream,
    /// Each refresh in full after a blank line.
    Blocks,
}

pub use table::terminal_rows;

/// `-o html` given to a command other than `report` (exit 2).
fn report_only() -> Error {
    Error::usage(
        "-o html is for `dbctl report`; this command writes table, wide, json, yaml, csv or markdown",
    )
}

/// Output settings for renderers.
#[derive(Debug, Clone)]
pub struct OutputSettings {
    pub format: OutputFormat,
    /// Passwords in provider text are printed only with `--show-secrets`.
    pub show_secrets: bool,
    pub color: bool,
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    /// `-q/--query`: JMESPath over the JSON (or YAML) document.
    pub query: Option<Query>,
    /// `--sort KEY[:desc]`: lists, by any of their columns.
    pub sort: Option<SortOrder>,
    /// `--limit N`: the first N items of a list (after `--sort`).
    pub limit: Option<usize>,
    /// Header rows of tables and CSV (`--no-headers` turns them off).
    pub headers: bool,
}

pub struct Renderer {
    pub settings: OutputSettings,
}

impl Renderer {
    pub fn new(settings: OutputSettings) -> Self {
        Renderer { settings }
    }

    /// How `--watch` shows its refreshes.
    pub fn refreshes(&self) -> Refreshes {
        match self.settings.format {
            OutputFormat::Json => Refreshes::JsonLines,
            OutputFormat::Yaml => Refreshes::YamlStream,
            OutputFormat::Table | OutputFormat::Wide if self.settings.stdout_tty => {
                Refreshes::Screen
            }
            _ => Refreshes::Blocks,
        }
    }

    /// What `dbctl report` writes: HTML (`-o html`, or no `-o`) or Markdown; any other `-o`
    /// is a usage error.
    pub fn page(&self) -> Result<Page> {
        match self.settings.format {
            OutputFormat::Table | OutputFormat::Html => Ok(Page::Html),
            OutputFormat::Markdown => Ok(Page::Markdown),
            _ => Err(Error::usage(
                "report writes HTML (the default, or -o html) or Markdown (-o markdown)",
            )),
        }
    }

    /// Whether output (and so the one error line) is JSON.
    pub fn is_json(&self) -> bool {
        self.settings.format == OutputFormat::Json
    }

    /// A list: a bare JSON array, a YAML sequence, CSV with a header row, or a table (an
    /// empty one prints nothing and says `no ...` on stderr).
    pub fn list<T: Record>(&self, items: &[T]) -> Result<String> {
        self.list_or(items, None)
    }

    /// [`Renderer::list`], with `empty` printed instead of an empty table.
    pub fn list_or<T: Record>(&self, items: &[T], empty: Option<&str>) -> Result<String> {
        let columns = T::columns();
        let mut items: Vec<&T> = items.iter().collect();
        if let Some(sort) = &self.settings.sort {
            sort.apply(&columns, &mut items).map_err(Error::usage)?;
        }
        if let Some(limit) = self.settings.limit {
            items.truncate(limit);
        }
        let values = || items.iter().map(|item| self.untrusted(to_value(item)));
        match self.settings.format {
            OutputFormat::Json | OutputFormat::Yaml => {
                self.document(&Value::Array(values().collect()))
            }
            OutputFormat::Csv => csv_text(T::FIELDS, values(), self.settings.headers),
            OutputFormat::Html => Err(report_only()),
            OutputFormat::Markdown if !items.is_empty() => Ok(self.markdown(&columns, &items)),
            OutputFormat::Table | OutputFormat::Wide | OutputFormat::Markdown => match empty {
                _ if !items.is_empty() => Ok(self.table(&columns, &items)),
                Some(text) => Ok(text.to_string()),
                None => {
                    crate::say!("no {}", T::NOUN);
                    Ok(String::new())
                }
            },
        }
    }

    /// A list that stands on its own where the format is a page (Markdown, for a pull
    /// request: `title` as a heading, then the table and `summary`); elsewhere the list, with
    /// `empty` instead of an empty table. Every text here is escaped.
    pub fn titled_list<T: Record>(
        &self,
        title: &str,
        items: &[T],
        empty: Option<&str>,
        summary: &str,
    ) -> Result<String> {
        if self.settings.format != OutputFormat::Markdown {
            let empty = empty.map(|text| format!("{}\n", escape_controls(text)));
            return self.list_or(items, empty.as_deref());
        }
        let mut text = format!("### {}\n\n", markdown::escape(title));
        if items.is_empty() {
            if let Some(empty) = empty {
                text.push_str(&format!("{}\n", markdown::escape(empty)));
            }
        } else {
            text.push_str(&self.list(items)?);
            if !summary.is_empty() {
                text.push_str(&format!("\n**{}**\n", markdown::escape(summary)));
            }
        }
        Ok(text)
    }

    /// A list for people before it happens (a plan ahead of its changes): on stdout when the
    /// output is a table, else as a plain table on stderr, where it does not mix with the
    /// document on stdout.
    pub fn preview(&self, draw: impl Fn(&Renderer) -> Result<String>) -> Result<()> {
        if self.is_table() || self.settings.format == OutputFormat::Markdown {
            return emit(&draw(self)?);
        }
        let stderr = Renderer::new(OutputSettings {
            format: OutputFormat::Table,
            color: false,
            stdout_tty: false,
            query: None,
            limit: None,
            ..self.settings.clone()
        });
        for line in draw(&stderr)?.lines() {
            crate::say!("{line}");
        }
        Ok(())
    }

    /// One record: a JSON object, or a FIELD/VALUE table.
    pub fn one<T: Record>(&self, item: &T) -> Result<String> {
        match self.settings.format {
            OutputFormat::Csv => csv_text(
                T::FIELDS,
                std::iter::once(self.untrusted(to_value(item))),
                self.settings.headers,
            ),
            _ => self.value(&to_value(item)),
        }
    }

    /// A document whose rows are a list in a table or CSV (`config show`): the whole of it in
    /// JSON and YAML, `rows` otherwise.
    pub fn rows_or_document<T: Record>(&self, document: &Value, rows: &[T]) -> Result<String> {
        match self.settings.format {
            OutputFormat::Json | OutputFormat::Yaml | OutputFormat::Html => self.value(document),
            OutputFormat::Table
            | OutputFormat::Wide
            | OutputFormat::Csv
            | OutputFormat::Markdown => self.list(rows),
        }
    }

    /// A line for people (nothing when empty), or `document` for scripts: a write the
    /// provider accepted, a database that is gone, the URL of a database.
    pub fn message(&self, text: &str, document: &Value) -> Result<String> {
        match self.settings.format {
            OutputFormat::Table | OutputFormat::Wide | OutputFormat::Markdown
                if text.is_empty() =>
            {
                Ok(String::new())
            }
            OutputFormat::Table | OutputFormat::Wide => Ok(format!("{}\n", escape_controls(text))),
            OutputFormat::Markdown => Ok(format!("{}\n", markdown::escape(text))),
            _ => self.value(document),
        }
    }

    /// Refuses a document format for output that is only text (a spec file, an env line):
    /// `what` says what the command prints.
    pub fn text_only(&self, what: &str) -> Result<()> {
        if self.is_table() {
            return Ok(());
        }
        let format = format!("{:?}", self.settings.format).to_ascii_lowercase();
        let how = if self.settings.query.is_some() {
            "--query".to_string()
        } else {
            format!("-o {format}")
        };
        Err(Error::usage(format!(
            "{what}; it cannot be combined with {how}"
        )))
    }

    /// Any JSON value (dry runs, URLs): JSON, YAML, one CSV row, or a FIELD/VALUE table.
    pub fn value(&self, value: &Value) -> Result<String> {
        match self.settings.format {
            OutputFormat::Json | OutputFormat::Yaml => self.document(value),
            OutputFormat::Html => Err(report_only()),
            OutputFormat::Csv => {
                let value = self.untrusted(value.clone());
                match &value {
                    Value::Object(map) => {
                        let fields: Vec<&str> = map.keys().map(String::as_str).collect();
                        csv_text(
                            &fields,
                            std::iter::once(value.clone()),
                            self.settings.headers,
                        )
                    }
                    _ => json_text(&value),
                }
            }
            OutputFormat::Markdown => match value {
                Value::Object(map) => {
                    let rows: Vec<Vec<String>> = map
                        .iter()
                        .map(|(key, field)| {
                            vec![detail::label(key), detail::lines(key, field).join("; ")]
                        })
                        .collect();
                    Ok(markdown::table(
                        &["FIELD", "VALUE"],
                        &rows,
                        self.settings.show_secrets,
                    ))
                }
                Value::String(s) => Ok(format!("{}\n", markdown::escape(s))),
                other => json_text(other),
            },
            OutputFormat::Table | OutputFormat::Wide => match value {
                Value::Object(map) => Ok(self.fields(map)),
                Value::String(s) => Ok(format!("{}\n", escape_controls(&mask_text_secrets(s)))),
                other => json_text(other),
            },
        }
    }

    /// JSON, or YAML with `-o yaml`, whatever else `-o` says (a provider's own answer, from
    /// `dbctl api`): masked, and `--query` applied.
    pub fn document(&self, value: &Value) -> Result<String> {
        let value = self.untrusted(value.clone());
        let value = match &self.settings.query {
            Some(query) => query.apply(&value).map_err(Error::usage)?,
            None => value,
        };
        match self.settings.format {
            OutputFormat::Yaml => yaml_text(&value),
            _ => json_text(&value),
        }
    }

    /// Table or wide: text for people rather than a document.
    fn is_table(&self) -> bool {
        matches!(
            self.settings.format,
            OutputFormat::Table | OutputFormat::Wide
        )
    }

    /// A list as a GitHub Flavored Markdown table: the columns a table shows, every cell
    /// escaped for Markdown.
    fn markdown<T: Record>(&self, columns: &[Column<T>], items: &[&T]) -> String {
        let shown: Vec<&Column<T>> = columns.iter().filter(|c| !c.header.is_empty()).collect();
        let headers: Vec<&str> = shown.iter().map(|c| c.header).collect();
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|item| shown.iter().map(|c| (c.cell)(item)).collect())
            .collect();
        markdown::table(&headers, &rows, self.settings.show_secrets)
    }

    /// A list as a table; on a terminal (plain `-o table`), fitted to its width, saying what
    /// gave way and how to see everything.
    fn table<T: Record>(&self, columns: &[Column<T>], items: &[&T]) -> String {
        let table = self.grid(columns, items);
        let headers = self.settings.headers;
        let width = (self.settings.format == OutputFormat::Table && self.settings.stdout_tty)
            .then(table::terminal_width)
            .flatten();
        let fit = match width {
            Some(width) => {
                let fit = table.fit(width, headers);
                let gave = fit.changes.join(", ");
                let note = match (gave.is_empty(), fit.wider) {
                    (true, false) => None,
                    (false, false) => Some(format!(
                        "note: {gave} to fit {width} columns; `-o wide` shows every column"
                    )),
                    (true, true) => Some(format!(
                        "note: wider than {width} columns: ids and names are never cut"
                    )),
                    (false, true) => Some(format!(
                        "note: {gave}, still wider than {width} columns: ids and names are never cut; `-o wide` shows every column"
                    )),
                };
                if let Some(note) = note {
                    for line in table::wrap(&note, width) {
                        crate::say!("{line}");
                    }
                }
                fit
            }
            None => table.full(headers),
        };
        table.render(&fit, headers, self.settings.color)
    }

    /// The cells of the columns a table shows: escaped, masked, `-` when empty.
    fn grid<T>(&self, columns: &[Column<T>], items: &[&T]) -> table::Table {
        let shown: Vec<&Column<T>> = columns.iter().filter(|c| c.shown()).collect();
        table::Table {
            header: shown.iter().map(|c| c.header.to_string()).collect(),
            rows: items
                .iter()
                .map(|item| {
                    shown
                        .iter()
                        .map(|c| or_dash(self.cell(&(c.cell)(item))))
                        .collect()
                })
                .collect(),
            colors: items
                .iter()
                .map(|item| shown.iter().map(|c| c.color.map(|f| f(item))).collect())
                .collect(),
            gives: shown.iter().map(|c| (c.give, c.rank)).collect(),
        }
    }

    /// An object as a FIELD/VALUE table: readable names, nested values as indented blocks.
    fn fields(&self, map: &serde_json::Map<String, Value>) -> String {
        let rows: Vec<Vec<String>> = map
            .iter()
            .map(|(key, field)| {
                let lines: Vec<String> = detail::lines(key, field)
                    .iter()
                    .map(|line| self.cell(line))
                    .collect();
                vec![self.cell(&detail::label(key)), lines.join("\n")]
            })
            .collect();
        let table = table::Table {
            header: vec![String::new(); 2],
            colors: vec![vec![None; 2]; rows.len()],
            rows,
            gives: vec![(Give::Never, 0); 2],
        };
        let text = table.render(&table.full(false), false, false);
        if text.is_empty() {
            "\n".to_string()
        } else {
            text
        }
    }

    /// Every field of every record is provider text: URL passwords and connection-string
    /// keys in any string (a task's error, an import source) are masked unless
    /// `--show-secrets`.
    fn untrusted(&self, mut value: Value) -> Value {
        if !self.settings.show_secrets {
            mask_strings(&mut value);
        }
        value
    }

    /// A table cell's text: masked like every field, and with terminal controls shown as
    /// escapes.
    fn cell(&self, text: &str) -> String {
        let text = if self.settings.show_secrets {
            text.to_string()
        } else {
            mask_text_secrets(text)
        };
        escape_controls(&text).into_owned()
    }
}

/// Writes a rendered document to stdout, every credential the run holds scrubbed unless
/// `--show-secrets`; a closed pipe (`| head`) is a quiet success.
pub fn emit(text: &str) -> Result<()> {
    let text = crate::credentials::scrub_stdout(text);
    let mut stdout = std::io::stdout().lock();
    stdout_written(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

/// How a write to stdout ended: a closed pipe is a quiet success, any other failure (a full
/// disk) the one "cannot write to stdout" error (exit 1).
pub fn stdout_written(result: std::io::Result<()>) -> Result<()> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::internal(format!("cannot write to stdout: {e}"))),
    }
}

fn to_value<T: Serialize>(item: &T) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    // C1 and bidi controls pass serde's escaping, and so do workflow commands: as `\uXXXX`
    // they stay the same data.
    serde_json::to_string_pretty(value)
        .map(|s| crate::sanitize::escape_json(&s).into_owned() + "\n")
        .map_err(|e| Error::internal(format!("cannot render JSON: {e}")))
}

/// YAML in which every character [`escape_with`] flags (controls and newlines, bidi marks,
/// workflow-command `:` and `#`) is an escape inside a double-quoted scalar: the same data to
/// a parser, one line per scalar, inert on a terminal and in a CI log. libyaml cannot be told
/// to escape a character, so each is first swapped for a marker only this run knows (with a
/// control character, so libyaml double-quotes the string), and the marker's escaped form is
/// then swapped for the character's escape.
fn yaml_text<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let fail = |e: String| Error::internal(format!("cannot render YAML: {e}"));
    let value = serde_json::to_value(value).map_err(|e| fail(e.to_string()))?;
    let nonce = format!("{:016x}", fastrand::u64(..));
    let marked = std::cell::RefCell::new(BTreeSet::new());
    let mut mark = |text: &str| {
        escape_with(text, |c, out| {
            marked.borrow_mut().insert(c);
            let _ = write!(out, "\u{1}{nonce}{:04x}\u{1}", c as u32);
        })
        .into_owned()
    };
    let text = serde_yaml::to_string(&map_strings(value.clone(), &mut mark))
        .map_err(|e| fail(e.to_string()))?;
    let text = marked.take().iter().fold(text, |text, &c| {
        let escape = match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            '\t' => "\\t".to_string(),
            c => format!("\\u{:04x}", c as u32),
        };
        text.replace(&format!("\\x01{nonce}{:04x}\\x01", c as u32), &escape)
    });
    if is_inert(&text) {
        return Ok(text);
    }
    // Not expected from libyaml; should it happen, visible escapes as in a table.
    let mut escape = |text: &str| escape_controls(text).into_owned();
    serde_yaml::to_string(&map_strings(value, &mut escape)).map_err(|e| fail(e.to_string()))
}

/// Every string of a value, keys too, passed through `f`.
fn map_strings(value: Value, f: &mut dyn FnMut(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (f(&k), map_strings(v, f)))
                .collect(),
        ),
        other => other,
    }
}

fn csv_text(fields: &[&str], rows: impl Iterator<Item = Value>, header: bool) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::internal(format!("cannot render CSV: {e}"));
    // Header cells are escaped like every other: `value` takes them from an object's keys.
    if header {
        writer
            .write_record(fields.iter().map(|f| csv_cell(f.to_string())))
            .map_err(fail)?;
    }
    for row in rows {
        writer
            .write_record(fields.iter().map(|f| match row.get(*f) {
                Some(Value::String(s)) => csv_cell(s.clone()),
                other => escape_controls(&plain(other.unwrap_or(&Value::Null))).into_owned(),
            }))
            .map_err(fail)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::internal(format!("cannot render CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::internal(format!("cannot render CSV: {e}")))
}

/// A missing value in a table: `-`.
fn or_dash(text: String) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text
    }
}

/// A JSON value as a CSV cell: strings bare, null empty, structures as compact JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Masks URL passwords and connection-string keys in every string of a value.
fn mask_strings(value: &mut Value) {
    match value {
        Value::String(text) => *text = mask_text_secrets(text),
        Value::Array(items) => items.iter_mut().for_each(mask_strings),
        Value::Object(map) => map.values_mut().for_each(mask_strings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use unicode_width::UnicodeWidthStr;

    fn renderer() -> Renderer {
        Renderer::new(OutputSettings {
            format: OutputFormat::Table,
            show_secrets: false,
            color: true,
            stdout_tty: true,
            stderr_tty: false,
            query: None,
            sort: None,
            limit: None,
            headers: true,
        })
    }

    /// dbctl has no `task list` yet: the Task table is fitted here, colour on, its ids
    /// whole and its errors wrapped rather than cut.
    #[test]
    fn a_task_table_fits_80_and_120_columns() {
        use crate::model::{ProviderKind, Task, TaskStatus};
        let task = |id: &str, status, error: Option<&str>| Task {
            provider: ProviderKind::RedisEnterprise,
            profile: "redis-enterprise".into(),
            id: id.into(),
            status,
            provider_status: None,
            resource_id: Some("bdb:12 キャッシュ".into()),
            error: error.map(String::from),
        };
        let error = "the cluster has no free memory for 4 shards of 2 GiB in zone eu-west-1a";
        let tasks = [
            task(
                "5f0c8a3e-1b2d-4c6e-9f10-000000000001",
                TaskStatus::Failed,
                Some(error),
            ),
            task(
                "5f0c8a3e-1b2d-4c6e-9f10-000000000002",
                TaskStatus::Completed,
                None,
            ),
        ];
        let out = renderer();
        let refs: Vec<&Task> = tasks.iter().collect();
        let grid = out.grid(&Task::columns(), &refs);
        for width in [80, 120] {
            let text = grid.render(&grid.fit(width, true), true, true);
            assert!(text.contains("\x1b[31mfailed\x1b[39m"), "{text:?}");
            let plain = text
                .replace("\x1b[31m", "")
                .replace("\x1b[32m", "")
                .replace("\x1b[39m", "");
            for line in plain.lines() {
                assert!(line.width() <= width, "{width}: {line}\n{plain}");
            }
            assert!(
                plain.contains("5f0c8a3e-1b2d-4c6e-9f10-000000000001"),
                "{plain}"
            );
            let words: Vec<&str> = plain.split_whitespace().collect();
            assert!(words.join(" ").contains(error), "{plain}");
        }
    }

    #[test]
    fn yaml_escapes_every_unsafe_character_and_keeps_the_data() {
        let value = json!({
            "ke\u{202e}y": [
                "\u{202e}gnp.exe",
                "a\u{85}b",
                "red\u{1b}[31mtext\u{9b}",
                format!("{}\u{2066}end", "long words ".repeat(20)),
                "two\nlines\u{200f}",
                "plain",
                "x\u{fffe}\u{ffff}\u{7f}",
            ],
            "multi": "first\nsecond",
            "::add-mask::k": format!("{}::error::folded ##[error]x", "long words ".repeat(20)),
        });
        let text = yaml_text(&value).unwrap();
        assert!(crate::sanitize::is_inert(&text), "{}", text.escape_debug());
        assert!(text.contains("\\u202e"), "{text}");
        assert_eq!(serde_yaml::from_str::<Value>(&text).unwrap(), value);
        // Text without controls keeps its usual form; a provider's newline is an escape.
        assert!(text.contains("- plain\n"), "{text}");
        assert!(text.contains("multi: \"first\\nsecond\"\n"), "{text}");
        assert!(text.contains("\"\\u003a:add-mask::k\": "), "{text}");
        assert!(text.contains("\\u0023#[error]x"), "{text}");
    }

    #[test]
    fn csv_headers_and_structured_cells_are_escaped() {
        let row = json!({"::add-mask::k\n": "v", "n": {"a": "\u{202e}##[x"}});
        let fields: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let text = csv_text(&fields, std::iter::once(row.clone()), true).unwrap();
        assert_eq!(
            text,
            "\\x3a:add-mask::k\\n,n\nv,\"{\"\"a\"\":\"\"\\u{202e}\\x23#[x\"\"}\"\n"
        );
    }
}
