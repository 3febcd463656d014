//! How to reach a database's data plane.
use crate::secret::Secret;

/// How to reach a database's data plane; passwords and keys stay `Secret`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    Redis(RedisConnection),
    Cosmos(CosmosConnection),
}

/// A Redis endpoint: `redis://` or, with TLS, `rediss://`.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisConnection {
    pub host: String,
    pub port: Option<u16>,
    pub tls: bool,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub database: String,
    /// Active-Active: every region's own connection, the first one being the fields above;
    /// empty for a database in one region.
    pub regions: Vec<RegionConnection>,
}

/// One region of an Active-Active database and how to reach it there.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionConnection {
    pub region: String,
    pub connection: RedisConnection,
}

/// A Cosmos DB account endpoint, its key and the database.
#[derive(Debug, Clone, PartialEq)]
pub struct CosmosConnection {
    pub host: String,
    pub port: Option<u16>,
    pub tls: bool,
    pub key: Secret,
    pub database: String,
}

impl Connection {
    pub fn host(&self) -> &str {
        match self {
            Connection::Redis(redis) => &redis.host,
            Connection::Cosmos(cosmos) => &cosmos.host,
        }
    }

    pub fn host_mut(&mut self) -> &mut String {
        match self {
            Connection::Redis(redis) => &mut redis.host,
            Connection::Cosmos(cosmos) => &mut cosmos.host,
        }
    }

    /// The variable a `db url --format env` line sets unless told otherwise: a URL for Redis,
    /// a connection string for Cosmos.
    pub fn env_var(&self) -> &'static str {
        match self {
            Connection::Redis(_) => "REDIS_URL",
            Connection::Cosmos(_) => "COSMOS_CONNECTION_STRING",
        }
    }

    /// The password or key it carries.
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            Connection::Redis(redis) => redis.password.as_ref(),
            Connection::Cosmos(cosmos) => Some(&cosmos.key),
        }
    }
}
