//! `report [-f SPEC] [-o html|markdown]`: the fleet as one self-contained page.
use std::path::Path;

use serde_json::Value;

use super::{check, observe, App};
use crate::cli::ReportArgs;
use crate::error::Result;
use crate::output::report::{self, Drift, Report};
use crate::output::Page;

pub async fn run(app: &App, args: &ReportArgs) -> Result<()> {
    check::check_thresholds(&args.memory)?;
    let html = app.out.page()? == Page::Html;
    let profiles = app.select(&args.fleet.providers, &args.fleet.profiles)?;
    let mut gathered = observe::gather(app, &profiles, &app.shared, &args.memory).await?;
    let observed = observe::observed(&profiles, &mut gathered);
    let drift = match &args.file {
        Some(file) => Some((spec_name(file), drift(app, file).await?)),
        None => None,
    };
    let taken = crate::model::now_rfc3339();
    let report = Report {
        taken: &taken,
        profiles: &observed,
        drift: drift
            .as_ref()
            .map(|(name, d)| (name.as_str(), d.as_slice())),
        warn: args.memory.warn,
        error: args.memory.error,
    };
    app.print(&if html {
        report::html(&report)
    } else {
        report::markdown(&report)
    })?;
    // Exit 12 after the page when a profile or a database could not be read.
    gathered.finish(app.json())
}

fn spec_name(file: &Path) -> String {
    if file == Path::new("-") {
        "the spec on stdin".to_string()
    } else {
        file.display().to_string()
    }
}

/// What differs from the spec, as `plan -f` says it (every profile the spec declares).
async fn drift(app: &App, file: &Path) -> Result<Vec<Drift>> {
    let records = super::desired::plan_records(app, file).await?;
    Ok(records.iter().map(drift_of).collect())
}

/// One `plan` record (`{action, profile, name, id, changes:[{field, from, to}]}`).
fn drift_of(record: &Value) -> Drift {
    let text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    };
    let field = |name: &str| record.get(name).map(text).unwrap_or_default();
    Drift {
        action: field("action"),
        profile: field("profile"),
        name: field("name"),
        id: record.get("id").filter(|v| !v.is_null()).map(text),
        changes: record
            .get("changes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|change| {
                let part = |name: &str| change.get(name).map(text).unwrap_or_default();
                (part("field"), part("from"), part("to"))
            })
            .collect(),
    }
}
