//! `apply -f FILE`: the plan, a confirmation, then the creates and updates (and, when the
//! spec or `--prune` prunes, the deletes), each followed to completion, stopping at the first
//! failure.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use super::field::SpecField;
use super::plan::{Action, Verb};
use super::{differences, render, App};
use crate::cli::ApplyArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::output::{Color, Column, Give, Record};
use crate::provider::registry::Registered;
use crate::provider::{Change, CreateRequest, Managed, Provider, UpdateRequest};

/// What became of one planned change; JSON: `{action, profile, name, id, result, error}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Outcome {
    /// `create`, `update` or `delete`.
    action: &'static str,
    profile: String,
    name: String,
    id: Option<String>,
    /// `done`, `failed` or `not done`.
    result: &'static str,
    error: Option<String>,
}

pub async fn run(app: &App, args: &ApplyArgs) -> Result<()> {
    if app.demo && !args.dry_run {
        crate::say!(
            "note: --demo starts the emulator afresh on every run; changes made here are not kept"
        );
    }
    let actions = differences(app, &args.file, &args.fleet, &args.scope).await?;
    let file = super::spec::origin(&args.file);
    let work = changes(&actions, Verb::Create, Verb::Update);
    let prune = changes(&actions, Verb::Delete, Verb::Delete);
    let unmanaged = changes(&actions, Verb::Unmanaged, Verb::Unmanaged).len();
    let touched: Vec<&Action> = work.iter().chain(&prune).copied().collect();
    let providers = providers(app, &touched)?;
    let concurrency = args.concurrency as usize;
    if args.dry_run {
        // What apply would refuse, this refuses too.
        validate(&providers, &touched, concurrency).await?;
        return match refuse_replacements(&actions) {
            Ok(()) => app.print(&render(&app.out, &actions, &file)?),
            Err(refused) => {
                show_plan(app, &actions, &file)?;
                Err(refused)
            }
        };
    }
    show_plan(app, &actions, &file)?;
    refuse_replacements(&actions)?;
    if unmanaged > 0 {
        crate::say!(
            "{unmanaged} unmanaged database{} left alone (`prune = true` in the spec, or --prune, deletes {})",
            if unmanaged == 1 { "" } else { "s" },
            if unmanaged == 1 { "it" } else { "them" }
        );
    }
    if touched.is_empty() {
        crate::say!("nothing to change");
        return app.print(&app.out.list_or::<Outcome>(&[], Some(""))?);
    }
    validate(&providers, &touched, concurrency).await?;
    let apply_what = format!(
        "apply {} change{}",
        work.len(),
        if work.len() == 1 { "" } else { "s" }
    );
    let delete_what = format!(
        "delete {} database{} not in the spec",
        prune.len(),
        if prune.len() == 1 { "" } else { "s" }
    );
    // A refusal (no --yes, no terminal) names everything that was not done.
    let refused_what = match (work.is_empty(), prune.is_empty()) {
        (false, false) => format!("{apply_what} and {delete_what}"),
        (false, true) => apply_what.clone(),
        _ => delete_what.clone(),
    };
    if !work.is_empty() {
        app.ask(
            args.yes,
            &refused_what,
            &format!("This will {apply_what}. Type yes to confirm: "),
            "yes",
        )?;
    }
    if !prune.is_empty() {
        let n = prune.len();
        let names: Vec<String> = prune
            .iter()
            .map(|a| format!("{}/{}", a.profile, a.name))
            .collect();
        app.ask(
            args.yes,
            &refused_what,
            &format!(
                "This will {delete_what} ({}). Type `delete {n}` to confirm: ",
                names.join(", ")
            ),
            &format!("delete {n}"),
        )?;
    }

    let timeout = Duration::from_secs_f64(args.wait_timeout);
    let (rows, first_error) = carry_out(app, &providers, &work, &prune, concurrency, timeout).await;
    app.print(
        &app.out
            .titled_list("dbctl apply results", &rows, None, "")?,
    )?;
    match first_error {
        None => Ok(()),
        Some(error) => {
            let count = |r: &str| rows.iter().filter(|o| o.result == r).count();
            crate::say!(
                "apply stopped at the first failure: {} done, {} failed, {} not done",
                count("done"),
                count("failed"),
                count("not done")
            );
            Err(error)
        }
    }
}

/// The creates and updates, then the deletes, each followed to the end; once one fails, no
/// other starts. Each planned change's outcome, and the first failure.
async fn carry_out(
    app: &App,
    providers: &HashMap<String, Box<dyn Provider>>,
    work: &[&Action],
    prune: &[&Action],
    concurrency: usize,
    timeout: Duration,
) -> (Vec<Outcome>, Option<Error>) {
    let failed = AtomicBool::new(false);
    let mut outcomes = execute(app, providers, work, concurrency, timeout, &failed).await;
    if !failed.load(Ordering::SeqCst) {
        outcomes.extend(execute(app, providers, prune, concurrency, timeout, &failed).await);
    } else {
        outcomes.extend(prune.iter().map(|a| (not_done(a), None)));
    }
    let mut first_error = None;
    let mut rows = Vec::with_capacity(outcomes.len());
    for (outcome, error) in outcomes {
        if first_error.is_none() {
            first_error = error;
        }
        rows.push(outcome);
    }
    (rows, first_error)
}

/// A plan checked as `apply` checks it (nothing to replace, every change through the
/// provider's dry run), for a caller with no terminal to ask on: the MCP server, which
/// decides itself whether the deletes may go ahead.
#[cfg(feature = "mcp")]
pub(crate) struct Checked {
    actions: Vec<Action>,
    concurrency: usize,
    providers: HashMap<String, Box<dyn Provider>>,
}

#[cfg(feature = "mcp")]
impl Checked {
    pub(crate) async fn new(
        app: &App,
        actions: Vec<Action>,
        concurrency: usize,
    ) -> Result<Checked> {
        refuse_replacements(&actions)?;
        let mut checked = Checked {
            actions,
            concurrency,
            providers: HashMap::new(),
        };
        let touched: Vec<&Action> = checked
            .work()
            .into_iter()
            .chain(checked.deletes())
            .collect();
        let providers = providers(app, &touched)?;
        validate(&providers, &touched, concurrency).await?;
        checked.providers = providers;
        Ok(checked)
    }

    /// The creates and updates.
    pub(crate) fn work(&self) -> Vec<&Action> {
        changes(&self.actions, Verb::Create, Verb::Update)
    }

    /// The deletes (a spec or a caller that prunes).
    pub(crate) fn deletes(&self) -> Vec<&Action> {
        changes(&self.actions, Verb::Delete, Verb::Delete)
    }

    /// Every change made, without asking, as `apply --yes` makes them.
    pub(crate) async fn carry_out(
        &self,
        app: &App,
        timeout: Duration,
    ) -> (Vec<Outcome>, Option<Error>) {
        let (work, deletes) = (self.work(), self.deletes());
        carry_out(
            app,
            &self.providers,
            &work,
            &deletes,
            self.concurrency,
            timeout,
        )
        .await
    }
}

/// The plan for people: on stdout for a table or Markdown, on stderr when stdout is a
/// document (which is then the results, or nothing on an error).
fn show_plan(app: &App, actions: &[Action], file: &str) -> Result<()> {
    app.out.preview(|out| render(out, actions, file))
}

/// `apply` does not replace databases: a plan with a field that cannot change in place is
/// refused whole, before any change.
fn refuse_replacements(actions: &[Action]) -> Result<()> {
    let replace: Vec<String> = actions
        .iter()
        .filter(|a| a.action == Verb::NotInPlace)
        .map(|a| format!("{}/{}", a.profile, a.name))
        .collect();
    if replace.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "{} differ{} in fields their provider cannot change in place ({}); nothing was changed",
        replace.len(),
        if replace.len() == 1 { "s" } else { "" },
        replace.join(", ")
    ))
    .with_hint("dbctl does not replace databases: change the spec to match, or delete and recreate by hand"))
}

/// The planned actions of either kind.
fn changes(actions: &[Action], one: Verb, other: Verb) -> Vec<&Action> {
    actions
        .iter()
        .filter(|a| a.action == one || a.action == other)
        .collect()
}

/// One provider for each profile the actions touch.
fn providers(app: &App, actions: &[&Action]) -> Result<HashMap<String, Box<dyn Provider>>> {
    let mut providers = HashMap::new();
    for action in actions {
        if !providers.contains_key(&action.profile) {
            let profile = app
                .config
                .profiles
                .iter()
                .find(|p| p.name == action.profile)
                .ok_or_else(|| Error::internal("a planned profile disappeared"))?;
            providers.insert(action.profile.clone(), app.build(profile)?);
        }
    }
    Ok(providers)
}

/// Runs the changes, at most `concurrency` at once; once one fails, no other starts.
async fn execute(
    app: &App,
    providers: &HashMap<String, Box<dyn Provider>>,
    actions: &[&Action],
    concurrency: usize,
    timeout: Duration,
    failed: &AtomicBool,
) -> Vec<(Outcome, Option<Error>)> {
    futures::stream::iter(actions.iter().copied())
        .map(|action| async move {
            let provider = match providers.get(&action.profile) {
                Some(provider) if !failed.load(Ordering::SeqCst) => provider,
                _ => return (not_done(action), None),
            };
            let what = format!(
                "{} database {:?} in profile {}",
                action.provider, action.name, action.profile
            );
            crate::say!("{} {what}", progressive(action.action));
            match step(app, provider.as_ref(), action, timeout).await {
                Ok(id) => {
                    crate::say!("{} {what}", past(action.action));
                    let id = id.or_else(|| action.id.clone());
                    (outcome(action, id, "done", None), None)
                }
                Err(error) => {
                    failed.store(true, Ordering::SeqCst);
                    let error = error.with_origin(action.provider, &action.profile);
                    let text = Some(error.message.clone());
                    (
                        outcome(action, action.id.clone(), "failed", text),
                        Some(error),
                    )
                }
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

fn progressive(verb: Verb) -> &'static str {
    match verb {
        Verb::Create => "creating",
        Verb::Update => "updating",
        Verb::NotInPlace | Verb::Delete | Verb::Unmanaged => "deleting",
    }
}

fn past(verb: Verb) -> &'static str {
    match verb {
        Verb::Create => "created",
        Verb::Update => "updated",
        Verb::NotInPlace | Verb::Delete | Verb::Unmanaged => "deleted",
    }
}

/// What `apply` does for a planned action.
fn verb(verb: Verb) -> &'static str {
    match verb {
        Verb::Create => "create",
        Verb::Update => "update",
        Verb::NotInPlace | Verb::Delete | Verb::Unmanaged => "delete",
    }
}

fn outcome(
    action: &Action,
    id: Option<String>,
    result: &'static str,
    error: Option<String>,
) -> Outcome {
    Outcome {
        action: verb(action.action),
        profile: action.profile.clone(),
        name: action.name.clone(),
        id,
        result,
        error,
    }
}

fn not_done(action: &Action) -> Outcome {
    outcome(action, action.id.clone(), "not done", None)
}

/// One change, followed to the end; the database's id when known.
async fn step(
    app: &App,
    provider: &dyn Provider,
    action: &Action,
    timeout: Duration,
) -> Result<Option<String>> {
    let change = send(provider, action, false).await?;
    let id = action.id.as_deref();
    let deleting = action.action == Verb::Delete;
    let change = super::super::wait::change(app, provider, change, id, deleting, timeout).await?;
    Ok(match change {
        Change::Database(db) => Some(db.id),
        Change::Task(task) => task.resource_id,
        Change::Accepted(_) | Change::Deleted(_) | Change::DryRun(_) => None,
    })
}

/// The provider call of one change, built from the spec's typed fields; with `dry_run`, the
/// provider's own validation of a create or update (Redis Enterprise asks the cluster) and
/// nothing changed.
async fn send(provider: &dyn Provider, action: &Action, dry_run: bool) -> Result<Change> {
    let fields = &action.provider.spec().fields;
    match (action.action, &action.desired, &action.id) {
        (Verb::Create, Some(want), _) => {
            let at_create = |field: Managed| fields.settable(field).at_create();
            let request = CreateRequest {
                name: want.name.clone(),
                memory_bytes: want.memory.filter(|_| at_create(Managed::Memory)),
                region: want.region.clone().filter(|_| at_create(Managed::Region)),
                subscription: want
                    .subscription
                    .clone()
                    .filter(|_| at_create(Managed::Subscription)),
                tls: want.tls.filter(|_| at_create(Managed::Tls)),
                throughput: want.throughput.filter(|_| at_create(Managed::Throughput)),
                settings: settings(action),
                dry_run,
            };
            provider.create(&request).await
        }
        (Verb::Update, Some(want), Some(id)) => {
            let changed = |field: Managed| {
                action
                    .changes
                    .iter()
                    .any(|c| c.field == SpecField::Managed(field))
            };
            let request = UpdateRequest {
                name: None,
                memory_bytes: want.memory.filter(|_| changed(Managed::Memory)),
                tls: want.tls.filter(|_| changed(Managed::Tls)),
                settings: settings(action),
                throughput: want.throughput.filter(|_| changed(Managed::Throughput)),
                dry_run,
            };
            provider.update(id, &request).await
        }
        (Verb::Delete, _, Some(id)) if !dry_run => provider.delete(id).await,
        _ => Err(Error::internal("a planned change without its spec or id")),
    }
}

/// Every change checked before the first one is made: creates and updates through the
/// provider's dry run, deletes by their id, so a spec the provider would refuse (a bad size,
/// throughput, setting or subscription) changes nothing. A refusal names the spec's line.
async fn validate(
    providers: &HashMap<String, Box<dyn Provider>>,
    actions: &[&Action],
    concurrency: usize,
) -> Result<()> {
    let checks = futures::stream::iter(actions.iter().copied())
        .map(|action| async move {
            let provider = providers
                .get(&action.profile)
                .ok_or_else(|| Error::internal("a planned profile has no provider"))?;
            let checked = match (action.action, &action.id) {
                (Verb::Delete, Some(id)) => provider.check_id(id),
                _ => send(provider.as_ref(), action, true).await.map(drop),
            };
            checked.map_err(|mut error| {
                error.message = format!(
                    "{}{} {}/{} would be refused: {}; nothing was changed",
                    action
                        .at
                        .as_deref()
                        .map(|at| format!("{at}: "))
                        .unwrap_or_default(),
                    verb(action.action),
                    action.profile,
                    action.name,
                    error.message
                );
                // A value of the spec that the provider refuses (its own checks, or its dry
                // run) is a bad spec: exit 3, as every other, not a usage or request error.
                let from_spec = action.action != Verb::Delete;
                if from_spec && matches!(error.kind, ErrorKind::Usage | ErrorKind::Invalid) {
                    error.kind = ErrorKind::Config;
                }
                error.with_origin(action.provider, &action.profile)
            })
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<Result<()>>>()
        .await;
    checks.into_iter().collect()
}

/// The settings among the action's changes, typed as the spec gives them.
fn settings(action: &Action) -> Vec<(String, serde_json::Value)> {
    action
        .changes
        .iter()
        .filter_map(|change| match &change.field {
            SpecField::Setting(key) => Some((key.clone(), change.to.clone())),
            SpecField::Managed(_) => None,
        })
        .collect()
}

impl Record for Outcome {
    const FIELDS: &'static [&'static str] = &["action", "profile", "name", "id", "result", "error"];
    fn columns() -> Vec<Column<Self>> {
        let column = Column::<Self>::new;
        vec![
            column("ACTION", |o| o.action.to_string()),
            // Done, the database has its id; the plan above names the profile.
            column("PROFILE", |o| o.profile.clone()).gives(1, Give::Shorten(10)),
            column("NAME", |o| o.name.clone()),
            column("ID", |o| o.id.clone().unwrap_or_default()),
            column("RESULT", |o| o.result.to_string()).colored(|o| match o.result {
                "done" => Color::Green,
                "failed" => Color::Red,
                _ => Color::Yellow,
            }),
            column("ERROR", |o| o.error.clone().unwrap_or_default()).gives(2, Give::Wrap(20)),
        ]
    }
}
