//! Table and CSV rows of the fleet-health records.
use comfy_table::Color;
use serde::Serialize;

use super::{opt, status_color, Record};
use crate::model::{ByteSize, Database};
use crate::model::{Finding, Severity, Usage};

/// A `db list --usage` row: the database and its usage figures side by side.
#[derive(Debug, Serialize)]
pub struct DatabaseUsage {
    #[serde(flatten)]
    pub database: Database,
    pub memory_used_bytes: Option<u64>,
    pub memory_used_ratio: Option<f64>,
    pub ops_per_sec: Option<f64>,
    pub connections: Option<u64>,
    pub throughput_ru: Option<u64>,
    pub throughput_max_ru: Option<u64>,
    pub storage_bytes: Option<u64>,
    pub sampled_at: Option<String>,
}

impl DatabaseUsage {
    /// The row; a database whose usage could not be read has null figures.
    pub fn new(database: Database, usage: Option<Usage>) -> Self {
        let usage = usage.unwrap_or_else(|| Usage::of(&database));
        DatabaseUsage {
            database,
            memory_used_bytes: usage.memory_used_bytes,
            memory_used_ratio: usage.memory_used_ratio,
            ops_per_sec: usage.ops_per_sec,
            connections: usage.connections,
            throughput_ru: usage.throughput_ru,
            throughput_max_ru: usage.throughput_max_ru,
            storage_bytes: usage.storage_bytes,
            sampled_at: usage.sampled_at,
        }
    }

    fn figures(&self) -> Vec<String> {
        figure_cells(
            self.memory_used_bytes,
            self.database.memory_limit_bytes,
            self.memory_used_ratio,
            self.ops_per_sec,
            self.connections,
            self.throughput_ru,
            self.throughput_max_ru,
        )
    }
}

/// USED, LIMIT, %, OPS/S, CONN, RU/S cells.
fn figure_cells(
    used: Option<u64>,
    limit: Option<u64>,
    ratio: Option<f64>,
    ops: Option<f64>,
    connections: Option<u64>,
    ru: Option<u64>,
    max_ru: Option<u64>,
) -> Vec<String> {
    vec![
        opt(&used.map(ByteSize)),
        opt(&limit.map(ByteSize)),
        ratio
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_default(),
        ops.map(|o| {
            let text = format!("{o:.1}");
            text.trim_end_matches(".0").to_string()
        })
        .unwrap_or_default(),
        opt(&connections),
        match (ru, max_ru) {
            (Some(ru), Some(max)) => format!("{ru} (max {max})"),
            (None, Some(max)) => format!("max {max}"),
            (ru, None) => opt(&ru),
        },
    ]
}

const FIGURE_COLUMNS: [&str; 6] = ["USED", "LIMIT", "%", "OPS/S", "CONN", "RU/S"];

impl Record for DatabaseUsage {
    const COLUMNS: &'static [&'static str] = database_columns!(
        FIGURE_COLUMNS[0],
        FIGURE_COLUMNS[1],
        FIGURE_COLUMNS[2],
        FIGURE_COLUMNS[3],
        FIGURE_COLUMNS[4],
        FIGURE_COLUMNS[5],
    );
    const FIELDS: &'static [&'static str] = database_fields!(
        "memory_used_bytes",
        "memory_used_ratio",
        "ops_per_sec",
        "connections",
        "throughput_ru",
        "throughput_max_ru",
        "storage_bytes",
        "sampled_at",
    );
    fn cells(&self) -> Vec<String> {
        let mut cells = self.database.cells();
        cells.extend(self.figures());
        cells
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        self.database.status_column()
    }
    const NOUN: &'static str = "databases";
}

impl Record for Usage {
    const COLUMNS: &'static [&'static str] = &[
        "PROVIDER",
        "PROFILE",
        "ID",
        "NAME",
        FIGURE_COLUMNS[0],
        FIGURE_COLUMNS[1],
        FIGURE_COLUMNS[2],
        FIGURE_COLUMNS[3],
        FIGURE_COLUMNS[4],
        FIGURE_COLUMNS[5],
        "SAMPLED",
    ];
    const FIELDS: &'static [&'static str] = &[
        "provider",
        "profile",
        "database_id",
        "name",
        "memory_used_bytes",
        "memory_limit_bytes",
        "memory_used_ratio",
        "ops_per_sec",
        "connections",
        "throughput_ru",
        "throughput_max_ru",
        "storage_bytes",
        "sampled_at",
    ];
    fn cells(&self) -> Vec<String> {
        let mut cells = vec![
            self.provider.to_string(),
            self.profile.clone(),
            self.database_id.clone(),
            self.name.clone(),
        ];
        cells.extend(figure_cells(
            self.memory_used_bytes,
            self.memory_limit_bytes,
            self.memory_used_ratio,
            self.ops_per_sec,
            self.connections,
            self.throughput_ru,
            self.throughput_max_ru,
        ));
        cells.push(opt(&self.sampled_at));
        cells
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        None
    }
    const NOUN: &'static str = "databases";
}

impl Record for Finding {
    const COLUMNS: &'static [&'static str] = &[
        "RULE", "SEVERITY", "PROVIDER", "PROFILE", "ID", "NAME", "MESSAGE",
    ];
    const FIELDS: &'static [&'static str] = &[
        "rule",
        "severity",
        "provider",
        "profile",
        "database_id",
        "name",
        "message",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.rule.clone(),
            self.severity.to_string(),
            self.provider.to_string(),
            self.profile.clone(),
            self.database_id.clone(),
            self.name.clone(),
            self.message.clone(),
        ]
    }
    fn status_column(&self) -> Option<(usize, Color)> {
        Some((
            1,
            match self.severity {
                Severity::Error => status_color("failed"),
                Severity::Warning => status_color("pending"),
            },
        ))
    }
    const NOUN: &'static str = "findings";
}
