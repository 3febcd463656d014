//! `dbctl api PROVIDER METHOD PATH`: an authenticated raw call.
use reqwest::Method;
use serde_json::Value;

use super::App;
use crate::cli::{ApiArgs, Profiles};
use crate::error::{Error, Result};
use crate::http::Call;

pub async fn run(app: &App, args: ApiArgs) -> Result<()> {
    let method: Method = args
        .method
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| Error::usage(format!("unknown HTTP method {:?}", args.method)))?;
    let target = Profiles {
        providers: vec![args.provider],
        profiles: args.profile.into_iter().collect(),
    };
    let provider = app.provider(&target, crate::provider::Operation::List)?;
    let path = if args.path.starts_with('/') {
        args.path
    } else {
        format!("/{}", args.path)
    };
    let mut call = Call::new(method, path);
    if let Some(data) = args.data {
        let text = match data.strip_prefix('@') {
            Some(file) => crate::files::read_text(std::path::Path::new(file), true)
                .map_err(|e| Error::usage(format!("cannot read {file}: {e}")))?,
            None => data,
        };
        let body: Value = serde_json::from_str(&text)
            .map_err(|e| Error::usage(format!("--data is not JSON: {e}")))?;
        call = call.json(body);
    }
    let reply = provider.raw_call(call).await?;
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        // A script asked for one document: an empty answer is `null`.
        return app.print(&app.out.message("", &Value::Null)?);
    }
    let mut value: Value = reply.json()?;
    if !app.shared.show_secrets {
        crate::secret::redact_value(&mut value);
    }
    app.print(&app.out.document(&value)?)
}
