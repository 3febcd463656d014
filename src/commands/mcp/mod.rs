//! `dbctl mcp`: a Model Context Protocol server over stdio (the official SDK, `rmcp`). Its
//! tools call what the commands call (the fleet engine, the providers, `check`, `plan`) and
//! answer the records and the error JSON of `--json`. Read-only unless `--allow-writes`;
//! deletes and prunes also need `--allow-deletes`. No tool prompts; a write answers at once
//! and `wait` follows it for a bounded time.
//!
//! Every message goes out through [`wire`]: each line is escaped as `--json` escapes stdout
//! and scrubbed of every credential the run holds, so no tool, error or SDK message can carry
//! a secret or a terminal control. Logs go to stderr only: stdout is the protocol. Requests
//! come in through [`requests::relay`], which answers one too long to read itself.
use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    CallToolResult, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{tool_handler, ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use super::App;
use crate::cli::McpArgs;
use crate::context::Settings;
use crate::error::{Error, Result};
use crate::model::ProviderKind;
use crate::output::Record;

mod params;
mod read;
mod requests;
mod write;

/// Serves until the client closes stdin.
pub async fn serve(global: &Settings, args: &McpArgs) -> Result<()> {
    if global.show_secrets {
        return Err(Error::usage(
            "dbctl mcp never shows a secret: --show-secrets does not apply",
        ));
    }
    let server = Dbctl::new(App::new(global).await?, args);
    let (to_server, from_client) = tokio::io::duplex(1 << 16);
    let (to_wire, from_server) = tokio::io::duplex(1 << 16);
    let (lines, outgoing) = tokio::sync::mpsc::channel(16);
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let relay = tokio::spawn(requests::relay(
        stdin,
        to_server,
        lines.clone(),
        requests::MAX_REQUEST_BYTES,
    ));
    let answers = tokio::spawn(answers(from_server, lines));
    let wire = tokio::spawn(wire(outgoing));
    let fail = |e: &dyn std::fmt::Display| Error::internal(format!("mcp: {e}"));
    let served = match server.serve((from_client, to_wire)).await {
        Ok(running) => running.waiting().await.map(drop).map_err(|e| fail(&e)),
        // A client that left before it said anything (stdin closed) ends nothing in flight.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => Ok(()),
        Err(e) => Err(fail(&e)),
    };
    // The server has stopped: nothing reads requests any more, and the last answers go out.
    relay.abort();
    answers.await.map_err(|e| fail(&e))?;
    served?;
    wire.await.map_err(|e| fail(&e))?
}

/// Passes each line the server writes on to [`wire`], until the server is done.
async fn answers(from_server: tokio::io::DuplexStream, lines: tokio::sync::mpsc::Sender<String>) {
    let mut messages = tokio::io::BufReader::new(from_server);
    let mut line = Vec::new();
    loop {
        line.clear();
        match messages.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if lines
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Writes each message line (the server's answers, and the refusals of requests too long to
/// read) to stdout: escaped as `--json` escapes stdout (C1, bidi and workflow-command
/// characters as `\uXXXX`: the same data to a JSON parser) and scrubbed of every credential
/// the run holds, as every stdout document is. A client that went away ends it quietly.
async fn wire(mut lines: tokio::sync::mpsc::Receiver<String>) -> Result<()> {
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.recv().await {
        let escaped = crate::sanitize::escape_json(&line);
        let clean = crate::credentials::scrub_stdout(&escaped);
        let written = async {
            stdout.write_all(clean.as_bytes()).await?;
            stdout.flush().await
        };
        if let Err(e) = written.await {
            return crate::output::stdout_written(Err(e));
        }
    }
    Ok(())
}

/// The server: the run's profiles (or the `--demo` emulator, alive as long as it), what the
/// flags allow, and the applies in flight.
#[derive(Clone)]
pub(super) struct Dbctl {
    base: Arc<App>,
    allow: Allow,
    applies: Arc<write::Applies>,
    tool_router: ToolRouter<Self>,
}

/// What `--allow-writes` and `--allow-deletes` turned on.
#[derive(Debug, Clone, Copy)]
struct Allow {
    writes: bool,
    deletes: bool,
}

impl Dbctl {
    fn new(base: App, args: &McpArgs) -> Self {
        let allow = Allow {
            writes: args.allow_writes,
            deletes: args.allow_writes && args.allow_deletes,
        };
        let mut tool_router = Self::read_tools();
        if allow.writes {
            tool_router += Self::write_tools();
        }
        if allow.deletes {
            tool_router += Self::delete_tools();
        }
        Dbctl {
            base: Arc::new(base),
            allow,
            applies: Arc::default(),
            tool_router,
        }
    }

    /// The run for one tool call: the server's profiles and settings, with a deadline of its
    /// own (`--request-timeout` counts from the call, not from the server's start) and JSON
    /// output, never prompting, never drawing a spinner.
    fn app(&self) -> App {
        self.base.fresh_run(crate::output::OutputSettings {
            format: crate::output::OutputFormat::Json,
            show_secrets: false,
            color: false,
            stdout_tty: false,
            stderr_tty: false,
            query: None,
            sort: None,
            limit: None,
            headers: true,
        })
    }

    /// What the server tells the client when it connects: what dbctl is, which tools the
    /// flags turned on, and how writes and errors come back.
    fn instructions(&self) -> String {
        let enabled = |router: ToolRouter<Self>| -> Vec<String> {
            let mut names: Vec<String> = router
                .list_all()
                .into_iter()
                .map(|t| t.name.to_string())
                .collect();
            names.sort();
            names
        };
        let providers: Vec<&str> = ProviderKind::all().iter().map(|k| k.name()).collect();
        let writes = enabled(Self::write_tools());
        let deletes = enabled(Self::delete_tools());
        let mut text = format!(
            "dbctl {}: the databases of {} through one model. Records and fields are those of `dbctl ... --json`; a failed call is a tool error whose content is the CLI's error JSON {{\"error\": {{kind, exit_code, message, hint, provider, profile}}}}. ",
            env!("CARGO_PKG_VERSION"),
            providers.join(", "),
        );
        text += &format!(
            "Read-only tools: {}. ",
            enabled(Self::read_tools()).join(", ")
        );
        text += &if self.allow.writes {
            format!("Write tools are enabled: {}; each answers at once (a task id or the database) with the `wait` call that follows it (at most {}s a call). ", writes.join(", "), params::MAX_WAIT_SECS)
        } else {
            format!(
                "Write tools ({}) are disabled: the server was started without --allow-writes. ",
                writes.join(", ")
            )
        };
        text += &if self.allow.deletes {
            format!(
                "Deletes are enabled: {} and apply with prune. ",
                deletes.join(", ")
            )
        } else {
            format!(
                "Deletes ({} and apply with prune) are disabled: they need --allow-writes and --allow-deletes. ",
                deletes.join(", ")
            )
        };
        if self.base.demo {
            text += "This is --demo: the built-in emulator's seeded fleet, no real account; changes last as long as this server, so export, edit, plan and apply can be rehearsed here. ";
        }
        text += "Resources: dbctl://man (the manual) and dbctl://spec-format (the spec that export, plan and apply read).";
        text
    }
}

/// The CLI's error JSON as a tool error.
fn failed(error: Error) -> CallToolResult {
    CallToolResult::structured_error(error.to_json())
}

/// Records as the `--json` renderer writes them (secret-bearing text masked, untrusted
/// strings kept exact), as JSON values.
fn records<T: Record>(app: &App, items: &[T]) -> Result<Vec<Value>> {
    parsed(&app.out.list(items)?)
}

/// One record as the `--json` renderer writes it.
fn record<T: Record>(app: &App, item: &T) -> Result<Value> {
    parsed(&app.out.one(item)?)
}

fn parsed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::internal(format!("cannot read back JSON: {e}")))
}

/// Runs `work` to its end on a blocking thread of the runtime, for the futures of `check` and
/// `apply` that the compiler cannot prove `Send` (higher-ranked closures in their streams)
/// where rmcp's tools and a background apply need it. It runs on when the handle is dropped.
fn off_runtime<T, F>(
    work: impl FnOnce() -> F + Send + 'static,
) -> impl std::future::Future<Output = Result<T>>
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    let runtime = tokio::runtime::Handle::current();
    let running = tokio::task::spawn_blocking(move || runtime.block_on(work()));
    async move {
        running
            .await
            .map_err(|e| Error::internal(format!("the call stopped: {e}")))
    }
}

/// Failures (a profile, a database) as the CLI's error JSON.
fn failures(errors: &[Error]) -> Vec<Value> {
    errors.iter().map(Error::to_json).collect()
}

/// A document the server offers as a resource.
struct Document {
    uri: &'static str,
    name: &'static str,
    description: &'static str,
    mime_type: &'static str,
    text: fn() -> Result<String>,
}

/// The resources: the manual and the spec format.
const RESOURCES: &[Document] = &[
    Document {
        uri: "dbctl://man",
        name: "man",
        description:
            "The manual, dbctl(1): every command and argument, exit codes, environment, examples",
        mime_type: "text/troff",
        text: man,
    },
    Document {
        uri: "dbctl://spec-format",
        name: "spec-format",
        description: "The spec file that export writes and plan and apply read (the README's desired-state section)",
        mime_type: "text/markdown",
        text: spec_format,
    },
];

fn man() -> Result<String> {
    super::shell::man_page()
        .map_err(|e| Error::internal(format!("cannot render the man page: {e}")))
}

/// The README's "Desired state" section, up to the next heading.
fn spec_format() -> Result<String> {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split_once("\n## Desired state\n")
        .map(|(_, rest)| rest)
        .ok_or_else(|| Error::internal("the README has no desired-state section"))?;
    let end = section
        .find("\n## ")
        .into_iter()
        .chain(section.find("\n### "))
        .min()
        .unwrap_or(section.len());
    Ok(format!("# Desired state\n{}", &section[..end]))
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Dbctl {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("dbctl", env!("CARGO_PKG_VERSION")))
        .with_instructions(self.instructions())
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourcesResult, McpError> {
        let resources = RESOURCES
            .iter()
            .map(|doc| {
                Resource::new(doc.uri, doc.name)
                    .with_description(doc.description)
                    .with_mime_type(doc.mime_type)
            })
            .collect();
        Ok(ListResourcesResult {
            resources,
            ..Default::default()
        })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _: RequestContext<RoleServer>,
    ) -> std::result::Result<ReadResourceResponse, McpError> {
        let Some(doc) = RESOURCES.iter().find(|doc| doc.uri == request.uri) else {
            return Err(McpError::resource_not_found(
                format!("no resource {:?}; resources/list names them", request.uri),
                None,
            ));
        };
        let text = (doc.text)().map_err(|e| McpError::internal_error(e.message, None))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, doc.uri).with_mime_type(doc.mime_type)
        ])
        .into())
    }
}
