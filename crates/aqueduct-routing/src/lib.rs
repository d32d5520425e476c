//! Routers for aqueduct: which application gets a connection.

mod error;
mod url;
