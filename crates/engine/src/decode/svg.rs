//! SVG through resvg, rasterised directly at the output size. External references are never
//! followed and text is not rendered (no fonts are loaded), so an SVG cannot reach the network or disk.
//! Every document passes the pre-scan ([`super::svg_scan`]) before usvg sees it.

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{ImageHrefResolver, Options, Tree};

use super::svg_scan::Complexity;
use crate::error::{EngineError, undecodable};
use crate::raster::Raster;

/// Parses a document that passed the pre-scan; returns what the scan measured with the tree.
pub fn parse(bytes: &[u8]) -> Result<(Tree, Complexity), EngineError> {
    let complexity = super::svg_scan::scan(bytes)?;
    let options = Options {
        resources_dir: None,
        image_href_resolver: ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..Options::default()
    };
    let tree = Tree::from_data(bytes, &options).map_err(|e| undecodable(format!("SVG: {e}")))?;
    Ok((tree, complexity))
}

/// The intrinsic size, rounded up to whole pixels.
pub fn size(tree: &Tree) -> (u32, u32) {
    let s = tree.size();
    (
        s.width().ceil().max(1.0) as u32,
        s.height().ceil().max(1.0) as u32,
    )
}

/// Renders the whole drawing scaled to exactly `width`×`height`.
pub fn render(tree: &Tree, width: u32, height: u32) -> Result<Raster, EngineError> {
    let mut pixmap =
        Pixmap::new(width, height).ok_or_else(|| undecodable("SVG: zero-sized output"))?;
    let s = tree.size();
    let transform = Transform::from_scale(width as f32 / s.width(), height as f32 / s.height());
    resvg::render(tree, transform, &mut pixmap.as_mut());
    // tiny-skia stores premultiplied alpha; rasters are straight.
    let data = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    Ok(Raster::new(width, height, 4, data))
}
