//! GIF: each frame quantised to a 256-colour palette (NeuQuant); animations keep their timing.

use gif::{DisposalMethod, Encoder, Frame, Repeat};

use crate::error::{EngineError, internal};
use crate::raster::Picture;

pub fn encode(picture: &Picture) -> Result<Vec<u8>, EngineError> {
    let (w, h) = (
        u16::try_from(picture.width()).map_err(|_| internal("GIF width over 65535"))?,
        u16::try_from(picture.height()).map_err(|_| internal("GIF height over 65535"))?,
    );
    let mut out = Vec::new();
    {
        let mut enc = Encoder::new(&mut out, w, h, &[]).map_err(internal)?;
        if picture.is_animated() {
            let repeat = if picture.loop_count == 0 {
                Repeat::Infinite
            } else {
                Repeat::Finite(picture.loop_count)
            };
            enc.set_repeat(repeat).map_err(internal)?;
        }
        for (i, f) in picture.frames.iter().enumerate() {
            crate::interrupt::checkpoint(&format!("encoding GIF frame {}", i + 1))?;
            let mut rgba = f.raster.to_rgba().data;
            let mut frame = Frame::from_rgba_speed(w, h, &mut rgba, 10);
            frame.delay = u16::try_from(f.delay_ms / 10).unwrap_or(u16::MAX);
            // Every frame is a full canvas, so each replaces the last.
            frame.dispose = DisposalMethod::Background;
            enc.write_frame(&frame).map_err(internal)?;
        }
    }
    Ok(out)
}
