//! `metrics serve`'s exposition: the last reading of every profile as Prometheus text and as
//! OpenMetrics text, built in a fresh registry each time, so nothing outlives a refresh. Label
//! values are provider bytes: masked, cut to [`MAX_LABEL_CHARS`], their controls shown as
//! escapes, then escaped as the format requires (by `prometheus-client`).
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::report::Observed;
use crate::error::{Error, Result};
use crate::model::{ProviderKind, Rule, Severity};

/// The most characters of provider text a label value keeps.
pub const MAX_LABEL_CHARS: usize = 128;

/// `Content-Type` of the OpenMetrics text (what Prometheus asks for first).
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// `Content-Type` of the Prometheus text format 0.0.4 (curl, older scrapers).
pub const PROMETHEUS_TEXT: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// One profile's last reading, and how reading it went.
pub struct Reading<'a> {
    /// The last complete reading (kept, stale, while the profile fails).
    pub observed: Option<&'a Observed>,
    pub provider: ProviderKind,
    pub profile: &'a str,
    /// Whether the last refresh worked.
    pub up: bool,
    pub refresh_seconds: f64,
    /// Refreshes so far, and how many of them failed.
    pub refreshes: u64,
    pub refresh_errors: u64,
    /// When the last refresh that worked ended, in seconds since the epoch.
    pub last_success: Option<f64>,
}

/// Both texts of one exposition.
pub struct Exposition {
    pub openmetrics: String,
    pub prometheus: String,
}

type Value = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProfileLabels {
    provider: String,
    profile: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DatabaseLabels {
    provider: String,
    profile: String,
    id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InfoLabels {
    provider: String,
    profile: String,
    id: String,
    name: String,
    region: String,
    status: String,
    provider_status: String,
    plan: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    provider: String,
    profile: String,
    rule: String,
    severity: String,
}

/// Provider text as a label value: credentials and URL passwords masked, at most
/// [`MAX_LABEL_CHARS`] characters (`…` where cut), controls and workflow commands as visible
/// escapes.
pub fn label(text: &str) -> String {
    let masked = crate::credentials::scrub_text(text);
    let cut: String = if masked.chars().count() > MAX_LABEL_CHARS {
        masked
            .chars()
            .take(MAX_LABEL_CHARS - 1)
            .chain(['…'])
            .collect()
    } else {
        masked
    };
    crate::sanitize::escape_controls(&cut).into_owned()
}

/// A family of gauges, registered.
fn gauges<L>(registry: &mut Registry, name: &str, help: &str) -> Family<L, Value>
where
    L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug + Send + Sync + 'static,
{
    let family = Family::<L, Value>::default();
    registry.register(name, help, family.clone());
    family
}

/// A family of counters, registered (`_total` is added to the name).
fn counters<L>(registry: &mut Registry, name: &str, help: &str) -> Family<L, Counter>
where
    L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug + Send + Sync + 'static,
{
    let family = Family::<L, Counter>::default();
    registry.register(name, help, family.clone());
    family
}

/// Every series of the readings, and the requests each profile has sent (`requests`:
/// provider, profile, count); the finding counts cover `rules` at both severities.
pub fn exposition(
    readings: &[Reading],
    requests: &[(ProviderKind, String, u64)],
    rules: &[Rule],
) -> Result<Exposition> {
    let mut registry = Registry::with_prefix("dbctl");
    let up = gauges::<ProfileLabels>(
        &mut registry,
        "profile_up",
        "1 if the last refresh of the profile worked, 0 if it failed (its series then keep the last values read)",
    );
    let duration = gauges::<ProfileLabels>(
        &mut registry,
        "profile_refresh_duration_seconds",
        "How long the last refresh of the profile took",
    );
    let refreshes = counters::<ProfileLabels>(
        &mut registry,
        "profile_refreshes",
        "Refreshes of the profile so far",
    );
    let errors = counters::<ProfileLabels>(
        &mut registry,
        "profile_refresh_errors",
        "Refreshes of the profile that failed",
    );
    let last = gauges::<ProfileLabels>(
        &mut registry,
        "profile_last_success_timestamp_seconds",
        "When the last refresh of the profile that worked ended, in seconds since the epoch",
    );
    let count = gauges::<ProfileLabels>(
        &mut registry,
        "profile_databases",
        "Databases in the last reading of the profile",
    );
    let sent = counters::<ProfileLabels>(
        &mut registry,
        "provider_requests",
        "API requests dbctl sent to the provider for the profile",
    );
    let info = gauges::<InfoLabels>(
        &mut registry,
        "database_info",
        "A database: its name, region, status and plan as labels; the value is always 1",
    );
    let used = gauges::<DatabaseLabels>(
        &mut registry,
        "database_memory_used_bytes",
        "Memory the database uses",
    );
    let limit = gauges::<DatabaseLabels>(
        &mut registry,
        "database_memory_limit_bytes",
        "Memory the database may use",
    );
    let ratio = gauges::<DatabaseLabels>(
        &mut registry,
        "database_memory_used_ratio",
        "Memory used over the limit, 0 to 1 (more when over it)",
    );
    let ops = gauges::<DatabaseLabels>(
        &mut registry,
        "database_ops_per_second",
        "Operations per second the database serves",
    );
    let connections = gauges::<DatabaseLabels>(
        &mut registry,
        "database_connections",
        "Client connections open to the database",
    );
    let storage = gauges::<DatabaseLabels>(
        &mut registry,
        "database_storage_bytes",
        "Storage the database uses",
    );
    let ru = gauges::<DatabaseLabels>(
        &mut registry,
        "database_throughput_ru_per_second",
        "Provisioned throughput in request units per second (Cosmos; autoscale: the current level)",
    );
    let ru_max = gauges::<DatabaseLabels>(
        &mut registry,
        "database_throughput_autoscale_max_ru_per_second",
        "The autoscale maximum in request units per second (Cosmos)",
    );
    let findings = gauges::<FindingLabels>(
        &mut registry,
        "check_findings",
        "Databases of the profile that fail a check rule, by rule and severity",
    );

    for reading in readings {
        let profile = ProfileLabels {
            provider: reading.provider.to_string(),
            profile: label(reading.profile),
        };
        up.get_or_create(&profile)
            .set(if reading.up { 1.0 } else { 0.0 });
        duration
            .get_or_create(&profile)
            .set(reading.refresh_seconds);
        refreshes.get_or_create(&profile).inc_by(reading.refreshes);
        errors
            .get_or_create(&profile)
            .inc_by(reading.refresh_errors);
        if let Some(at) = reading.last_success {
            last.get_or_create(&profile).set(at);
        }
        let Some(observed) = reading.observed else {
            continue;
        };
        count
            .get_or_create(&profile)
            .set(observed.databases.len() as f64);
        for rule in rules {
            for severity in [Severity::Warning, Severity::Error] {
                let failing = observed
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule.as_str() && f.severity == severity)
                    .count();
                findings
                    .get_or_create(&FindingLabels {
                        provider: profile.provider.clone(),
                        profile: profile.profile.clone(),
                        rule: rule.as_str().to_string(),
                        severity: severity.to_string(),
                    })
                    .set(failing as f64);
            }
        }
        for (db, usage) in &observed.databases {
            let labels = DatabaseLabels {
                provider: profile.provider.clone(),
                profile: profile.profile.clone(),
                id: label(&db.id),
            };
            info.get_or_create(&InfoLabels {
                provider: labels.provider.clone(),
                profile: labels.profile.clone(),
                id: labels.id.clone(),
                name: label(&db.name),
                region: label(db.region.as_deref().unwrap_or_default()),
                status: db.status.to_string(),
                provider_status: label(db.provider_status.as_deref().unwrap_or_default()),
                plan: label(db.plan.as_deref().unwrap_or_default()),
            })
            .set(1.0);
            let usage = usage.as_ref();
            let set = |family: &Family<DatabaseLabels, Value>, value: Option<f64>| {
                if let Some(value) = value.filter(|v| v.is_finite()) {
                    family.get_or_create(&labels).set(value);
                }
            };
            let bytes = |value: Option<u64>| value.map(|v| v as f64);
            set(&used, bytes(usage.and_then(|u| u.memory_used_bytes)));
            set(
                &limit,
                bytes(
                    usage
                        .and_then(|u| u.memory_limit_bytes)
                        .or(db.memory_limit_bytes),
                ),
            );
            set(&ratio, usage.and_then(|u| u.memory_used_ratio));
            set(&ops, usage.and_then(|u| u.ops_per_sec));
            set(&connections, bytes(usage.and_then(|u| u.connections)));
            set(&storage, bytes(usage.and_then(|u| u.storage_bytes)));
            set(&ru, bytes(usage.and_then(|u| u.throughput_ru)));
            set(&ru_max, bytes(usage.and_then(|u| u.throughput_max_ru)));
        }
    }
    for (provider, profile, requests) in requests {
        sent.get_or_create(&ProfileLabels {
            provider: provider.to_string(),
            profile: label(profile),
        })
        .inc_by(*requests);
    }

    let encoding = |e: std::fmt::Error| Error::internal(format!("cannot encode the metrics: {e}"));
    let mut openmetrics = String::new();
    prometheus_client::encoding::text::encode(&mut openmetrics, &registry).map_err(encoding)?;
    let mut prometheus = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut prometheus, &registry)
        .map_err(encoding)?;
    // Whatever a provider echoed back: no credential dbctl holds reaches a series.
    Ok(Exposition {
        openmetrics: crate::credentials::scrub(&openmetrics),
        prometheus: crate::credentials::scrub(&prometheus),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Database, Usage};

    #[test]
    fn label_values_are_masked_cut_and_inert() {
        assert_eq!(label("cache-1"), "cache-1");
        assert_eq!(label("a\nb\u{202e}c\u{1b}"), "a\\nb\\u{202e}c\\x1b");
        let long = label(&"é".repeat(500));
        assert_eq!(long.chars().count(), MAX_LABEL_CHARS);
        assert!(long.ends_with('…'));
        assert_eq!(label("redis://u:hunter22@h"), "redis://u:***@h");
    }

    #[test]
    fn the_exposition_escapes_label_values_as_the_format_requires() {
        let mut db = Database::new(
            ProviderKind::Upstash,
            "p",
            "id\"1".into(),
            "a\\b\nc\"} evil 1\n# EOF".into(),
        );
        db.memory_limit_bytes = Some(1024);
        let usage = Usage {
            memory_used_bytes: Some(512),
            ..Usage::of(&db)
        }
        .with_ratio();
        let observed = Observed {
            provider: ProviderKind::Upstash,
            profile: "p".into(),
            databases: vec![(db, Some(usage))],
            findings: Vec::new(),
            error: None,
            failures: Vec::new(),
        };
        let reading = Reading {
            observed: Some(&observed),
            provider: ProviderKind::Upstash,
            profile: "p",
            up: true,
            refresh_seconds: 0.5,
            refreshes: 1,
            refresh_errors: 0,
            last_success: Some(1.0),
        };
        let text = exposition(&[reading], &[], &[Rule::Memory]).unwrap();
        for text in [&text.openmetrics, &text.prometheus] {
            assert!(
                text.contains(r#"name="a\\b\\nc\"} evil 1\\n# EOF""#),
                "{text}"
            );
            // One line per series: no label value made a line of its own.
            assert!(!text
                .lines()
                .any(|l| l.starts_with("evil") || l == "# EOF\"}"));
            assert!(text.contains(
                r#"dbctl_database_memory_used_ratio{provider="upstash",profile="p",id="id\"1"} 0.5"#
            ));
        }
        assert!(text.openmetrics.ends_with("# EOF\n"));
        assert_eq!(
            text.openmetrics.matches("# EOF").count(),
            2,
            "the name's and the end's"
        );
    }
}
