//! The CloudFront path on one machine: the viewer function, an edge cache, Origin Shield and the
//! origin group, served by `imgfront dev`; and the hit-ratio simulator behind `imgfront sim`.

pub mod client;
pub mod dev;
pub mod edge;
pub mod gallery;
pub mod lru;
pub mod server;
pub mod sim;
pub mod viewer;

pub use dev::Dev;
pub use edge::{Edge, EdgeRequest, Response, StatsSnapshot};
pub use viewer::{Keys, Viewer};
