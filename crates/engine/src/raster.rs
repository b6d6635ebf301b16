//! In-memory pictures: 8-bit RGB or RGBA rasters, and animation frames sharing one canvas size.

use crate::error::EngineError;

/// Interleaved 8-bit pixels, 3 (RGB) or 4 (RGBA, straight alpha) channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

impl Raster {
    pub fn new(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Raster {
        debug_assert_eq!(
            data.len(),
            width as usize * height as usize * channels as usize
        );
        Raster {
            width,
            height,
            channels,
            data,
        }
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 4
    }

    /// Whether any pixel is not fully opaque.
    pub fn uses_alpha(&self) -> bool {
        self.has_alpha() && self.data.chunks_exact(4).any(|p| p[3] != 255)
    }

    pub fn pixel(&self, x: u32, y: u32) -> &[u8] {
        let c = self.channels as usize;
        let i = (y as usize * self.width as usize + x as usize) * c;
        &self.data[i..i + c]
    }

    /// Drops an alpha channel that is fully opaque, so encoders and resizers do less work.
    pub fn drop_opaque_alpha(self) -> Raster {
        if !self.has_alpha() || self.uses_alpha() {
            return self;
        }
        let data = self
            .data
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Raster::new(self.width, self.height, 3, data)
    }

    pub fn to_rgba(&self) -> Raster {
        if self.has_alpha() {
            return self.clone();
        }
        let data = self
            .data
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        Raster::new(self.width, self.height, 4, data)
    }
}

/// One frame of a picture; still images have exactly one.
#[derive(Clone, Debug)]
pub struct Frame {
    pub raster: Raster,
    /// Display time of an animation frame.
    pub delay_ms: u32,
}

/// A decoded picture: one or more frames of identical size.
#[derive(Clone, Debug)]
pub struct Picture {
    pub frames: Vec<Frame>,
    /// 0 loops forever.
    pub loop_count: u16,
}

impl Picture {
    pub fn still(raster: Raster) -> Picture {
        Picture {
            frames: vec![Frame {
                raster,
                delay_ms: 0,
            }],
            loop_count: 0,
        }
    }

    pub fn width(&self) -> u32 {
        self.frames.first().map_or(0, |f| f.raster.width)
    }

    pub fn height(&self) -> u32 {
        self.frames.first().map_or(0, |f| f.raster.height)
    }

    pub fn is_animated(&self) -> bool {
        self.frames.len() > 1
    }

    /// The bytes its frames' pixels occupy.
    pub fn bytes(&self) -> u64 {
        self.frames.iter().map(|f| f.raster.data.len() as u64).sum()
    }

    /// Applies `f` to every frame's raster, stopping at a frame if the render is interrupted.
    pub fn map(
        self,
        mut f: impl FnMut(Raster) -> Result<Raster, EngineError>,
    ) -> Result<Picture, EngineError> {
        let frames = self
            .frames
            .into_iter()
            .enumerate()
            .map(|(i, fr)| {
                crate::interrupt::checkpoint(&format!("at frame {}", i + 1))?;
                Ok(Frame {
                    raster: f(fr.raster)?,
                    delay_ms: fr.delay_ms,
                })
            })
            .collect::<Result<_, EngineError>>()?;
        Ok(Picture {
            frames,
            loop_count: self.loop_count,
        })
    }
}
