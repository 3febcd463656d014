//! `--region` of `db url` and `db connect`: which region of an Active-Active database to reach.
use crate::error::{Error, Result};
use crate::model::Connection;
use crate::provider::Provider;

/// The asked region's connection (exit 6 naming the regions when there is no such region, or
/// when the database has one endpoint); without `--region`, the first region, said on stderr.
pub fn choose(
    provider: &dyn Provider,
    id: &str,
    connection: Connection,
    asked: Option<&str>,
) -> Result<Connection> {
    let regions = match &connection {
        Connection::Redis(redis) if !redis.regions.is_empty() => &redis.regions,
        _ => {
            return match asked {
                None => Ok(connection),
                Some(region) => Err(refuse(
                    provider,
                    format!("{} database {id} is not Active-Active: it has one endpoint, so --region {region:?} picks nothing", provider.kind()),
                    "drop --region",
                )),
            };
        }
    };
    let names = regions
        .iter()
        .map(|r| r.region.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let chosen = match asked {
        Some(region) => regions
            .iter()
            .find(|r| r.region.eq_ignore_ascii_case(region.trim()))
            .ok_or_else(|| {
                refuse(
                    provider,
                    format!(
                        "{} database {id} has no region {region:?}; its regions: {names}",
                        provider.kind()
                    ),
                    "pass one of its regions to --region",
                )
            })?,
        None => {
            let first = &regions[0];
            if regions.len() > 1 {
                crate::sanitize::stderr_line(&format!(
                    "note: {id} is Active-Active in {names}; this is {} (pick another with --region REGION)",
                    first.region
                ));
            }
            first
        }
    };
    Ok(Connection::Redis(chosen.connection.clone()))
}

fn refuse(provider: &dyn Provider, message: String, hint: &str) -> Error {
    Error::invalid(message)
        .with_origin(provider.kind(), provider.profile())
        .with_hint(hint)
}
