//! The one set of renderers: table, JSON, YAML and CSV for every record type.
//! Everything is rendered to a string first, so stdout never gets half a document.
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;

use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{Backup, ByteSize, Database, Ping, Task};
use crate::sanitize::{csv_cell, escape_controls, escape_with, is_inert};
use crate::secret::mask_text_secrets;

/// The `db list` table columns, with more after them (`db list --usage`).
macro_rules! database_columns {
    ($($more:expr),* $(,)?) => {
        &["PROVIDER", "PROFILE", "ID", "NAME", "STATUS", "REGION", "ENDPOINT", "MEMORY", $($more),*]
    };
}

/// The `db list` CSV fields, with more after them (`db list --usage`).
macro_rules! database_fields {
    ($($more:expr),* $(,)?) => {
        &[
            "provider", "profile", "id", "name", "status", "provider_status", "region",
            "endpoint", "port", "tls", "memory_limit_bytes", "plan", "created_at", $($more),*
        ]
    };
}

mod detail;
mod fit;
mod health;
pub mod metrics;
mod record;
pub mod report;

pub use health::DatabaseUsage;
pub use record::Record;

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
    /// GitHub Flavored Markdown (`dbctl report`).
    // TODO(lead): desired's `plan -o markdown` adds this variant too, with table arms in
    // `Renderer`; keep those arms and drop the refusals below that name it.
    Markdown,
}

impl OutputFormat {
    /// Table or wide: text for people rather than a document.
    pub fn is_table(self) -> bool {
        matches!(self, OutputFormat::Table | OutputFormat::Wide)
    }
}

/// `-o html`/`-o markdown` given to a command other than `report` (exit 2).
fn report_only(format: OutputFormat) -> Error {
    let name = match format {
        OutputFormat::Html => "html",
        _ => "markdown",
    };
    Error::usage(format!(
        "-o {name} is for `dbctl report`; this command writes table, wide, json, yaml or csv"
    ))
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
}

pub struct Renderer {
    pub settings: OutputSettings,
}

impl Renderer {
    pub fn new(settings: OutputSettings) -> Self {
        Renderer { settings }
    }

    pub fn format(&self) -> OutputFormat {
        self.settings.format
    }

    /// A list: a bare JSON array, a YAML sequence, CSV with a header row, or a table.
    pub fn list<T: Record>(&self, items: &[T]) -> Result<String> {
        let values = || items.iter().map(|item| self.untrusted(to_value(item)));
        match self.settings.format {
            OutputFormat::Json => json_text(&values().collect::<Vec<_>>()),
            OutputFormat::Yaml => yaml_text(&values().collect::<Vec<_>>()),
            OutputFormat::Csv => csv_text(T::FIELDS, values()),
            OutputFormat::Html | OutputFormat::Markdown => Err(report_only(self.settings.format)),
            OutputFormat::Table | OutputFormat::Wide => {
                if items.is_empty() {
                    crate::say!("no {}", T::NOUN);
                    return Ok(String::new());
                }
                let fitted = self.fit(
                    T::COLUMNS.iter().map(|c| c.to_string()).collect(),
                    items
                        .iter()
                        .map(|item| item.cells().iter().map(|t| or_dash(self.cell(t))).collect())
                        .collect(),
                );
                let mut table = self.table();
                table.set_header(fitted.header.into_iter().map(Cell::new));
                for (item, row) in items.iter().zip(fitted.rows) {
                    let status = item.status_column();
                    table.add_row(row.into_iter().zip(&fitted.kept).map(|(text, &i)| {
                        let cell = Cell::new(text);
                        match status {
                            Some((column, color)) if column == i && self.settings.color => {
                                cell.fg(color)
                            }
                            _ => cell,
                        }
                    }));
                }
                Ok(finish_table(&table))
            }
        }
    }

    /// A plain table on a terminal fits its width, saying what gave way and how to see
    /// everything; `-o wide` and output that is not a terminal keep every column in full.
    fn fit(&self, header: Vec<String>, rows: Vec<Vec<String>>) -> fit::Fitted {
        let width = (self.settings.format == OutputFormat::Table && self.settings.stdout_tty)
            .then(fit::terminal_width)
            .flatten();
        let Some(width) = width else {
            return fit::Fitted::all(header, rows);
        };
        let fitted = fit::Fitted::to_width(header, rows, width);
        if !fitted.changes.is_empty() {
            crate::say!(
                "note: {} to fit {width} columns; `-o wide` shows every column",
                fitted.changes.join(", ")
            );
        }
        fitted
    }

    /// One record: a JSON object, or a FIELD/VALUE table.
    pub fn one<T: Record>(&self, item: &T) -> Result<String> {
        match self.settings.format {
            OutputFormat::Csv => {
                csv_text(T::FIELDS, std::iter::once(self.untrusted(to_value(item))))
            }
            _ => self.value(&to_value(item)),
        }
    }

    /// Any JSON value (dry runs, URLs, raw API answers).
    pub fn value(&self, value: &Value) -> Result<String> {
        let value = &self.untrusted(value.clone());
        match self.settings.format {
            OutputFormat::Json => json_text(value),
            OutputFormat::Yaml => yaml_text(value),
            OutputFormat::Csv => match value {
                Value::Object(map) => {
                    let fields: Vec<&str> = map.keys().map(String::as_str).collect();
                    csv_text(&fields, std::iter::once(value.clone()))
                }
                _ => json_text(value),
            },
            OutputFormat::Html | OutputFormat::Markdown => Err(report_only(self.settings.format)),
            OutputFormat::Table | OutputFormat::Wide => match value {
                Value::Object(map) => {
                    let mut table = self.table();
                    for (key, field) in map {
                        let lines: Vec<String> = detail::lines(key, field)
                            .iter()
                            .map(|line| self.cell(line))
                            .collect();
                        table.add_row(vec![
                            Cell::new(self.cell(&detail::label(key))),
                            Cell::new(lines.join("\n")),
                        ]);
                    }
                    Ok(finish_table(&table))
                }
                Value::String(s) => Ok(format!("{}\n", escape_controls(s))),
                other => json_text(other),
            },
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

    /// A table that never wraps a cell: [`Renderer::fit`] makes lists fit a terminal.
    fn table(&self) -> Table {
        let mut table = Table::new();
        table.load_preset(presets::NOTHING);
        table.set_content_arrangement(ContentArrangement::Disabled);
        if !self.settings.stdout_tty {
            table.force_no_tty();
        }
        if self.settings.color {
            table.enforce_styling();
        }
        table
    }
}

/// The table's text without the padding comfy-table leaves at line ends.
fn finish_table(table: &Table) -> String {
    let mut text: String = table
        .to_string()
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect();
    if text.is_empty() {
        text.push('\n');
    }
    text
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

fn csv_text(fields: &[&str], rows: impl Iterator<Item = Value>) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::internal(format!("cannot render CSV: {e}"));
    // Header cells are escaped like every other: `value` takes them from an object's keys.
    writer
        .write_record(fields.iter().map(|f| csv_cell(f.to_string())))
        .map_err(fail)?;
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

fn opt(value: &Option<impl ToString>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// `host:port` (IPv6 bracketed), the host alone, or nothing.
fn host_port(endpoint: &Option<String>, port: Option<u16>) -> String {
    match (endpoint, port) {
        (Some(host), Some(port)) if host.contains(':') => format!("[{host}]:{port}"),
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.clone(),
        _ => String::new(),
    }
}

fn status_color(word: &str) -> Color {
    match word {
        "active" | "completed" => Color::Green,
        "pending" | "running" | "deleting" => Color::Yellow,
        "failed" => Color::Red,
        "suspended" => Color::Magenta,
        _ => Color::Grey,
    }
}

impl Record for Database {
    const COLUMNS: &'static [&'static str] = database_columns!();
    const FIELDS: &'static [&'static str] = database_fields!();
    fn cells(&self) -> Vec<String> {
        let status = match &self.provider_status {
            Some(word) if self.status == crate::model::Status::Unknown => {
                format!("unknown ({word})")
            }
            _ => self.status.to_string(),
        };
        vec![
            self.provider.to_string(),
            self.profile.clone(),
            self.id.clone(),
            self.name.clone(),
            status,
            match (&self.region, self.regions.as_deref()) {
                // Active-Active: the first region and how many more (`db get` lists them).
                (Some(region), Some([_, more @ ..])) if !more.is_empty() => {
                    format!("{region} +{}", more.len())
                }
                _ => opt(&self.region),
            },
            host_port(&self.endpoint, self.port),
            opt(&self.memory_limit_bytes.map(ByteSize)),
        ]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        Some((4, status_color(self.status.as_str())))
    }
    const NOUN: &'static str = "databases";
}

impl Record for Backup {
    const COLUMNS: &'static [&'static str] = &[
        "PROVIDER", "PROFILE", "DATABASE", "ID", "NAME", "STATUS", "CREATED", "SIZE",
    ];
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "database_id",
        "id",
        "name",
        "status",
        "created_at",
        "size_bytes",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.provider.to_string(),
            self.profile.clone(),
            self.database_id.clone(),
            self.id.clone(),
            opt(&self.name),
            opt(&self.status),
            opt(&self.created_at),
            opt(&self.size_bytes.map(ByteSize)),
        ]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        self.status.as_deref().map(|s| (5, status_color(s)))
    }
    const NOUN: &'static str = "backups";
}

impl Record for Task {
    const COLUMNS: &'static [&'static str] =
        &["PROVIDER", "PROFILE", "ID", "STATUS", "RESOURCE", "ERROR"];
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "id",
        "status",
        "provider_status",
        "resource_id",
        "error",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.provider.to_string(),
            self.profile.clone(),
            self.id.clone(),
            self.status.to_string(),
            opt(&self.resource_id),
            opt(&self.error),
        ]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        Some((3, status_color(&self.status.to_string())))
    }
    const NOUN: &'static str = "tasks";
}

impl Record for Ping {
    const COLUMNS: &'static [&'static str] = &[
        "PROVIDER", "PROFILE", "ID", "NAME", "ENDPOINT", "TLS", "RESULT", "MIN MS", "AVG MS",
        "MAX MS", "ERROR",
    ];
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "database_id",
        "name",
        "endpoint",
        "port",
        "tls",
        "ok",
        "latency_ms",
        "error",
    ];
    fn cells(&self) -> Vec<String> {
        let ms = |pick: fn(&crate::model::Latency) -> f64| opt(&self.latency_ms.as_ref().map(pick));
        vec![
            self.provider.to_string(),
            self.profile.clone(),
            self.database_id.clone(),
            opt(&self.name),
            host_port(&self.endpoint, self.port),
            opt(&self.tls),
            (if self.ok { "ok" } else { "failed" }).to_string(),
            ms(|l| l.min),
            ms(|l| l.avg),
            ms(|l| l.max),
            opt(&self.error),
        ]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        Some((6, if self.ok { Color::Green } else { Color::Red }))
    }
    const NOUN: &'static str = "databases to ping";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let text = csv_text(&fields, std::iter::once(row.clone())).unwrap();
        assert_eq!(
            text,
            "\\x3a:add-mask::k\\n,n\nv,\"{\"\"a\"\":\"\"\\u{202e}\\x23#[x\"\"}\"\n"
        );
    }
}
