//! `db list` (and `dbctl list`): every selected profile at once, in a stable order, with
//! partial failures named; each profile's full list also refreshes the name index.
use crate::cli::ListArgs;
use crate::commands::watch::{self, Frame};
use crate::commands::App;
use crate::error::Result;
use crate::fleet;

pub async fn run(app: &App, args: &ListArgs) -> Result<()> {
    if args.usage {
        return super::stats::list_with_usage(app, args).await;
    }
    watch::run(app, &args.watch, || frame(app, args)).await
}

async fn frame(app: &App, args: &ListArgs) -> Result<Frame> {
    let selection = args.selection();
    let profiles = app.selected(&args.select)?;
    let mut collected = fleet::collect(&profiles, &app.shared, selection.strict).await?;
    app.remember(&collected.lists);
    let mut databases = collected.take_databases();
    databases.retain(|db| selection.matches(db));
    fleet::sort(&mut databases);
    let json = app.json();
    Ok(Frame::then(app.out.list(&databases)?, move || {
        collected.finish(json)
    }))
}
