//! `db list` (and `dbctl list`): every selected profile at once, in a stable order, with
//! partial failures named.
use crate::cli::ListArgs;
use crate::commands::App;
use crate::error::Result;
use crate::fleet;

pub async fn run(app: &App, args: &ListArgs) -> Result<()> {
    if args.usage {
        return super::stats::list_with_usage(app, args).await;
    }
    let selection = args.selection();
    let profiles = app.select(&args.providers, &args.profiles)?;
    let mut collected = fleet::collect(&profiles, &app.shared, selection.strict).await?;
    let mut databases = collected.take_databases();
    databases.retain(|db| selection.matches(db));
    fleet::sort(&mut databases);
    app.print(&app.out.list(&databases)?)?;
    collected.finish(app.json())
}
