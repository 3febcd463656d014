//! `check`: rules over the fleet, findings as a list or JUnit XML, exit 13 when a finding is at
//! least `--fail-on`.
use futures::stream::{self, StreamExt};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use clap::ValueEnum;

use super::watch::{self, Frame};
use super::App;
use crate::cli::{CheckArgs, CheckFormat, MemoryThresholds};
use crate::error::{Error, ErrorKind, Result};
use crate::fleet::Gathered;
use crate::model::{ByteSize, Database, Status};
use crate::model::{Finding, Rule, Severity, Usage};
use crate::provider::registry::Registered;
use crate::provider::{Operation, Provider};
use crate::sanitize::escape_controls;

/// What one rule made of one database.
enum Outcome {
    Pass,
    /// The provider does not say (or has no such setting).
    Skip(&'static str),
    Fail(Severity, String),
}

/// One database and what the rules need of it.
pub(super) struct Subject {
    pub db: Database,
    pub usage: Option<Usage>,
    /// With `--ping`: whether it answered.
    reached: Option<std::result::Result<(), String>>,
}

pub async fn run(app: &App, args: &CheckArgs) -> Result<()> {
    let rules = rules(args)?;
    if args.format.is_some() && args.list.watch.watch {
        return Err(Error::usage(
            "--watch shows findings as -o does; it cannot be combined with --format junit",
        ));
    }
    watch::run(app, &args.list.watch, || frame(app, args, &rules)).await
}

/// One pass of every rule over the fleet: the findings (or JUnit XML), then exit 13 when a
/// finding is at `--fail-on` or above, else exit 12 when something could not be read.
async fn frame(app: &App, args: &CheckArgs, rules: &[Rule]) -> Result<Frame> {
    let gathered = gather(app, args, rules).await?;
    let report = outcomes(&gathered.items, rules, &args.memory);
    let findings = findings(&report);

    let text = match args.format {
        Some(CheckFormat::Junit) => junit(&report, gathered.failures())?,
        None => app.out.list(&findings)?,
    };
    let failing = findings
        .iter()
        .filter(|f| f.severity >= args.fail_on)
        .count();
    let (json, fail_on) = (app.json(), args.fail_on);
    Ok(Frame::then(text, move || {
        let partial = gathered.finish(json);
        if failing == 0 {
            return partial;
        }
        // Exit 13 wins, and still says which profiles were not checked.
        let incomplete = partial
            .err()
            .map(|e| format!("; {}", e.message))
            .unwrap_or_default();
        Err(Error::new(
            ErrorKind::NotAsExpected,
            format!(
                "{failing} finding{} at {fail_on} or above{incomplete}",
                if failing == 1 { "" } else { "s" },
            ),
        ))
    }))
}

/// The findings of the rules `args` asks for over the databases it selects, and what could
/// not be read (the MCP server's `check`).
#[cfg(feature = "mcp")]
pub(crate) async fn fleet_findings(
    app: &App,
    args: &CheckArgs,
) -> Result<(Vec<Finding>, Vec<Error>)> {
    let rules = rules(args)?;
    let gathered = gather(app, args, &rules).await?;
    let findings = findings_of(&gathered.items, &rules, &args.memory);
    Ok((findings, gathered.failures().to_vec()))
}

/// The selected databases with what the rules need of them.
async fn gather(app: &App, args: &CheckArgs, rules: &[Rule]) -> Result<Gathered<Subject>> {
    let need_usage = rules.contains(&Rule::Memory);
    let ping = rules.contains(&Rule::Reachable);
    let live = args.list.live;
    app.gather(
        &args.list,
        |s: &Subject| &s.db,
        |provider, databases| async move {
            subjects(app, provider.as_ref(), databases, need_usage, ping, live).await
        },
    )
    .await
}

/// What every rule made of every database, rule by rule.
type Outcomes<'a> = Vec<(Rule, Vec<(&'a Subject, Outcome)>)>;

fn outcomes<'a>(
    subjects: &'a [Subject],
    rules: &[Rule],
    memory: &MemoryThresholds,
) -> Outcomes<'a> {
    rules
        .iter()
        .map(|rule| {
            let outcomes = subjects
                .iter()
                .map(|s| (s, evaluate(*rule, s, memory)))
                .collect();
            (*rule, outcomes)
        })
        .collect()
}

/// The findings of `rules` over `subjects`, as `check` lists them.
pub(super) fn findings_of(
    subjects: &[Subject],
    rules: &[Rule],
    memory: &MemoryThresholds,
) -> Vec<Finding> {
    findings(&outcomes(subjects, rules, memory))
}

/// Every failed outcome as a finding, rule by rule.
fn findings(report: &Outcomes) -> Vec<Finding> {
    report
        .iter()
        .flat_map(|(rule, outcomes)| {
            outcomes
                .iter()
                .filter_map(move |(s, outcome)| match outcome {
                    Outcome::Fail(severity, message) => Some(Finding {
                        rule: rule.as_str().to_string(),
                        severity: *severity,
                        provider: s.db.provider,
                        profile: s.db.profile.clone(),
                        database_id: s.db.id.clone(),
                        name: s.db.name.clone(),
                        message: message.clone(),
                    }),
                    _ => None,
                })
        })
        .collect()
}

/// The rules that need no `--ping`: what `check` applies by default. The rules are the
/// variants of `Rule` (clap lists them in `--help`).
pub(super) fn default_rules() -> Vec<Rule> {
    Rule::value_variants()
        .iter()
        .copied()
        .filter(|rule| !needs_ping(*rule))
        .collect()
}

/// `--memory-warn` must not be above `--memory-error`.
pub(super) fn check_thresholds(memory: &MemoryThresholds) -> Result<()> {
    if memory.warn > memory.error {
        return Err(Error::usage(format!(
            "--memory-warn ({}) is above --memory-error ({})",
            memory.warn, memory.error
        )));
    }
    Ok(())
}

/// The rules asked for (default: every rule that needs no `--ping`; `reachable` only with
/// `--ping`), in a stable order.
fn rules(args: &CheckArgs) -> Result<Vec<Rule>> {
    check_thresholds(&args.memory)?;
    let mut rules = if args.rules.is_empty() {
        default_rules()
    } else {
        args.rules.clone()
    };
    if args.ping {
        rules.extend(
            Rule::value_variants()
                .iter()
                .copied()
                .filter(|r| needs_ping(*r)),
        );
    } else if let Some(rule) = rules.iter().find(|r| needs_ping(**r)) {
        return Err(Error::usage(format!(
            "the {} rule needs --ping",
            rule.as_str()
        )));
    }
    rules.sort();
    rules.dedup();
    Ok(rules)
}

/// A rule that probes every database's data plane, run only with `--ping`.
fn needs_ping(rule: Rule) -> bool {
    rule == Rule::Reachable
}

/// A provider's databases with their usage (when a rule needs it and the provider has it) and
/// reachability (with `--ping`); figures that fail are named as failures, the rest checked.
pub(super) async fn subjects(
    app: &App,
    provider: &dyn Provider,
    databases: Vec<Database>,
    need_usage: bool,
    ping: bool,
    live: bool,
) -> Result<(Vec<Subject>, Vec<Error>)> {
    let (pairs, failures) = if need_usage && provider.kind().supports(Operation::Usage) {
        super::db::stats::usages(app, provider, databases, live).await?
    } else {
        (
            databases.into_iter().map(|db| (db, None)).collect(),
            Vec::new(),
        )
    };
    let mut reached: Vec<Option<std::result::Result<(), String>>> = vec![None; pairs.len()];
    if ping {
        // As each answers: a slow endpoint holds up no other database's probe.
        let mut probes = stream::iter(pairs.iter().enumerate().map(|(i, (db, _))| async move {
            (i, super::db::ping::reach(app, provider, db).await)
        }))
        .buffer_unordered(crate::context::MAX_DATA_PLANE);
        while let Some((i, answer)) = probes.next().await {
            reached[i] = Some(answer);
        }
    }
    let subjects = pairs
        .into_iter()
        .zip(reached)
        .map(|((db, usage), reached)| Subject { db, usage, reached })
        .collect();
    Ok((subjects, failures))
}

fn evaluate(rule: Rule, subject: &Subject, memory: &MemoryThresholds) -> Outcome {
    let db = &subject.db;
    let switch = |on: Option<bool>, off: &str| match on {
        Some(true) => Outcome::Pass,
        Some(false) => Outcome::Fail(Severity::Warning, off.to_string()),
        None => Outcome::Skip("the provider does not say"),
    };
    match rule {
        Rule::Status => match db.status {
            Status::Active => Outcome::Pass,
            Status::Pending => Outcome::Fail(Severity::Warning, "status is pending".into()),
            other => Outcome::Fail(
                Severity::Error,
                match &db.provider_status {
                    Some(word) if !word.eq_ignore_ascii_case(other.as_str()) => {
                        format!("status is {other} ({word})")
                    }
                    _ => format!("status is {other}"),
                },
            ),
        },
        Rule::Tls => switch(db.tls, "TLS is off"),
        Rule::Backups => switch(db.facts.backups, "no scheduled backups"),
        Rule::Persistence => switch(db.facts.persistence, "data persistence is off"),
        Rule::Memory => {
            let Some(usage) = &subject.usage else {
                return Outcome::Skip("no usage figures");
            };
            let Some(ratio) = usage.memory_used_ratio else {
                return Outcome::Skip("no memory figures");
            };
            let severity = if ratio >= memory.error {
                Severity::Error
            } else if ratio >= memory.warn {
                Severity::Warning
            } else {
                return Outcome::Pass;
            };
            let threshold = match severity {
                Severity::Error => memory.error,
                Severity::Warning => memory.warn,
            };
            Outcome::Fail(
                severity,
                format!(
                    "memory {:.1}% used ({} of {}), at or over {:.0}%",
                    ratio * 100.0,
                    usage
                        .memory_used_bytes
                        .map(ByteSize)
                        .map(|b| b.to_string())
                        .unwrap_or_default(),
                    usage
                        .memory_limit_bytes
                        .map(ByteSize)
                        .map(|b| b.to_string())
                        .unwrap_or_default(),
                    threshold * 100.0
                ),
            )
        }
        Rule::Reachable => match &subject.reached {
            Some(Ok(())) => Outcome::Pass,
            Some(Err(message)) => Outcome::Fail(Severity::Error, format!("unreachable: {message}")),
            None => Outcome::Skip("not pinged"),
        },
    }
}

/// JUnit XML: one testsuite per rule, one testcase per database, a failure per finding, and
/// a `read` testsuite with an error per profile or database that could not be read (exit 12).
/// Every text is escaped as in a table, so the document is well-formed XML 1.0 and inert in a
/// CI log.
fn junit(report: &Outcomes, unread: &[Error]) -> Result<String> {
    let text = |s: &str| escape_controls(s).into_owned();
    let mut junit = Report::new("dbctl check");
    for (rule, outcomes) in report {
        let mut suite = TestSuite::new(rule.as_str());
        for (subject, outcome) in outcomes {
            let db = &subject.db;
            let status = match outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Skip(why) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(*why);
                    status
                }
                Outcome::Fail(severity, message) => {
                    // Warnings fail too: `--fail-on` decides the exit code, not the report.
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(text(message));
                    status.set_type(severity.to_string());
                    status
                }
            };
            let mut case = TestCase::new(text(&format!("{} ({})", db.id, db.name)), status);
            case.set_classname(text(&format!("{}.{}", db.provider, db.profile)));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    if !unread.is_empty() {
        let mut suite = TestSuite::new("read");
        for error in unread {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(text(&error.message));
            status.set_type(error.kind.as_str());
            let profile = error.profile.as_deref().unwrap_or("?");
            let mut case = TestCase::new(text(profile), status);
            if let Some(provider) = error.provider {
                case.set_classname(text(&format!("{provider}.{profile}")));
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit
        .to_string()
        .map(|xml| xml + "\n")
        .map_err(|e| Error::internal(format!("cannot render JUnit XML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule's name in findings and JUnit is its `--rule` value.
    #[test]
    fn a_rule_is_named_as_rule_takes_it() {
        for rule in Rule::value_variants() {
            let value = rule.to_possible_value().unwrap();
            assert_eq!(value.get_name(), rule.as_str());
        }
    }
}
