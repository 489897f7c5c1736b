//! Opening a database: connecting to it and bringing its schema up to date (the migrations), for
//! the server and for the operator commands.

use sea_orm_migration::MigratorTrait;

use super::database::{Store, describe_database, sqlite_path};
use super::error::StoreError;
use super::migration;

impl Store {
    /// Opens a database that pressdx has already set up (by `pressdx serve`), and brings its
    /// schema up to date: what the operator commands (token, catalog, audit) use, so that one run
    /// in the wrong directory does not quietly create an empty database beside the real one.
    pub async fn open_existing(database_url: &str) -> Result<Store, StoreError> {
        let where_ = describe_database(database_url);
        let not_found = || {
            StoreError::NotSetUp(format!(
                "no pressdx database at {where_}: run `pressdx serve` there first, or give \
                 --database-url (PRESSDX_DATABASE_URL)"
            ))
        };
        if let Some(path) = sqlite_path(database_url)
            && !path.exists()
        {
            return Err(not_found());
        }
        let store = Store::connect_only(database_url).await?;
        let set_up = sea_orm_migration::SchemaManager::new(&store.db)
            .has_table("seaql_migrations")
            .await?;
        if !set_up {
            store.close().await?;
            return Err(not_found());
        }
        migration::Migrator::up(&store.db, None).await?;
        Ok(store)
    }

    /// Connects to `database_url` (sqlite:// or postgres://), creating a SQLite file if the URL
    /// says so (`mode=rwc`), and brings its schema up to date.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let store = Store::connect_only(database_url).await?;
        migration::Migrator::up(&store.db, None).await?;
        Ok(store)
    }
}
