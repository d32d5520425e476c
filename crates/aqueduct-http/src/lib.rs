//! HTTP for aqueduct: HTTP consumers, Server-Sent Events, the long-polling
//! and SSE transports of WebSocket consumers, and the `aqueduct.js`
//! browser client.

mod transport;

pub use transport::Transports;
