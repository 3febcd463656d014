//! `dbctl report`: the fleet as one page a person would rather look at than read. HTML is one
//! self-contained file (inline CSS and SVG, a Content-Security-Policy that allows nothing to
//! load, no script); Markdown is the same report for a pull request or `$GITHUB_STEP_SUMMARY`.
//! Every provider and spec string is untrusted: masked, its controls shown as escapes, and
//! escaped for the format, so it renders as text and never as markup, a link or a style.
use std::fmt::Write as _;

use crate::model::{ByteSize, Database, Finding, ProviderKind, Severity, Status, Usage};
use crate::sanitize::escape_controls;
use crate::secret::mask_text_secrets;

/// One profile as read: its databases with their usage figures, `check`'s findings, and
/// what could not be read.
#[derive(Debug, Clone)]
pub struct Observed {
    pub provider: ProviderKind,
    pub profile: String,
    pub databases: Vec<(Database, Option<Usage>)>,
    pub findings: Vec<Finding>,
    /// Why the whole profile could not be read.
    pub error: Option<String>,
    /// Databases whose figures could not be read, one message each.
    pub failures: Vec<String>,
}

/// One difference from a spec, as `plan` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub action: String,
    pub profile: String,
    pub name: String,
    pub id: Option<String>,
    /// (field, from, to), each as text.
    pub changes: Vec<(String, String, String)>,
}

/// Everything one report shows.
pub struct Report<'a> {
    /// RFC 3339.
    pub taken: &'a str,
    pub profiles: &'a [Observed],
    /// The spec's name and what differs from it (`-f`).
    pub drift: Option<(&'a str, &'a [Drift])>,
    /// Memory used ratios that are a warning and an error (the bars' colours).
    pub warn: f64,
    pub error: f64,
}

impl Report<'_> {
    fn databases(&self) -> usize {
        self.profiles.iter().map(|p| p.databases.len()).sum()
    }

    fn count(&self, severity: Severity) -> usize {
        self.profiles
            .iter()
            .flat_map(|p| &p.findings)
            .filter(|f| f.severity == severity)
            .count()
    }

    /// How full a database is, as the memory rule would say it.
    fn level(&self, ratio: f64) -> &'static str {
        if ratio >= self.error {
            "error"
        } else if ratio >= self.warn {
            "warning"
        } else {
            "ok"
        }
    }

    /// The profiles that could not be read at all, and the databases whose figures failed.
    fn unread(&self) -> Vec<String> {
        self.profiles
            .iter()
            .flat_map(|p| {
                let whole = p
                    .error
                    .iter()
                    .map(|e| format!("profile {} ({}): {e}", p.profile, p.provider));
                let some = p
                    .failures
                    .iter()
                    .map(|e| format!("profile {} ({}): {e}", p.profile, p.provider));
                whole.chain(some).collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Provider text as it may be shown: URL passwords and connection-string keys masked,
/// controls, bidi marks and workflow commands as visible escapes.
fn shown(text: &str) -> String {
    escape_controls(&mask_text_secrets(text)).into_owned()
}

/// Text for HTML content or a quoted attribute value.
fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in shown(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for a Markdown table cell or line: passwords masked, then escaped as every Markdown
/// dbctl writes is ([`super::markdown::escape`]).
fn markdown_text(text: &str) -> String {
    super::markdown::escape(&mask_text_secrets(text))
}

/// A figure for a table: `-` when the provider does not say.
fn figure(value: Option<f64>) -> String {
    match value {
        Some(v) if v.abs() >= 100.0 || v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => "-".to_string(),
    }
}

fn whole(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Provisioned throughput: `400 RU/s`, `autoscale to 4000 RU/s`.
fn throughput(usage: Option<&Usage>) -> String {
    match usage.map(|u| (u.throughput_ru, u.throughput_max_ru)) {
        Some((Some(ru), Some(max))) => format!("{ru} RU/s, autoscale to {max}"),
        Some((None, Some(max))) => format!("autoscale to {max} RU/s"),
        Some((Some(ru), None)) => format!("{ru} RU/s"),
        _ => "-".to_string(),
    }
}

/// Used and limit, as a person reads them: `1.2 GiB of 2 GiB (60%)`.
fn memory_words(used: Option<u64>, limit: Option<u64>, ratio: Option<f64>) -> String {
    match (used, limit) {
        (Some(used), Some(limit)) => format!(
            "{} of {}{}",
            ByteSize(used),
            ByteSize(limit),
            ratio.map_or(String::new(), |r| format!(" ({:.0}%)", r * 100.0))
        ),
        (Some(used), None) => format!("{} used, no limit known", ByteSize(used)),
        (None, Some(limit)) => format!("? of {}", ByteSize(limit)),
        (None, None) => "-".to_string(),
    }
}

/// A database's memory figures: its usage's, else the limit from its record.
fn memory_of(db: &Database, usage: Option<&Usage>) -> (Option<u64>, Option<u64>, Option<f64>) {
    (
        usage.and_then(|u| u.memory_used_bytes),
        usage
            .and_then(|u| u.memory_limit_bytes)
            .or(db.memory_limit_bytes),
        usage.and_then(|u| u.memory_used_ratio),
    )
}

/// Every profile's databases in the provider's order, then by profile.
fn ordered(profiles: &[Observed]) -> Vec<&Observed> {
    let mut ordered: Vec<&Observed> = profiles.iter().collect();
    ordered.sort_by(|a, b| (a.provider, &a.profile).cmp(&(b.provider, &b.profile)));
    ordered
}

const STYLE: &str = "
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--ok:#1a7f37;--warning:#9a6700;--error:#cf222e;--track:#e6eaef}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--ok:#3fb950;--warning:#d29922;--error:#f85149;--track:#2a313c}}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1280px;padding:24px}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:17px;margin:32px 0 8px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:13px;margin:14px 0 4px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.muted{color:var(--muted)}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:22px;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:middle;overflow-wrap:anywhere}
th{font-weight:600;color:var(--muted);font-size:12px;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.mem{white-space:nowrap;min-width:260px}
td.id,td.region{white-space:nowrap}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;border:1px solid currentColor;white-space:nowrap}
.ok{color:var(--ok)}.warning{color:var(--warning)}.error{color:var(--error)}.other{color:var(--muted)}
svg.bar{vertical-align:middle;margin-right:8px}
svg.bar .track{fill:var(--track)}svg.bar .ok{fill:var(--ok)}svg.bar .warning{fill:var(--warning)}svg.bar .error{fill:var(--error)}
ul.unread li{margin:2px 0}
footer{margin-top:32px;font-size:12px}
";

/// The report as one self-contained HTML page.
pub fn html(report: &Report) -> String {
    let mut page = String::with_capacity(16 * 1024 + report.databases() * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>dbctl fleet report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>Fleet report</h1>\n\
         <p class=\"muted\">Taken {} by dbctl {}</p>\n</header>\n",
        html_text(report.taken),
        env!("CARGO_PKG_VERSION")
    );
    let unread = report.unread();
    let _ = write!(
        page,
        "<section class=\"cards\">\n<div class=\"card\"><b>{}</b>databases</div>\n\
         <div class=\"card\"><b>{}</b>profiles</div>\n\
         <div class=\"card error\"><b>{}</b>errors</div>\n\
         <div class=\"card warning\"><b>{}</b>warnings</div>\n",
        report.databases(),
        report.profiles.len(),
        report.count(Severity::Error),
        report.count(Severity::Warning)
    );
    if let Some((_, drift)) = report.drift {
        let _ = writeln!(
            page,
            "<div class=\"card\"><b>{}</b>differences from the spec</div>",
            drift.len()
        );
    }
    if !unread.is_empty() {
        let _ = writeln!(
            page,
            "<div class=\"card error\"><b>{}</b>not read</div>",
            unread.len()
        );
    }
    page.push_str("</section>\n");
    for observed in ordered(report.profiles) {
        html_profile(&mut page, report, observed);
    }
    if let Some((spec, drift)) = report.drift {
        html_drift(&mut page, spec, drift);
    }
    if !unread.is_empty() {
        page.push_str("<section>\n<h2>Not read</h2>\n<ul class=\"unread\">\n");
        for line in &unread {
            let _ = writeln!(page, "<li class=\"error\">{}</li>", html_text(line));
        }
        page.push_str("</ul>\n</section>\n");
    }
    page.push_str(
        "<footer class=\"muted\">Memory bars: used of the limit; figures the provider does not give show as -.</footer>\n</body>\n</html>\n",
    );
    page
}

/// A status as a coloured badge.
fn status_class(status: Status) -> &'static str {
    match status {
        Status::Active => "ok",
        Status::Pending => "warning",
        Status::Failed | Status::Suspended | Status::Deleting => "error",
        Status::Unknown => "other",
    }
}

fn html_profile(page: &mut String, report: &Report, observed: &Observed) {
    let _ = write!(
        page,
        "<section>\n<h2>{} <span class=\"muted\">· {} · {} database{}</span></h2>\n",
        html_text(&observed.profile),
        observed.provider,
        observed.databases.len(),
        if observed.databases.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    if let Some(error) = &observed.error {
        let _ = writeln!(
            page,
            "<p class=\"error\">Not read: {}</p>",
            html_text(error)
        );
    }
    if !observed.databases.is_empty() {
        page.push_str(
            "<table>\n<thead><tr><th>Name</th><th>ID</th><th>Status</th><th>Region</th>\
             <th>Memory used of limit</th><th>Ops/s</th><th>Connections</th><th>Throughput</th></tr></thead>\n<tbody>\n",
        );
        for (db, usage) in &observed.databases {
            let usage = usage.as_ref();
            let (used, limit, ratio) = memory_of(db, usage);
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td class=\"id\">{}</td><td><span class=\"badge {}\">{}</span></td><td class=\"region\">{}</td>\
                 <td class=\"mem\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                html_text(&db.name),
                html_text(&db.id),
                status_class(db.status),
                db.status,
                html_text(db.region.as_deref().unwrap_or("-")),
                bar(report, ratio),
                html_text(&memory_words(used, limit, ratio)),
                figure(usage.and_then(|u| u.ops_per_sec)),
                whole(usage.and_then(|u| u.connections)),
                html_text(&throughput(usage)),
            );
        }
        page.push_str("</tbody>\n</table>\n");
    }
    if !observed.findings.is_empty() {
        page.push_str("<h3>Findings</h3>\n");
        // The severity (a word of ours) as a badge of its colour.
        let badged = |column: usize, cell: &str| match column {
            0 => format!("<span class=\"badge {0}\">{0}</span>", html_text(cell)),
            _ => html_text(cell),
        };
        html_table(
            page,
            FINDING_COLUMNS,
            &finding_rows(&observed.findings),
            badged,
        );
    }
    page.push_str("</section>\n");
}

/// A table of `rows` under `columns`, each cell written by `cell(column, text)`.
fn html_table(
    page: &mut String,
    columns: &[&str],
    rows: &[Vec<String>],
    cell: impl Fn(usize, &str) -> String,
) {
    page.push_str("<table>\n<thead><tr>");
    for column in columns {
        let _ = write!(page, "<th>{}</th>", html_text(column));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        page.push_str("<tr>");
        for (column, text) in row.iter().enumerate() {
            let _ = write!(page, "<td>{}</td>", cell(column, text));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n");
}

const FINDING_COLUMNS: &[&str] = &["Severity", "Rule", "Database", "Message"];

/// Each finding's cells, as text, for either format.
fn finding_rows(findings: &[Finding]) -> Vec<Vec<String>> {
    findings
        .iter()
        .map(|f| {
            vec![
                f.severity.to_string(),
                f.rule.clone(),
                format!("{} ({})", f.name, f.database_id),
                f.message.clone(),
            ]
        })
        .collect()
}

const DRIFT_COLUMNS: &[&str] = &["Action", "Profile", "Name", "ID", "Changes"];

/// Each difference's cells, as text, for either format.
fn drift_rows(drift: &[Drift]) -> Vec<Vec<String>> {
    drift
        .iter()
        .map(|d| {
            vec![
                d.action.clone(),
                d.profile.clone(),
                d.name.clone(),
                d.id.clone().unwrap_or_else(|| "-".into()),
                changes_text(&d.changes),
            ]
        })
        .collect()
}

/// Memory used of the limit as an inline SVG bar, coloured as the memory rule would judge it.
fn bar(report: &Report, ratio: Option<f64>) -> String {
    const WIDTH: f64 = 120.0;
    let Some(ratio) = ratio.filter(|r| r.is_finite()) else {
        return String::new();
    };
    let used = (ratio.clamp(0.0, 1.0) * WIDTH * 10.0).round() / 10.0;
    format!(
        "<svg class=\"bar\" width=\"120\" height=\"10\" viewBox=\"0 0 120 10\" role=\"img\" aria-label=\"{:.0}% of the memory limit used\">\
         <rect class=\"track\" width=\"120\" height=\"10\" rx=\"3\"/><rect class=\"{}\" width=\"{used:.1}\" height=\"10\" rx=\"3\"/></svg>",
        ratio * 100.0,
        report.level(ratio)
    )
}

fn html_drift(page: &mut String, spec: &str, drift: &[Drift]) {
    let _ = writeln!(page, "<section>\n<h2>Drift from {}</h2>", html_text(spec));
    if drift.is_empty() {
        page.push_str(
            "<p class=\"ok\">No differences: the fleet matches the spec.</p>\n</section>\n",
        );
        return;
    }
    html_table(page, DRIFT_COLUMNS, &drift_rows(drift), |_, text| {
        html_text(text)
    });
    page.push_str("</section>\n");
}

/// `memory: 1 GiB → 2 GiB; tls: false → true`.
fn changes_text(changes: &[(String, String, String)]) -> String {
    if changes.is_empty() {
        return "-".to_string();
    }
    changes
        .iter()
        .map(|(field, from, to)| format!("{field}: {from} → {to}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The report in GitHub Flavored Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "# Fleet report\n\nTaken {} by dbctl {}: **{} databases** in {} profiles; {} errors, {} warnings",
        markdown_text(report.taken),
        markdown_text(env!("CARGO_PKG_VERSION")),
        report.databases(),
        report.profiles.len(),
        report.count(Severity::Error),
        report.count(Severity::Warning)
    );
    if let Some((_, drift)) = report.drift {
        let _ = write!(out, "; {} differences from the spec", drift.len());
    }
    out.push_str(".\n");
    for observed in ordered(report.profiles) {
        let _ = write!(
            out,
            "\n## {} · {}\n\n",
            markdown_text(&observed.profile),
            observed.provider
        );
        if let Some(error) = &observed.error {
            let _ = writeln!(out, "Not read: {}\n", markdown_text(error));
        }
        if !observed.databases.is_empty() {
            out.push_str("| Name | ID | Status | Region | Memory used of limit | Ops/s | Connections | Throughput |\n");
            out.push_str("| --- | --- | --- | --- | --- | ---: | ---: | --- |\n");
            for (db, usage) in &observed.databases {
                let usage = usage.as_ref();
                let (used, limit, ratio) = memory_of(db, usage);
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {}{} | {} | {} | {} |",
                    markdown_text(&db.name),
                    markdown_text(&db.id),
                    db.status,
                    markdown_text(db.region.as_deref().unwrap_or("-")),
                    text_bar(ratio),
                    markdown_text(&memory_words(used, limit, ratio)),
                    markdown_text(&figure(usage.and_then(|u| u.ops_per_sec))),
                    whole(usage.and_then(|u| u.connections)),
                    markdown_text(&throughput(usage)),
                );
            }
        }
        if !observed.findings.is_empty() {
            out.push('\n');
            out.push_str(&super::markdown::table(
                FINDING_COLUMNS,
                &finding_rows(&observed.findings),
                false,
            ));
        }
    }
    if let Some((spec, drift)) = report.drift {
        let _ = write!(out, "\n## Drift from {}\n\n", markdown_text(spec));
        if drift.is_empty() {
            out.push_str("No differences: the fleet matches the spec.\n");
        } else {
            out.push_str(&super::markdown::table(
                DRIFT_COLUMNS,
                &drift_rows(drift),
                false,
            ));
        }
    }
    let unread = report.unread();
    if !unread.is_empty() {
        out.push_str("\n## Not read\n\n");
        for line in &unread {
            let _ = writeln!(out, "- {}", markdown_text(line));
        }
    }
    out
}

/// Memory used of the limit as ten blocks, for Markdown: `▰▰▰▱▱▱▱▱▱▱ `.
fn text_bar(ratio: Option<f64>) -> String {
    let Some(ratio) = ratio.filter(|r| r.is_finite()) else {
        return String::new();
    };
    let full = (ratio.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!("{}{} ", "▰".repeat(full), "▱".repeat(10 - full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_text_in_html_and_markdown() {
        let hostile = "<script>alert(1)</script>\" onmouseover='x' javascript:alert(1) </style>{}\u{1b}[2J\n::error::x ##[group]";
        let html = html_text(hostile);
        assert_eq!(
            html,
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&#39;x&#39; javascript:alert(1) &lt;/style&gt;{}\\x1b[2J\\n\\x3a:error::x \\x23#[group]"
        );
        let md = markdown_text(hostile);
        assert!(!md.contains('\n') && !md.contains("##["));
        assert!(md
            .match_indices(['<', '[', '('])
            .all(|(at, _)| md[..at].ends_with('\\')));
        assert!(
            md.starts_with("\\<script\\>alert\\(1\\)\\</script\\>"),
            "{md}"
        );
        assert!(crate::sanitize::is_inert(&md) && crate::sanitize::is_inert(&html));
    }

    #[test]
    fn bars_follow_the_memory_thresholds() {
        let report = Report {
            taken: "t",
            profiles: &[],
            drift: None,
            warn: 0.8,
            error: 0.95,
        };
        assert!(bar(&report, Some(0.5)).contains("class=\"ok\" width=\"60.0\""));
        assert!(bar(&report, Some(0.9)).contains("class=\"warning\""));
        assert!(bar(&report, Some(1.7)).contains("class=\"error\" width=\"120.0\""));
        assert_eq!(bar(&report, None), "");
        assert_eq!(text_bar(Some(0.42)), "▰▰▰▰▱▱▱▱▱▱ ");
    }
}
