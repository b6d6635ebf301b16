//! GIF, animated or not: frames are composited onto a full canvas honouring disposal methods.

use gif::{ColorOutput, DecodeOptions, DisposalMethod, MemoryLimit, Repeat};

use crate::error::{EngineError, undecodable};
use crate::raster::{Frame, Picture, Raster};

pub fn decode(bytes: &[u8], max_frame_bytes: u64) -> Result<Picture, EngineError> {
    let mut options = DecodeOptions::new();
    options.set_color_output(ColorOutput::RGBA);
    options.set_memory_limit(MemoryLimit::Bytes(
        max_frame_bytes
            .try_into()
            .unwrap_or(std::num::NonZeroU64::MIN),
    ));
    let mut decoder = options
        .read_info(bytes)
        .map_err(|e| undecodable(format!("GIF: {e}")))?;
    let (w, h) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let loop_count = match decoder.repeat() {
        Repeat::Infinite => 0,
        Repeat::Finite(n) => n.max(1),
    };
    let mut canvas = vec![0u8; w as usize * h as usize * 4];
    let mut frames = Vec::new();
    loop {
        crate::interrupt::checkpoint(&format!("decoding GIF frame {}", frames.len() + 1))?;
        let frame = match decoder.read_next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // A truncated animation keeps the frames that decoded.
            Err(_) if !frames.is_empty() => break,
            Err(e) => return Err(undecodable(format!("GIF: {e}"))),
        };
        let previous = (frame.dispose == DisposalMethod::Previous).then(|| canvas.clone());
        let (fx, fy, fw, fh) = (
            u32::from(frame.left),
            u32::from(frame.top),
            u32::from(frame.width),
            u32::from(frame.height),
        );
        for y in 0..fh.min(h.saturating_sub(fy)) {
            for x in 0..fw.min(w.saturating_sub(fx)) {
                let src = ((y * fw + x) * 4) as usize;
                let Some(px) = frame.buffer.get(src..src + 4) else {
                    continue;
                };
                if px[3] == 0 {
                    continue;
                }
                let dst = (((fy + y) * w + fx + x) * 4) as usize;
                canvas[dst..dst + 4].copy_from_slice(px);
            }
        }
        frames.push(Frame {
            raster: Raster::new(w, h, 4, canvas.clone()),
            // Browsers show 0-1 centisecond delays as 100 ms.
            delay_ms: if frame.delay <= 1 {
                100
            } else {
                u32::from(frame.delay) * 10
            },
        });
        match frame.dispose {
            DisposalMethod::Background => {
                for y in fy..(fy + fh).min(h) {
                    for x in fx..(fx + fw).min(w) {
                        let dst = ((y * w + x) * 4) as usize;
                        canvas[dst..dst + 4].fill(0);
                    }
                }
            }
            DisposalMethod::Previous => {
                if let Some(p) = previous {
                    canvas = p;
                }
            }
            _ => {}
        }
    }
    if frames.is_empty() {
        return Err(undecodable("GIF: no frames"));
    }
    Ok(Picture { frames, loop_count })
}
